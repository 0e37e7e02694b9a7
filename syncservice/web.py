"""The reviewers' web view: Datasette on the store, read-only, started by `serve` or beside `run`.

    config → check_binding() → build() → Datasette (pages: web_pages.py, plugin: web_plugin.py)
           → WebServer(...).run() / .start() + .stop()

The store is opened read-only on every connection Datasette makes, the one it would write
through too (ReadOnlyStore): no page, canned query or plugin can write, and as a WAL
reader the web view never blocks the service's own writes. Not `--immutable`: that tells
SQLite the file never changes, so it would skip locking and could read a half-made commit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from syncservice import web_pages, web_plugin
from syncservice.config import Config
from syncservice.errors import ConfigError, StoreError

MAX_ROWS = 300
SETTINGS = {
    "suggest_facets": False,  # suggesting facets runs a query per column on every table page
    "allow_download": False,  # never the whole database file
    "default_cache_ttl": 0,  # a reviewer reloading sees what was just recorded
    "sql_time_limit_ms": 1000,  # a slow page ends with a message after a second
    # Most rows a page shows (and its CSV/JSON holds); a table page pages on, and streams all
    # its rows as CSV. Drawing a row costs Datasette about 20 µs a cell: 1,000 rows of the
    # widest page took 190 ms, 300 keep every page within 200 ms (bench/web.py).
    "max_returned_rows": MAX_ROWS,
}


class ReadOnlyStore(Database):
    """The store as Datasette opens it, but every connection read-only: also the write
    connection Datasette keeps for canned write queries and plugins (Database.connect)."""

    def connect(self, write: bool = False) -> sqlite3.Connection:
        conn = web_plugin.read_only(self.path)
        self._all_file_connections.append(conn)
        return conn


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(config: Config, host: str) -> None:
    """Raises ConfigError for an address other machines can reach while no login is set."""
    if not is_loopback(host) and not config.get("web", "password_hash"):
        raise ConfigError(
            f"refusing to serve the web view on {host}: anyone who can reach that address could read every "
            "verdict and figure. Set web.password_hash in config.toml (a hash from `.venv/bin/datasette "
            "hash-password`) to require a login, or keep web.host = \"127.0.0.1\" behind a reverse proxy "
            "that does the login.")


def build(config: Config) -> Datasette:
    """The Datasette app over the store named in config, with the Danish pages and the plugin."""
    path = config.path("database")
    if not path.is_file():
        raise StoreError(f"no store at {path} yet: `syncservice ingest` or `syncservice run` creates it")
    if pm.get_plugin(web_plugin.NAME) is None:
        pm.register(web_plugin, name=web_plugin.NAME)
    metadata = web_pages.metadata(config)
    metadata.setdefault("plugins", {})[web_plugin.NAME] = {
        "database": str(path), "feedback": str(config.path("feedback")), "language": config.language,
        "units": list(config.get("reporting", "units")),
        "deadlines": {k: list(v) for k, v in config.get("reporting", "deadlines").items()}}
    if config.get("web", "password_hash"):
        os.environ[web_pages.PASSWORD_ENV] = config.get("web", "password_hash")
    ds = Datasette(metadata=metadata, settings={**SETTINGS, "base_url": config.get("web", "base_url")})
    ds.add_database(ReadOnlyStore(ds, path=str(path), is_mutable=True), name=web_pages.DATABASE)
    ds.remove_database("_memory")  # Datasette adds it when given no files: a scratch database for own SQL
    return ds


class WebServer:
    """Datasette served by uvicorn on host:port: run() in this thread, or start()/stop() in one of its own."""

    def __init__(self, config: Config, host: str | None = None, port: int | None = None) -> None:
        import uvicorn

        self.host = host or config.get("web", "host")
        self.port = port if port is not None else config.get("web", "port")
        check_binding(config, self.host)
        self.datasette = build(config)
        self._server = uvicorn.Server(uvicorn.Config(self.datasette.app(), host=self.host, port=self.port,
                                                     log_level="warning", lifespan="on"))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The address served; with port 0, the port the system chose, once started."""
        port = self.port
        if self._server.started and self._server.servers:
            port = self._server.servers[0].sockets[0].getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}{self.datasette.urls.path('/')}"

    def run(self, started: Callable[[], None] | None = None) -> None:
        """Serve until stop() (or, in the main thread, Ctrl-C / SIGTERM)."""
        asyncio.run(self._serve(started))

    async def _serve(self, started: Callable[[], None] | None) -> None:
        await self.datasette.invoke_startup()
        await self.datasette.refresh_schemas()
        if started is not None:
            asyncio.get_running_loop().call_later(0, _when_started, self._server, started)
        await self._server.serve()
        if not self._server.started:  # the port was taken, say; uvicorn has logged why
            raise ConfigError(f"the web view could not listen on {self.host}:{self.port}")

    def start(self, started: Callable[[], None] | None = None) -> None:
        """Serve in a thread beside the caller (syncservice run)."""
        self._thread = threading.Thread(target=self.run, args=(started,), name="web", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)


def _when_started(server: Any, started: Callable[[], None]) -> None:
    """Calls started() once uvicorn listens (it sets .started), polling the loop, never sleeping a guess."""
    if server.started:
        started()
    elif not server.should_exit:
        asyncio.get_running_loop().call_later(0.05, _when_started, server, started)
