"""Templates: a kind, a unit and a year (and the store's last version) → a ready-to-fill workbook."""
