"""The archive: every file received, kept read-only under a name never reused.

    StagedFile → copies.archive (+ a JSON sidecar) → archive/{accepted|rejected}/YYYY/MM/…
    archive folder → index (what was received, in order: what a rebuild replays)"""
