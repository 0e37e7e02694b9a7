"""The web view's Datasette plugin: what SQL alone cannot give the reviewers' pages.

    mangler_paa(dato)        SQL function → JSON of syncservice.missing's standings that day
    /-/fejlrapport/<file>    the rejection report (`… - FEJL.xlsx`) of a file rejected now
    render_cell              the page Afviste lige nu links each file to its report
    asgi_wrapper             only GET and HEAD reach Datasette (and the login form's POST)
    forbidden                with a login, an anonymous visitor is sent to it, not to a 403

Registered by web.py (`pm.register`), configured through the plugin config "syncservice"
in the metadata web.py builds. Every read goes through a read-only connection.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape
from sqlite_utils import Database

from syncservice.feedback import report_paths
from syncservice.missing import standings
from syncservice.store import Store
from syncservice.web_pages import DATABASE

NAME = "syncservice"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_only(path: str | Path) -> sqlite3.Connection:
    """A connection that cannot write (mode=ro, and query_only should a mode be ignored)."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only=1")
    return conn


def _settings(datasette: Any) -> dict[str, Any]:
    return datasette.plugin_config(NAME) or {}


def mangler_paa(settings: dict[str, Any], day: str | None) -> str:
    """'2017-01-20' (blank: today) → the standings of `syncservice missing --on` that day, as JSON."""
    on = dt.date.fromisoformat(day.strip()) if day and day.strip() else dt.date.today()
    units, deadlines = settings.get("units") or [], settings.get("deadlines") or {}
    conn = read_only(settings["database"])
    try:
        rows = standings(Store(Database(conn)), units, deadlines, on)
    finally:
        conn.close()
    return json.dumps([r.as_json() for r in rows], ensure_ascii=False)


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    settings = _settings(datasette)
    if database == DATABASE and settings:
        conn.create_function("mangler_paa", 1, lambda day: mangler_paa(settings, day))


def _report(settings: dict[str, Any], rel: str) -> Path:
    return report_paths(rel, Path(settings["feedback"]), settings.get("language", "da"))[0]


async def fejlrapport(request: Any, datasette: Any) -> Response:
    """The report a file rejected now got, to download; 404 once it is cleared or superseded."""
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    settings = _settings(datasette)
    rows = await datasette.get_database(DATABASE).execute(
        "SELECT f.path FROM latest_judged n JOIN files f ON f.id = n.file_id"
        " WHERE f.id = ? AND f.verdict = 'rejected'", [int(request.url_vars["file_id"])])
    path = _report(settings, rows.first()[0]) if rows.first() else None
    if path is None or not path.is_file():
        return Response.text("Der er ingen fejlrapport for den fil nu: den er rettet, erstattet eller ryddet væk.",
                             status=404)
    return Response(path.read_bytes(), content_type=XLSX,
                    headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(path.name)}"})


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/fejlrapport/(?P<file_id>\d+)$", fejlrapport)]


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if database != DATABASE or table is not None or column != "Fejlrapport" or not isinstance(value, int):
        return None
    try:
        name = _report(_settings(datasette), row["Fil"]).name
    except (KeyError, IndexError, TypeError):
        return None
    href = datasette.urls.path(f"/-/fejlrapport/{value}")
    return Markup(f'<a href="{escape(href)}">{escape(name)}</a>')


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Only GET and HEAD, but for the login form: a POST would reach views that write
    (canned write queries) or that answer it with a server error (a read-only canned query)."""
    login = {"/-/login", datasette.urls.path("/-/login")}

    def wrap(app: Any) -> Any:
        async def read_only_app(scope: dict, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD") and scope["path"] not in login:
                response = Response.text("Kun til læsning: siden tager ikke imod indsendte data.", status=405,
                                         headers={"allow": "GET, HEAD"})
                await response.asgi_send(send)
                return
            await app(scope, receive, send)

        return read_only_app

    return wrap


@hookimpl
def forbidden(datasette: Any, request: Any, message: str) -> Any:
    if request.actor is None and datasette.plugin_config("datasette-auth-passwords"):
        return Response.redirect(datasette.urls.path("/-/login"))
    return None

