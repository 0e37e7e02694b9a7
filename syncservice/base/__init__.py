"""What every stage shares: the values passed between stages (models), the kinds' declaration
API (layout), Danish text as numbers, labels and dates (parse), unit names (units), who must
report (reporting), the settings (config), the logs, the errors and atomic writes (durable),
and the pieces of openpyxl's private API the stages rely on (openpyxl_private).

Nothing here reads a workbook, touches the store or watches a folder."""
