"""The store: verdicts, versions, figures and findings in SQLite (sqlite-utils).

    Verdict → db.Store.record (one transaction per workbook) → StoredVersion(s)

schema holds the named migrations, backup the online copy. SQL lives only here."""
