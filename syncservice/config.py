"""Settings: each declared once with its default and help (as Datasette's SETTINGS).

The shipped config.toml and the README's table are generated from SETTINGS
(`python -m syncservice.config`), and tests/test_config.py keeps them in step.
Paths resolve relative to the config file, so the service can run from anywhere.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncservice.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    section: str
    name: str
    default: Any
    help: str
    is_path: bool = False
    choices: tuple[str, ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting("paths", "watched", "watched",
            "Folder staff save workbooks into (usually the shared drive).", is_path=True),
    Setting("paths", "archive", "archive",
            "Every file received is kept here, read-only, under a name never reused.", is_path=True),
    Setting("paths", "database", "state/syncservice.sqlite",
            "The SQLite store. Must be on local disk, never on the share: SQLite's locking "
            "and WAL are unsafe on network file systems.", is_path=True),
    Setting("paths", "state", "state",
            "Local working folder: private staging copies and the lock file.", is_path=True),
    Setting("paths", "consolidated", "output/Samlet oversigt.xlsx",
            "The consolidated workbook finance reads; rewritten atomically.", is_path=True),
    Setting("paths", "feedback", "output/Tilbagemeldinger",
            "Where the report for a rejected workbook is written.", is_path=True),
    Setting("paths", "logs", "logs", "Folder for the human log and the JSON-lines validation log.",
            is_path=True),
    Setting("output", "amount_unit", "1.000 kr.",
            "Unit for amounts in the consolidated workbook's overview sheets "
            "(the Data sheet is always in kroner).", choices=("kr.", "1.000 kr.", "mio. kr.")),
    Setting("output", "language", "da", "Language of messages and reports.", choices=("da", "en")),
    Setting("logging", "rotation", "10 MB", "Start a new human log file at this size (loguru rotation)."),
    Setting("logging", "retention", "90 days", "Delete rotated log files older than this (loguru retention)."),
    Setting("limits", "max_file_mb", 50, "A workbook file larger than this is rejected unread."),
    Setting("limits", "max_unpacked_mb", 300,
            "Largest total a workbook may unpack to (guards against zip bombs)."),
    Setting("limits", "max_rows", 200_000, "Most table rows read from one sheet."),
    Setting("limits", "max_seconds", 120,
            "Most seconds spent reading one workbook before it is rejected as too slow to read."),
)

_BY_KEY = {(s.section, s.name): s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    values: dict[tuple[str, str], Any]
    base: Path  # folder of the config file; relative paths resolve against it
    source: Path | None = None

    def get(self, section: str, name: str) -> Any:
        return self.values[(section, name)]

    def path(self, name: str) -> Path:
        p = Path(self.values[("paths", name)]).expanduser()
        return p if p.is_absolute() else (self.base / p)

    @property
    def language(self) -> str:
        return self.get("output", "language")

    def with_values(self, **changes: Any) -> "Config":
        """Copy with `section__name=value` overrides (tests, benchmarks)."""
        values = dict(self.values)
        for key, value in changes.items():
            section, name = key.split("__", 1)
            values[(section, name)] = value
        return Config(values, self.base, self.source)


def defaults(base: Path | None = None) -> Config:
    return Config({(s.section, s.name): s.default for s in SETTINGS}, (base or Path.cwd()).resolve())


def load(path: Path | None, *, required: bool = False) -> Config:
    """Read a config.toml; a missing default file means the embedded defaults."""
    if path is None or not path.exists():
        if required and path is not None:
            raise ConfigError(f"config file not found: {path}")
        return defaults(path.parent if path is not None else None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    values = {(s.section, s.name): s.default for s in SETTINGS}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: '{section}' must be a [section]")
        for name, value in table.items():
            setting = _BY_KEY.get((section, name))
            if setting is None:
                raise ConfigError(f"{path}: unknown setting '{section}.{name}'")
            if type(value) is not type(setting.default) and not (
                isinstance(setting.default, float) and isinstance(value, int)
            ):
                raise ConfigError(
                    f"{path}: '{section}.{name}' must be {type(setting.default).__name__}, got {value!r}"
                )
            if setting.choices and value not in setting.choices:
                raise ConfigError(
                    f"{path}: '{section}.{name}' must be one of {', '.join(setting.choices)}; got {value!r}"
                )
            values[(section, name)] = value
    return Config(values, path.parent.resolve(), path)


def render_toml() -> str:
    """The shipped config.toml: every key, its default, its help as a comment."""
    out = ["# syncservice configuration. Paths are relative to this file.",
           "# Generated from syncservice/config.py SETTINGS (python -m syncservice.config)."]
    section = None
    for s in SETTINGS:
        if s.section != section:
            section = s.section
            out += ["", f"[{section}]"]
        help_text = s.help + (" One of: " + ", ".join(f'"{c}"' for c in s.choices) if s.choices else "")
        out.append(f"# {help_text}")
        out.append(f"{s.name} = {_toml_value(s.default)}")
    return "\n".join(out) + "\n"


def render_markdown_table() -> str:
    rows = ["| key | default | what it does |", "|---|---|---|"]
    for s in SETTINGS:
        rows.append(f"| `{s.section}.{s.name}` | `{_toml_value(s.default)}` | {s.help} |")
    return "\n".join(rows)


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 10_000 else str(value)
    return str(value)


if __name__ == "__main__":
    print(render_toml(), end="")
