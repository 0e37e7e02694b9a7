"""`syncservice serve`: the reviewers' web view (syncservice/outputs/web/) on its own.

Registered on the main group in syncservice/cli/__init__.py; shares cli/options.py.
"""

from __future__ import annotations

from pathlib import Path

import click

from syncservice.cli.options import config_option, load_config


@click.command()
@click.option("--host", help="Address to listen on (default web.host, 127.0.0.1). Another address than the "
                             "loopback needs web.password_hash.")
@click.option("--port", type=click.IntRange(0, 65535), help="Port to listen on (default web.port, 8001).")
@config_option
def serve(host: str | None, port: int | None, config_path: Path | None) -> None:
    """Serve the reviewers' web view of the store (read-only): rejected files, every verdict,
    the versions of a report, who is missing, the most common errors. Ctrl-C stops it."""
    from syncservice.outputs.web.server import WebServer

    config = load_config(config_path)
    server = WebServer(config, host, port)
    server.run(started=lambda: click.echo(f"syncservice serve: {server.url}", err=True))
