"""The rejection report: a verdict → `<file> - FEJL.xlsx` and its .txt twin in the feedback folder."""
