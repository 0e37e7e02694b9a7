"""Who is told: config.toml's [notify] targets → Apprise URLs per unit and for finance.

    finance = ["mailto://…"]                 → parse_targets(): a tuple of URLs
    [notify.units] "Dagtilbud Vest" = [...]  → parse_units(); for_units(): the URLs of the units a workbook names
    "${SMTP_PASSWORD}" inside a URL          → expand(): filled in from the environment when sending
    status                                   → masked(): the URL with its secrets as ****

A unit is matched as the contract folds it (units.fold), so 'dagtilbud  vest' in a
workbook reaches the targets of "Dagtilbud Vest". Nothing here sends; sender.py does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from syncservice.base.units import fold

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S")
_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?]*:)([^@/?]*)(@)")
_SECRET_ARG = re.compile(r"([?&](?:pass|password|secret|token|key|apikey)=)([^&]*)", re.I)


class MissingSecret(KeyError):
    """A ${NAME} in a target URL whose environment variable is not set."""


# --- parsing config values (config.py calls these; a ValueError names the key) ---------------

def parse_targets(value: Any, key: str = "notify.finance") -> tuple[str, ...]:
    """['mailto://…', …] → a tuple of distinct URLs, each 'scheme://…'."""
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise ValueError(f"'{key}' must be a list of Apprise URLs, e.g. [\"mailto://relay:25?from=…&to=…\"]")
    urls = tuple(u.strip() for u in value)
    for url in urls:
        if not _SCHEME.match(url):
            raise ValueError(f"'{key}': {masked(url)!r} is not an Apprise URL (scheme://…)")
    return tuple(dict.fromkeys(urls))


def parse_units(value: Any) -> dict[str, tuple[str, ...]]:
    """{unit: [URL, …]} → the same, checked; one unit named twice (however spelt) is refused."""
    if not isinstance(value, dict):
        raise ValueError("'notify.units' must be a table: [notify.units]")
    out: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for unit, urls in value.items():
        name = " ".join(unit.split())
        if not name:
            raise ValueError("'notify.units' holds an empty unit name")
        if fold(name) in seen:
            raise ValueError(f"'notify.units' names the unit {name!r} twice")
        seen.add(fold(name))
        out[name] = parse_targets(urls, f"notify.units.{name}")
    return out


# --- who gets what ----------------------------------------------------------------------------

def for_units(names: Iterable[str], units: Mapping[str, Iterable[str]]) -> list[str]:
    """The URLs of every unit in `names` (as read in workbooks), matched by fold, each once."""
    by_fold = {fold(unit): tuple(urls) for unit, urls in units.items()}
    out: dict[str, None] = {}
    for name in names:
        for url in by_fold.get(fold(name), ()):
            out[url] = None
    return list(out)


def configured_unit(name: str, units: Mapping[str, Iterable[str]]) -> str | None:
    """The spelling in [notify.units] of the unit `name` names, or None."""
    key = fold(name)
    return next((u for u in units if fold(u) == key), None)


# --- secrets ----------------------------------------------------------------------------------

def expand(url: str, environ: Mapping[str, str] | None = None) -> str:
    """Each ${NAME} filled in from the environment; MissingSecret names one that is not set."""
    env = os.environ if environ is None else environ

    def value(m: re.Match[str]) -> str:
        if m.group(1) not in env:
            raise MissingSecret(m.group(1))
        return env[m.group(1)]

    return _ENV.sub(value, url)


def masked(url: str) -> str:
    """The URL as config.toml writes it, safe to show: a ${NAME} stays a name; a password written
    into the URL itself (user:password@, ?pass=, ?token= …) is ****; a webhook's URL (its token is
    in the path) is shown as Apprise shows it privately."""
    def secret(m: re.Match[str]) -> str:
        return m.group(2) if _ENV.fullmatch(m.group(2)) else "****"

    shown = _PASSWORD.sub(lambda m: m.group(1) + secret(m) + m.group(3), url)
    shown = _SECRET_ARG.sub(lambda m: m.group(1) + secret(m), shown)
    if _ENV.search(url) or shown.split(":", 1)[0].lower() in ("mailto", "mailtos"):
        return shown  # the secrets are ${NAMES}, or masked above: what is left is no secret
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url)
    except Exception:  # an URL Apprise cannot read is shown as written, minus its password
        return shown
    return plugin.url(privacy=True) if plugin else shown


def parse_remind_days(value: Any) -> int:
    """notify.remind_days_before: a whole number of days, 0 (on the day) or more."""
    if type(value) is not int or value < 0:
        raise ValueError(f"'notify.remind_days_before' must be a whole number of days, 0 or more; got {value!r}")
    return value
