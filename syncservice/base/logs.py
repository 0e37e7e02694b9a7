"""Logging through loguru: a human log with rotation and retention in the logs folder,
and warnings and errors on the console.

A file name or a cell's text from staff may hold a line break or a terminal escape; in a log
line it would forge a line of its own, or recolour and rewrite the terminal. Every human
log line is passed through printable() (a loguru patcher), as is everything the CLI shows
(cli.safe); the JSON log escapes the same characters the JSON way (json_text).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from loguru import logger

from syncservice.base import localtime
from syncservice.base.config import Config

VALIDATION = "validation"

# C0 and C1 controls and DEL (Cc), the line and paragraph separators, and the bidi controls
# that reorder what a terminal shows (Trojan Source, CVE-2021-42574).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What json.dumps(ensure_ascii=False) leaves raw though it ends a line for someone (U+2028,
# NEL for str.splitlines) or drives a terminal that shows the file (C1, DEL, bidi).
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    c = match.group()
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def printable(text: Any) -> str:
    r"""Text from staff on one line, harmless to a terminal: each control character as its
    escape ('\n', '\r', '\t', '\x1b', '\x85', '\u2028'), the rest as it is (a backslash is
    not doubled: a name with '\' stays readable)."""
    return _CONTROL.sub(_escaped, str(text))


def json_text(value: Any, indent: int | None = None) -> str:
    """json.dumps(value, ensure_ascii=False), with the characters above escaped the JSON way:
    without `indent`, one line whatever its strings hold; decoded, the same value."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _patch(record: dict) -> None:
    record["time"] = localtime.local(record["time"])  # the human log's clock is output.timezone's
    if VALIDATION not in record["extra"]:  # a validation record is json_text already
        record["message"] = printable(record["message"])


def _validation(record: dict) -> bool:
    return VALIDATION in record["extra"]


def _not_validation(record: dict) -> bool:
    return VALIDATION not in record["extra"]


def setup(config: Config, *, console_level: str = "WARNING") -> None:
    """Replace loguru's default handler with ours (idempotent)."""
    logger.remove()
    logger.configure(patcher=_patch)
    human = _not_validation
    logger.add(sys.stderr, level=console_level, format="{time:HH:mm:ss} {level: <7} {message}", colorize=None,
               filter=human, diagnose=False)
    logs = config.path("logs")
    rotation, retention = config.get("logging", "rotation"), config.get("logging", "retention")
    try:
        logs.mkdir(parents=True, exist_ok=True)
        # diagnose=False: a traceback must not copy cell values from a workbook into the log
        logger.add(logs / "syncservice.log", level="INFO", encoding="utf-8", rotation=rotation,
                   retention=retention, format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {message}",
                   filter=human, diagnose=False)
        # one JSON object per verdict, for whoever reviews rejections with their own tools
        logger.add(logs / "validation.jsonl", level="INFO", encoding="utf-8", rotation=rotation,
                   retention=retention, format="{message}", filter=_validation)
    except OSError as exc:  # an unwritable log folder must not stop the service
        logger.warning("cannot write logs to {}: {}", logs, exc)
