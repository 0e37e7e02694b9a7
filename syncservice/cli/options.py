"""What every command shares: the --config option, loading the config, logging, and text
from a workbook made safe for a terminal. Each command module imports this, never the
group in syncservice/cli/__init__.py, which imports the command modules: no cycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from syncservice.base import config as config_mod
from syncservice.base.logs import printable

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Config file (default ./config.toml; the embedded defaults when absent). "
         "Paths in it are relative to it.")


def load_config(path: Path | None) -> config_mod.Config:
    """The config file given, or ./config.toml, or the embedded defaults where there is none;
    its time zone becomes the one every time shown and every day boundary is in."""
    from syncservice.base import localtime

    config = config_mod.load(Path("config.toml")) if path is None else config_mod.load(path, required=True)
    localtime.use(config.get("output", "timezone"))
    return config


def setup_logging(config: config_mod.Config, *, quiet: bool = False) -> None:
    from syncservice.base.logs import setup

    setup(config, console_level="WARNING" if quiet else "INFO")


def safe(text: Any) -> str:
    """Text from a workbook or a file name shown in a terminal: each control or bidi character
    as its escape ('\\n', '\\x1b'), so it can neither forge a line nor drive the terminal."""
    return printable(text)
