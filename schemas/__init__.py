"""The workbook kinds. Each module here declares one `KIND`; adding a module adds a kind.

Modules whose names start with '_' are helpers, not kinds. Two kinds that could both read
one sheet are refused at start, naming both: which of them reads it must never depend on
the modules' names.
"""

from __future__ import annotations

import importlib
import pkgutil
from itertools import combinations

from syncservice.errors import ConfigError
from syncservice.layout import Kind


def discover() -> dict[str, Kind]:
    """{kind name: Kind} for every module in this package, in name order."""
    kinds: dict[str, Kind] = {}
    modules: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, Kind):
            if kind.name in kinds:
                raise ConfigError(f"schemas/{info.name}.py and schemas/{modules[kind.name]}.py both declare "
                                  f"the kind {kind.name!r}")
            kinds[kind.name] = kind
            modules[kind.name] = info.name
    refuse_overlaps(kinds, modules)
    return kinds


def refuse_overlaps(kinds: dict[str, Kind], modules: dict[str, str]) -> None:
    """ConfigError when one kind would read a sheet holding only another's required header
    labels (WORKBOOKS.md §1 "Header row"): a sheet two kinds can read is never decided by
    module name order."""
    from syncservice.locate import claims  # here: the engine's header matching, run once at start

    for a, b in combinations(kinds.values(), 2):
        if claims(a, b) or claims(b, a):
            raise ConfigError(
                f"the kinds {a.name!r} (schemas/{modules[a.name]}.py) and {b.name!r} (schemas/{modules[b.name]}.py) "
                "could both read the same sheet: their required header labels claim each other's header. "
                "Give one of them a required column the other does not have.")


KINDS = discover()
