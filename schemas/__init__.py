"""The workbook kinds. Each module here declares one `KIND`; adding a module adds a kind.

Modules whose names start with '_' are helpers, not kinds.
"""

from __future__ import annotations

import importlib
import pkgutil

from syncservice.layout import Kind


def discover() -> dict[str, Kind]:
    """{kind name: Kind} for every module in this package, in name order."""
    kinds: dict[str, Kind] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, Kind):
            kinds[kind.name] = kind
    return kinds


KINDS = discover()
