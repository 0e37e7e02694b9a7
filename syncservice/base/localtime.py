"""Times a person reads, in one time zone: `output.timezone` (WORKBOOKS.md §9).

Stored times are UTC (store.py); what the consolidated workbook, `history`, `log`, the
reports, `status` and the deadlines' day boundaries show or count is this zone's wall
clock, never the server's. The zone is set once per process from the config (Pipeline,
the CLI), as the log is set up once; until then it is the default.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT = "Europe/Copenhagen"
_zone: dt.tzinfo = ZoneInfo(DEFAULT)


def parse(value: object) -> str:
    """config.toml's output.timezone → the same name, once it is known to be an IANA zone."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'output.timezone' must be a time zone name such as \"{DEFAULT}\", got {value!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'output.timezone': unknown time zone {value!r} (an IANA name, e.g. \"{DEFAULT}\")"
                         ) from None
    return value


def use(name: str) -> None:
    global _zone
    _zone = ZoneInfo(name)


def zone() -> dt.tzinfo:
    return _zone


def local(when: dt.datetime) -> dt.datetime:
    """An aware time → the same moment on the zone's wall clock; a naive one is left as it is."""
    return when.astimezone(_zone) if when.tzinfo is not None else when


def local_iso(iso: str) -> dt.datetime | None:
    """'2026-12-03T18:00:00+00:00' → that moment in the zone; None for text that is not a time."""
    try:
        return local(dt.datetime.fromisoformat(iso))
    except (TypeError, ValueError):
        return None


def shown(iso: str) -> str:
    """A stored time for a terminal: '2026-12-03 19:00:00 CET' (the zone said, as it is not the server's)."""
    when = local_iso(iso)
    return when.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if when is not None else iso


def today() -> dt.date:
    return dt.datetime.now(_zone).date()


def day_start_utc(day: dt.date) -> str:
    """The first moment of `day` in the zone, as the store writes times (ISO, UTC, seconds)."""
    return dt.datetime.combine(day, dt.time(), _zone).astimezone(dt.UTC).isoformat(timespec="seconds")


def now_text() -> str:
    """Now in the zone with its offset, to the second."""
    return dt.datetime.now(_zone).isoformat(timespec="seconds")
