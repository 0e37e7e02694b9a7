"""`syncservice notify test [--unit U]`, and what `syncservice status` says about messages.

Registered on the main group in syncservice/cli/__init__.py; shares cli/options.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from syncservice.base import config as config_mod
from syncservice.cli.options import config_option, load_config, safe

TEXT = {
    "da": {"sent": "sendt", "failed": "IKKE sendt",
           "none_unit": "Ingen modtagere for enheden {unit!r} i [notify.units].",
           "none": "Ingen modtagere: notify.finance i config.toml er tom (eller giv --unit).",
           "targets": "Modtagere", "finance": "økonomi", "messages": "Beskeder",
           "states": {"sent": "sendt", "queued": "i kø", "sending": "sendes",
                      "uncertain": "uvis (afbrudt under afsendelse)", "cancelled": "annulleret"},
           "failing": "fejler", "last": "Seneste fejl ved afsendelse", "no_targets": "ingen"},
    "en": {"sent": "sent", "failed": "NOT sent", "none_unit": "No targets for the unit {unit!r} in [notify.units].",
           "none": "No targets: notify.finance in config.toml is empty (or give --unit).",
           "targets": "Targets", "finance": "finance", "messages": "Messages",
           "states": {"sent": "sent", "queued": "queued", "sending": "sending",
                      "uncertain": "uncertain (cut off while sending)", "cancelled": "cancelled"},
           "failing": "failing", "last": "Last sending error", "no_targets": "none"},
}


@click.group()
def notify() -> None:
    """Messages to people ([notify] in config.toml)."""


@notify.command("test")
@click.option("--unit", help="Send to this unit's targets in [notify.units] (default: notify.finance's).")
@config_option
def test_command(unit: str | None, config_path: Path | None) -> None:
    """Send a test message now, straight to each target, and say what happened to each.
    Exit 0 when every target took it, 1 when one did not, 2 when there is no target."""
    from syncservice.base.notify_targets import configured_unit, masked
    from syncservice.outputs.notify import text as notify_text
    from syncservice.service.sender import deliver

    config = load_config(config_path)
    w = TEXT.get(config.language, TEXT["da"])
    units = config.get("notify", "units")
    if unit is not None:
        name = configured_unit(unit, units)
        targets = list(units[name]) if name else []
        if not targets:
            click.echo(w["none_unit"].format(unit=unit), err=True)
            sys.exit(2)
    else:
        name, targets = None, list(config.get("notify", "finance"))
        if not targets:
            click.echo(w["none"], err=True)
            sys.exit(2)
    subject, body = notify_text.test(name, config.language)
    failed = 0
    for target in targets:
        error = deliver(target, subject, body)
        shown = safe(masked(target))
        if error is None:
            click.echo(f"{click.style(w['sent'], fg='green')}: {shown}")
        else:
            failed += 1
            click.echo(f"{click.style(w['failed'], fg='red')}: {shown}: {safe(error)}")
    sys.exit(1 if failed else 0)


# --- for `syncservice status` -------------------------------------------------------------------

def status_info(config: config_mod.Config) -> dict[str, Any]:
    """The targets, secrets masked, and the outbox's counts and last failure; never creates the store."""
    from syncservice.base.notify_targets import masked
    from syncservice.store.db import Store
    from syncservice.store.outbox import Outbox

    info: dict[str, Any] = {
        "finance": [masked(u) for u in config.get("notify", "finance")],
        "units": {unit: [masked(u) for u in urls] for unit, urls in config.get("notify", "units").items()},
        "outbox": None,
    }
    if config.path("database").exists():
        with Store.open(config.path("database")) as store:
            info["outbox"] = Outbox(store.db).summary()
    if info["outbox"] and info["outbox"]["last_error"]:
        info["outbox"]["last_error"]["target"] = masked(info["outbox"]["last_error"]["target"])
    return info


def status_lines(info: dict[str, Any], language: str) -> list[str]:
    """'Modtagere: …', 'Beskeder: 3 sendt · 1 i kø (1 fejler)', the last failure: for `status`."""

    w = TEXT.get(language, TEXT["da"])
    if not info["finance"] and not info["units"]:
        return []
    lines = [f"{w['targets']}: {w['finance']}: {', '.join(map(safe, info['finance'])) or w['no_targets']}"]
    lines += [f"  {safe(unit)}: {', '.join(map(safe, urls))}" for unit, urls in info["units"].items()]
    box = info["outbox"]
    if box:
        shown = [f"{box[state]} {word}" for state, word in w["states"].items() if box.get(state)]
        failing = f" ({box['failing']} {w['failing']})" if box["failing"] else ""
        lines.append(f"{w['messages']}: {' · '.join(shown) or '0'}{failing}")
        if box["last_error"]:
            last = box["last_error"]
            line = f"{w['last']}: {safe(last['target'])}: {safe(last['error'])}"
            lines.append(click.style(line, fg="red"))
    return lines
