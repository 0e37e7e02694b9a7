"""Settings: each declared once with its default and help (as Datasette's SETTINGS).

The shipped config.toml and the README's table are generated from SETTINGS
(`python -m syncservice.base.config`), and tests/test_config.py keeps them in step.
Paths resolve relative to the config file, so the service can run from anywhere.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncservice.base import localtime, notify_targets, reporting
from syncservice.base.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    section: str
    name: str
    default: Any
    help: str
    is_path: bool = False
    choices: tuple[str, ...] = ()
    # For a list or a table: checks a value read from config.toml and returns the value used;
    # a ValueError says what is wrong, naming the key. Replaces the type and choices checks.
    parse: Callable[[Any], Any] | None = None
    # lines shown commented out in config.toml; a callable where they depend on the kinds found
    example: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()

    def example_lines(self) -> tuple[str, ...]:
        return self.example() if callable(self.example) else self.example


def _deadlines_example() -> tuple[str, ...]:
    """One line per kind in schemas/: four quarterly deadlines where it reports by quarter, else one."""
    from schemas import KINDS

    return tuple(f'{name} = ["15-04", "15-07", "15-10", "15-01"]' if kind.quarters else f'{name} = ["15-12"]'
                 for name, kind in KINDS.items())


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
    Setting("output", "timezone", localtime.DEFAULT,
            "Time zone (an IANA name) of every time a person reads: the consolidated workbook, `history`, "
            "`log`, `status`, the reports; and of the day boundaries of deadlines and `log --since`.",
            parse=localtime.parse),
    Setting("watch", "observer", "native",
            "How `run` notices saves: the operating system's events, or polling the folder. Choose "
            "\"polling\" when the watched folder is an SMB/CIFS or NFS mount that other machines write "
            "to: native events (inotify) never see their changes.", choices=("native", "polling")),
    Setting("watch", "poll_seconds", 5.0, "With observer = \"polling\": seconds between two scans of the folder."),
    Setting("watch", "settle_seconds", 1.0,
            "A file is processed once no event came for it, and its size and modification time stayed "
            "the same, for this many seconds (and an .xlsx opens as a zip)."),
    Setting("watch", "rescan_minutes", 10,
            "Minutes between full scans of the folder while running, to catch events the system "
            "dropped (inotify overflow, network hiccups); 0 turns them off."),
    Setting("watch", "unreadable_minutes", 10,
            "A file that exists but cannot be opened or read (permissions, a share refusing it) is "
            "retried with backoff; this many minutes after the first failure it is rejected as "
            "file.unreadable, listed with the rejected workbooks and named by `status` (it is still "
            "tried again on each scan). 0 rejects it at the first failure."),
    Setting("logging", "rotation", "10 MB", "Start a new human log file at this size (loguru rotation)."),
    Setting("logging", "retention", "90 days", "Delete rotated log files older than this (loguru retention)."),
    Setting("limits", "max_file_mb", 50, "A workbook file larger than this is rejected unread."),
    Setting("limits", "max_unpacked_mb", 300,
            "Largest total a workbook may unpack to (guards against zip bombs)."),
    Setting("limits", "max_rows", 200_000, "Most table rows read from one sheet."),
    Setting("limits", "max_seconds", 120,
            "Most seconds spent reading one workbook before it is rejected as too slow to read."),
    # --- the reviewers' web view (syncservice/web.py) ------------------------------------------
    Setting("web", "enabled", False,
            "Whether `run` also serves the reviewers' web view (as `syncservice serve` does), beside the watcher."),
    Setting("web", "host", "127.0.0.1",
            "Address the web view listens on. Keep 127.0.0.1 behind a reverse proxy; any other address "
            "is refused unless web.password_hash is set."),
    Setting("web", "port", 8001, "Port the web view listens on."),
    Setting("web", "base_url", "/",
            "Path the web view is served under, when a reverse proxy puts it under one (e.g. \"/syncservice/\")."),
    Setting("web", "username", "revisor", "User name to log in with, when web.password_hash is set."),
    Setting("web", "password_hash", "",
            "Turns on a login for every page: a hash from `.venv/bin/datasette hash-password` "
            "(datasette-auth-passwords, PBKDF2-SHA256). Empty: no login, so only 127.0.0.1 may be bound."),
    Setting("web", "allow_sql", False,
            "Whether reviewers may write their own SQL (SELECT only, on a read-only connection) "
            "besides the pages the web view offers."),
    # --- who must report, and when (syncservice/reporting.py) ---------------------------------
    Setting("reporting", "units", (),
            "Units that must report, each written as in the workbooks' Enhed. `missing` and the "
            "Mangler sheet chase each of them for every kind with deadlines; a workbook naming "
            "another unit gets a warning naming the closest. Empty: nobody is chased.",
            parse=reporting.parse_units, example=('units = ["Dagtilbud Vest", "Dagtilbud Øst"]',)),
    # a table, so it comes last in its section: in TOML every key after [reporting.deadlines] is in it
    Setting("reporting", "deadlines", {},
            "Per kind, the day and month (DD-MM) each period falls due: four for the quarters K1..K4, "
            "one for a yearly report. A period falls due on the first such day on or after it begins, "
            "so a K4 deadline in January is in the next year. A kind with no deadlines is not chased.",
            parse=reporting.parse_deadlines,
            example=_deadlines_example),
    # --- messages to people (syncservice/notify.py, sender.py) ---------------------------------
    Setting("notify", "finance", (),
            "Apprise URLs (one per target: mailto:// for e-mail over SMTP, workflows:// for a Teams "
            "channel, …) that get the digest the day after each deadline: who is mangler, afvist, "
            "forældet or for sent. A secret is written ${ENV_NAME} and read from the environment when "
            "sending. Empty: no digest.", parse=notify_targets.parse_targets,
            example=('finance = ["mailto://relay.example.dk:25?from=syncservice@example.dk'
                     '&to=oekonomi@example.dk"]',)),
    Setting("notify", "remind_days_before", 3,
            "Days before a deadline that each unit in reporting.units that has not reported the "
            "period gets a reminder (once per unit and period).", parse=notify_targets.parse_remind_days),
    # a table, so it comes last in its section
    Setting("notify", "units", {},
            "Per unit, as written in its workbooks' Enhed (matched however it is spelt), the Apprise "
            "URLs told when one of its workbooks is rejected (the report attached where the target "
            "takes files), when the fix is accepted, and before its deadlines. A unit not here is "
            "told nothing.", parse=notify_targets.parse_units,
            example=('"Dagtilbud Vest" = ["mailto://relay.example.dk:25?from=syncservice@example.dk'
                     '&to=leder.vest@example.dk"]',
                     '"Dagtilbud Øst" = ["mailto://${SMTP_USER}:${SMTP_PASSWORD}@smtp.example.dk:587'
                     '?from=syncservice@example.dk&to=leder.oest@example.dk", '
                     '"workflows://prod-01.westeurope.logic.azure.com/WORKFLOW/${TEAMS_SIGNATURE}"]')),
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
            if setting.parse is not None:
                try:
                    values[(section, name)] = setting.parse(value)
                except ValueError as exc:
                    raise ConfigError(f"{path}: {exc}") from None
                continue
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


# The folders the service writes into (WORKBOOKS.md §1: never read), and what each is for.
OUTPUT_FOLDERS = ("feedback", "consolidated", "archive", "logs", "state")

_PLACES = {
    "da": {"output": "paths.{key} ({path}) er den overvågede mappe eller indeholder den ({watched}): tjenesten "
                     "ville læse det, den selv skriver, eller intet. Vælg en mappe uden for den overvågede mappe "
                     "(eller en undermappe af den, som aldrig læses).",
           "database": "paths.database ({path}) ligger i den overvågede mappe ({watched}): databasen skal ligge "
                       "på en lokal disk uden for den, aldrig på drevet medarbejderne gemmer på.",
           "watched": "den overvågede mappe findes ikke eller er ikke en mappe: {watched} (paths.watched)"},
    "en": {"output": "paths.{key} ({path}) is the watched folder or contains it ({watched}): the service would "
                     "read what it writes itself, or nothing. Choose a folder outside the watched folder (or a "
                     "subfolder of it, which is never read).",
           "database": "paths.database ({path}) is under the watched folder ({watched}): the store must be on "
                       "local disk outside it, never on the drive staff save to.",
           "watched": "the watched folder does not exist or is not a folder: {watched} (paths.watched)"},
}


def check_places(config: Config) -> None:
    """Raise ConfigError, naming the key, for a place that cannot work: an output folder (the
    consolidated workbook's folder for `consolidated`) that is the watched folder or contains
    it, or a database under the watched folder. A subfolder of it for outputs is fine: never read."""
    words = _PLACES.get(config.language, _PLACES["da"])
    watched = config.path("watched").resolve()
    for key in OUTPUT_FOLDERS:
        folder = config.path(key)
        folder = (folder.parent if key == "consolidated" else folder).resolve()
        if watched.is_relative_to(folder):
            raise ConfigError(words["output"].format(key=key, path=folder, watched=watched))
    database = config.path("database").resolve()
    if database.is_relative_to(watched):
        raise ConfigError(words["database"].format(path=database, watched=watched))


def require_watched(config: Config) -> Path:
    """The watched folder, or a ServiceError in the configured language when it is not one."""
    from syncservice.base.errors import ServiceError

    watched = config.path("watched")
    if not watched.is_dir():
        raise ServiceError(_PLACES.get(config.language, _PLACES["da"])["watched"].format(watched=watched))
    return watched


def render_toml() -> str:
    """The shipped config.toml: every key, its default, its help as a comment."""
    out = ["# syncservice configuration. Paths are relative to this file.",
           "# Generated from syncservice/base/config.py SETTINGS (python -m syncservice.base.config)."]
    section = None
    for s in SETTINGS:
        if s.section != section:
            section = s.section
            out += ["", f"[{section}]"]
        help_text = s.help + (" One of: " + ", ".join(f'"{c}"' for c in s.choices) if s.choices else "")
        if isinstance(s.default, dict):  # a table of its own; empty by default, the example commented out
            out += ["", f"[{s.section}.{s.name}]", f"# {help_text}", *(f"# {line}" for line in s.example_lines())]
            out += [f"{k} = {_toml_value(v)}" for k, v in s.default.items()]
            continue
        out.append(f"# {help_text}")
        out += [f"# Example: {line}" for line in s.example_lines()]
        out.append(f"{s.name} = {_toml_value(s.default)}")
    return "\n".join(out) + "\n"


def render_markdown_table() -> str:
    rows = ["| key | default | what it does |", "|---|---|---|"]
    for s in SETTINGS:
        rows.append(f"| `{s.section}.{s.name}` | `{_toml_value(s.default)}` | {s.help} |")
    return "\n".join(rows)


def _toml_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 10_000 else str(value)
    return str(value)


if __name__ == "__main__":
    print(render_toml(), end="")
