"""Write the generated part of docs/workbooks.md: every rule id with its Danish and
English message, from the texts the service itself uses (the engine's catalogue, then
each kind's own messages, from its module in schemas/).

    .venv/bin/python scripts/workbooks_doc.py          # rewrite the section in place
    .venv/bin/python scripts/workbooks_doc.py --check  # exit 1 when the file is behind the code

The rest of the page is written by hand; tests/test_docs.py checks that it names every
kind, label and rule the code knows, so neither part can drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syncservice.messages import all_texts  # noqa: E402

DOC = ROOT / "docs" / "workbooks.md"
START, END = "<!-- rules:start (scripts/workbooks_doc.py writes this part) -->", "<!-- rules:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_section() -> str:
    """The rules table: one row per rule id, the engine's in its catalogue's order (file,
    sheet, table, metadata, values, rows, totals, across versions), then each kind's."""
    lines = [START, "", "| rule | Danish (default): what is wrong — what to do | English |", "|---|---|---|"]
    for rule, texts in all_texts().items():
        da, en = (" — ".join(texts[lang]) for lang in ("da", "en"))
        lines.append(f"| `{rule}` | {_cell(da)} | {_cell(en)} |")
    return "\n".join(lines + ["", END])


def rendered(text: str) -> str:
    """`text` with its rules section replaced by the current one."""
    head, sep, rest = text.partition(START)
    if not sep:
        raise SystemExit(f"{DOC}: no {START!r} marker")
    _, sep, tail = rest.partition(END)
    if not sep:
        raise SystemExit(f"{DOC}: no {END!r} marker")
    return head + rules_section() + tail


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = rendered(text)
    if "--check" in argv:
        if new != text:
            print(f"{DOC.relative_to(ROOT)} is behind the code: run .venv/bin/python scripts/workbooks_doc.py")
            return 1
        return 0
    if new != text:
        DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
