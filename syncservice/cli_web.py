"""`syncservice serve`: the reviewers' web view (syncservice/web.py) on its own.

Registered on the main group at the end of cli.py; like cli_service.py, it does not
import syncservice.cli at import time (a cycle).
"""

from __future__ import annotations

from pathlib import Path

import click

from syncservice import config as config_mod

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Config file (default ./config.toml; the embedded defaults when absent). "
         "Paths in it are relative to it.")


def _config(path: Path | None) -> config_mod.Config:
    if path is None:
        return config_mod.load(Path("config.toml"))
    return config_mod.load(path, required=True)


@click.command()
@click.option("--host", help="Address to listen on (default web.host, 127.0.0.1). Another address than the "
                             "loopback needs web.password_hash.")
@click.option("--port", type=click.IntRange(0, 65535), help="Port to listen on (default web.port, 8001).")
@config_option
def serve(host: str | None, port: int | None, config_path: Path | None) -> None:
    """Serve the reviewers' web view of the store (read-only): rejected files, every verdict,
    the versions of a report, who is missing, the most common errors. Ctrl-C stops it."""
    from syncservice.web import WebServer

    config = _config(config_path)
    server = WebServer(config, host, port)
    server.run(started=lambda: click.echo(f"syncservice serve: {server.url}", err=True))
