"""Rules: a located table → a verdict.

    Table → validate (the kind's pandera model and rules) → findings → Verdict (check)
    Verdict + the version it replaces → changes (warnings; change.period_back)

messages turns a finding into the words a person reads, in Danish or English."""
