"""What people read, made from the store.

    consolidated/ — the workbook finance reads (overviews, Kilder, Ændringer, Afviste, Mangler, Data)
    feedback/     — the rejection report beside a person's file (FEJL.xlsx and .txt)
    template/     — a ready-to-fill workbook of a kind
    web/          — the reviewers' read-only web view (Datasette)
    missing       — who has not reported (sheet Mangler, `syncservice missing`, the web view)"""
