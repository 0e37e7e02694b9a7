"""The reviewers' web view (syncservice serve): the real server on a free localhost port,
its pages and exports read over HTTP, everything that would write refused, and one look
through a real headless browser."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import book
from running import wait_for
from syncservice import config as config_mod
from syncservice.cli import main
from syncservice.errors import ConfigError
from syncservice.pipeline import Pipeline
from syncservice.store import Store
from syncservice.web import build, check_binding

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DB = "indberetninger"
UNITS = ["Dagtilbud Vest", "Dagtilbud Øst", "Dagtilbud Nord", "Dagtilbud Syd"]
ON = "2017-01-20"  # K4 2016 fell due on 15 January
FREDENSBORG = "Handicap og Socialpsykiatri, Fredensborg"
PAGES = ["afviste-lige-nu", "alle-afgoerelser", "versioner-af-en-rapport", "mangler", "hyppigste-fejl"]
# "password" as `datasette hash-password` hashes it (PBKDF2-SHA256, 480,000 iterations)
PASSWORD = "hemmeligt kodeord"


def noon(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=dt.UTC)


def four_quarters(unit: str) -> dict:
    lines = [[*line[:8], 1, 0, line[8] + 1] for line in book.TILGANG_LINES]
    return {"Tilgang og afgang": book.tilgang(unit=unit, quarters=4, lines=lines)}


def write_config(folder: Path, **web: object) -> Path:
    cfg = folder / "config.toml"
    lines = ["[web]", *(f"{k} = {json.dumps(v)}" for k, v in web.items()),
             "[reporting]", "units = " + json.dumps(UNITS, ensure_ascii=False),
             "[reporting.deadlines]", 'tilgang_afgang = ["15-04", "15-07", "15-10", "15-01"]']
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cfg


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A service folder whose store holds each page's cases: two versions of a handleplan (one
    figure changed), the four statuses of Mangler, a file rejected now (with its report)."""
    folder = tmp_path_factory.mktemp("site")
    config = config_mod.load(write_config(folder))
    watched = config.path("watched")
    watched.mkdir()
    with Store.open(config.path("database")) as store:
        pipeline = Pipeline(config, store)

        def arrive(name: str, source: Path | dict, day: str, status: str = "accepted") -> None:
            path = watched / name
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, path) if isinstance(source, Path) else book.save(path, source)
            pipeline.clock = lambda: noon(day)
            assert pipeline.process(path).status == status, name

        arrive("Eksempler/Handleplan Fredensborg 2015.xlsx", EXAMPLES / "Handleplan Fredensborg 2015.xlsx",
               "2016-10-10")
        lines = [list(r) for r in book.HANDLEPLAN_LINES]
        lines[0][2] = round(lines[0][2] - 0.5, 6)  # one realised figure corrected downwards
        arrive("Eksempler/Handleplan Fredensborg 2015.xlsx", {"Handleplan": book.handleplan(lines=lines)},
               "2016-11-01")
        arrive("Vest/Tilgang 2016.xlsx", four_quarters("Dagtilbud Vest"), "2017-01-10")  # ok
        arrive("Øst/Tilgang 2016.xlsx", four_quarters("Dagtilbud Øst"), "2017-01-18")  # for sent
        broken = four_quarters("Dagtilbud Nord")
        book.cell(broken["Tilgang og afgang"], "C8", "ca. 5")
        arrive("Nord/Tilgang 2016.xlsx", broken, "2017-01-14", "rejected")  # afvist
        # Dagtilbud Syd never reports: mangler
    return folder


def url_from(process: subprocess.Popen, pattern: str, timeout: float = 60) -> str:
    """The address a starting process prints on stderr; it is killed if none comes in time."""
    timer = threading.Timer(timeout, process.kill)  # a child that never prints cannot hang the tests
    timer.start()
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            if found := re.search(pattern, line):
                return found.group(1).rstrip("/")
    finally:
        timer.cancel()
        timer.join()
    process.kill()
    process.wait()
    raise AssertionError("did not start:\n" + "".join(seen))


class Server:
    """`syncservice serve` in a process of its own on a free port; stopped when the test is done."""

    def __init__(self, config: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "syncservice", "serve", "--port", "0", "--config", str(config), *args],
            cwd=config.parent, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.url = url_from(self.process, r"syncservice serve: (http://\S+)")  # printed once uvicorn listens
        self.client = httpx.Client(base_url=self.url, timeout=30)
        wait_for(self._ready, timeout=30, what="the web view to answer")

    def _ready(self) -> bool:
        try:
            return self.client.get("/-/versions.json").status_code in (200, 302)
        except httpx.TransportError:
            return False

    def close(self) -> None:
        self.client.close()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()


@pytest.fixture(scope="module")
def web(site) -> Iterator[httpx.Client]:
    server = Server(site / "config.toml")
    yield server.client
    server.close()


def rows(client: httpx.Client, page: str, **params: str) -> list[dict]:
    response = client.get(f"/{DB}/{page}.json", params={"_shape": "array", **params})
    assert response.status_code == 200, response.text
    return response.json()


# --- the pages ------------------------------------------------------------------------------------

def test_afviste_lige_nu_lists_each_error_with_its_cell_message_and_report(web):
    found = rows(web, "afviste-lige-nu")
    assert {r["Fil"] for r in found} == {"Nord/Tilgang 2016.xlsx"}
    error = next(r for r in found if r["Celle"] == "C8")
    assert error["Regel"] == "value.not_number" and error["Værdi"] == "ca. 5"
    assert "ikke et tal" in error["Besked"]
    page = web.get(f"/{DB}/afviste-lige-nu").text
    assert "Afviste lige nu" in page and "ikke et tal" in page
    link = re.search(r'<a href="(/-/fejlrapport/\d+)">Tilgang 2016 - FEJL\.xlsx</a>', page)
    assert link, "no link to the rejection report"
    report = web.get(link.group(1))
    assert report.status_code == 200 and report.content[:2] == b"PK"  # the .xlsx staff got
    assert "Tilgang%202016%20-%20FEJL.xlsx" in report.headers["content-disposition"]


def test_a_report_is_served_only_for_a_file_rejected_now(web):
    accepted = rows(web, "alle-afgoerelser", afgoerelse="godkendt")[0]["Nr."]
    assert web.get(f"/-/fejlrapport/{accepted}").status_code == 404
    assert web.get("/-/fejlrapport/99999").status_code == 404


def test_alle_afgoerelser_filters_by_unit_kind_date_verdict_and_rule(web):
    every = rows(web, "alle-afgoerelser")
    assert len(every) == 5 and [r["Nr."] for r in every] == sorted((r["Nr."] for r in every), reverse=True)
    assert {r["Fil"] for r in rows(web, "alle-afgoerelser", enhed="Dagtilbud Vest")} == {"Vest/Tilgang 2016.xlsx"}
    assert {r["Skema"] for r in rows(web, "alle-afgoerelser", skema="handleplan")} == {"handleplan"}
    assert len(rows(web, "alle-afgoerelser", skema="handleplan")) == 2
    assert {r["Fil"] for r in rows(web, "alle-afgoerelser", fra="2017-01-14", til="2017-01-14")} == {
        "Nord/Tilgang 2016.xlsx"}
    rejected = rows(web, "alle-afgoerelser", afgoerelse="afvist")
    assert [r["Afgørelse"] for r in rejected] == ["afvist"] == [
        r["Afgørelse"] for r in rows(web, "alle-afgoerelser", afgoerelse="rejected")]
    assert [r["Fil"] for r in rows(web, "alle-afgoerelser", regel="value.not_number")] == ["Nord/Tilgang 2016.xlsx"]
    assert "value.not_number" in rejected[0]["Regler"]


def test_versioner_af_en_rapport_shows_who_replaced_whom_and_what_changed(web):
    found = rows(web, "versioner-af-en-rapport", skema="handleplan", enhed=FREDENSBORG, aar="2015")
    newest, oldest = found[0], found[-1]
    assert newest["Gældende"] == "ja" and newest["Erstattede"] == oldest["Version"]
    assert oldest["Erstattet af"] == newest["Version"] and oldest["Gældende"] == ""
    assert newest["Ændring"] and newest["Linje"] == book.HANDLEPLAN_LINES[0][0]
    assert float(newest["Før"]) - float(newest["Nu"]) == pytest.approx(0.5e6, rel=1e-6)  # mio. kr. → kr.
    assert oldest["Ændring"] is None  # the first version changed nothing
    assert rows(web, "versioner-af-en-rapport", skema="effekt") == []


@pytest.mark.parametrize("on", [ON, None])
def test_mangler_gives_the_statuses_syncservice_missing_gives(site, web, on):
    args = ["missing", "--json", "--config", str(site / "config.toml")] + (["--on", on] if on else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    expected = [(r["unit"], r["kind"], r["year"], r["period"], r["due"], r["status"], r["latest_file"])
                for r in json.loads(result.output)]
    shown = [(r["Enhed"], r["Skema"], r["År"], r["Periode"], r["Frist"], r["Status"], r["Seneste fil"])
             for r in rows(web, "mangler", **({"dato": on} if on else {}))]
    assert shown == expected
    if on:
        assert [r[5] for r in shown] == ["ok", "for sent", "afvist", "mangler"]


def test_hyppigste_fejl_counts_the_rules_that_reject_per_unit(web):
    found = rows(web, "hyppigste-fejl")
    assert {r["Enhed"] for r in found} == {"Dagtilbud Nord"}
    top = found[0]
    assert top["Afviste filer"] == 1 and top["Fejl"] >= 1
    assert "value.not_number" in {r["Regel"] for r in found}
    assert rows(web, "hyppigste-fejl", enhed="Dagtilbud Vest") == []


def test_pages_and_tables_are_titled_in_danish(web):
    home = web.get(f"/{DB}").text
    for title in ("Afviste lige nu", "Alle afgørelser", "Versioner af en rapport", "Mangler", "Hyppigste fejl"):
        assert title in home
    assert "latest_judged" not in home  # the store's bookkeeping is hidden
    files = web.get(f"/{DB}/files").text
    assert "Filer modtaget" in files and "Hvornår tjenesten modtog den" in files  # column descriptions


@pytest.mark.parametrize("page", PAGES)
def test_every_page_exports_csv_and_json(web, page):
    params = {"dato": ON} if page == "mangler" else {}
    as_json = rows(web, page, **params)
    response = web.get(f"/{DB}/{page}.csv", params=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len(table) == len(as_json) > 0
    assert list(table[0]) == list(as_json[0])  # the same Danish columns


# --- read-only ------------------------------------------------------------------------------------

def test_a_post_is_refused(web):
    for path in (f"/{DB}/afviste-lige-nu", f"/{DB}/files", f"/{DB}"):
        assert web.post(path, data={"sql": "DELETE FROM files"}).status_code == 405
    assert rows(web, "alle-afgoerelser")  # nothing gone


@pytest.mark.parametrize("sql", ["SELECT 1", "DELETE FROM files", "UPDATE files SET verdict = 'accepted'"])
def test_own_sql_is_refused(web, sql):
    for path in (f"/{DB}", f"/{DB}.json", f"/{DB}/files"):
        response = web.get(path, params={"sql": sql} if path != f"/{DB}/files" else {"_where": "1=1"})
        assert response.status_code in (400, 403), (path, response.status_code)  # 400: not a SELECT
    assert web.get("/_memory", params={"sql": sql}).status_code == 404  # no scratch database either


def test_no_write_gets_through_even_a_canned_write_query(site):
    """Two walls: a POST never reaches Datasette; and Datasette's own write path (what a
    canned query with write: true or a plugin's execute_write uses) meets a read-only connection."""
    config = config_mod.load(site / "config.toml")
    ds = build(config)
    ds._metadata_local["databases"][DB]["queries"]["skriv"] = {"sql": "DELETE FROM findings", "write": True}

    async def attempt() -> int:
        await ds.invoke_startup()
        page = await ds.client.get(f"/{DB}/skriv")
        token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
        response = await ds.client.post(f"/{DB}/skriv", data={"csrftoken": token},
                                        cookies={"ds_csrftoken": page.cookies["ds_csrftoken"]})
        with pytest.raises(sqlite3.OperationalError, match="attempt to write a readonly database"):
            await ds.get_database(DB).execute_write("DELETE FROM findings")
        return response.status_code

    assert asyncio.run(attempt()) == 405
    for db in ds.databases.values():
        db.close()
    with Store.open(config.path("database")) as store:
        assert store.counts()["files"] == 5 and store.log(rejected=True)[0].findings


def test_a_long_open_page_does_not_make_ingest_wait(site, tmp_path):
    """A reader in the middle of a statement on the web view's own connection (a page being
    streamed) holds a snapshot until the test lets it go; ingest must commit meanwhile (WAL)."""
    folder = tmp_path / "site"
    shutil.copytree(site, folder)
    config = config_mod.load(folder / "config.toml")
    ds = build(config)
    reading, release = threading.Event(), threading.Event()

    def read_slowly(conn) -> int:
        n = 0
        for _ in conn.execute("SELECT * FROM findings, files"):
            n += 1
            if n == 1:
                reading.set()
                assert release.wait(60)
        return n

    reader = threading.Thread(target=lambda: asyncio.run(ds.get_database(DB).execute_fn(read_slowly)))
    reader.start()
    try:
        assert reading.wait(30)
        book.save(config.path("watched") / "Syd/Tilgang 2016.xlsx", four_quarters("Dagtilbud Syd"))
        done = threading.Event()

        def ingest() -> None:
            with Store.open(config.path("database")) as store:
                tally = Pipeline(config, store).ingest()
            assert [o.status for o in tally.outcomes] == ["accepted"]
            done.set()

        writer = threading.Thread(target=ingest)
        writer.start()
        writer.join(20)
        assert done.is_set(), "ingest waited for the reader"
        assert not release.is_set()  # the reader was open all along
    finally:
        release.set()
        reader.join(30)
    for db in ds.databases.values():
        db.close()


# --- who may see it -------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_binding_elsewhere_without_a_password_is_refused(site, host):
    result = CliRunner().invoke(main, ["serve", "--host", host, "--config", str(site / "config.toml")])
    assert result.exit_code == 2
    assert f"refusing to serve the web view on {host}" in result.output and "web.password_hash" in result.output


def test_run_with_the_web_view_on_another_address_is_refused_before_it_starts(tmp_path):
    cfg = write_config(tmp_path, enabled=True, host="0.0.0.0")
    result = CliRunner().invoke(main, ["run", "--config", str(cfg)])
    assert result.exit_code == 2 and "refusing to serve" in result.output
    assert not (tmp_path / "state").exists()  # nothing started


def test_with_a_password_hash_another_address_is_allowed():
    config = config_mod.defaults().with_values(web__password_hash="pbkdf2_sha256$…")
    check_binding(config, "0.0.0.0")
    with pytest.raises(ConfigError):
        check_binding(config_mod.defaults(), "0.0.0.0")
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1"):
        check_binding(config_mod.defaults(), host)


def test_with_a_password_hash_every_page_needs_the_login(site, tmp_path):
    from datasette_auth_passwords.utils import hash_password

    folder = tmp_path / "site"
    shutil.copytree(site, folder)
    config = write_config(folder, password_hash=hash_password(PASSWORD))
    server = Server(config)
    try:
        client = server.client
        for path in (f"/{DB}/afviste-lige-nu", f"/{DB}/afviste-lige-nu.csv", f"/{DB}/files.json", "/-/metadata.json",
                     "/-/fejlrapport/1"):
            response = client.get(path)
            assert response.status_code == 302 and response.headers["location"] == "/-/login", path
        assert PASSWORD not in client.get("/-/login").text
        login = client.get("/-/login")
        token = re.search(r'name="csrftoken" value="([^"]+)"', login.text).group(1)
        wrong = client.post("/-/login", data={"username": "revisor", "password": "forkert", "csrftoken": token})
        assert wrong.status_code == 200 and "ds_actor" not in client.cookies
        right = client.post("/-/login", data={"username": "revisor", "password": PASSWORD, "csrftoken": token})
        assert right.status_code == 302 and "ds_actor" in client.cookies
        assert "ikke et tal" in client.get(f"/{DB}/afviste-lige-nu").text
        assert "password_hash" in client.get("/-/metadata.json").text  # named, but only as $env
        assert hash_password(PASSWORD)[:20] not in client.get("/-/metadata.json").text
    finally:
        server.close()


def test_run_serves_the_web_view_beside_the_watcher(site, tmp_path):
    folder = tmp_path / "site"
    shutil.copytree(site, folder)
    cfg = write_config(folder, enabled=True, port=0)
    process = subprocess.Popen([sys.executable, "-m", "syncservice", "run", "--config", str(cfg)], cwd=folder,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = url_from(process, r"web view: (http://\S+)")
        with httpx.Client(base_url=url, timeout=30) as client:
            assert "ikke et tal" in client.get(f"/{DB}/afviste-lige-nu").text
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        process.stderr.close()


# --- what a person sees ---------------------------------------------------------------------------

def chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium and chromium-driver are not installed")
def test_a_reviewer_sees_the_pages_in_a_real_browser(web, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService
    from selenium.webdriver.common.by import By

    browser, driver_path = chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900",
                 "--lang=da-DK"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=DriverService(driver_path), options=options)
    shots = ROOT / "docs" if os.environ.get("SYNCSERVICE_SCREENSHOTS") else tmp_path
    try:
        driver.get(f"{web.base_url}/{DB}/afviste-lige-nu")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Afviste lige nu"
        table = driver.find_element(By.CSS_SELECTOR, "table.rows-and-columns")
        headings = [th.text for th in table.find_elements(By.CSS_SELECTOR, "th")]
        assert headings[:4] == ["Fil", "Modtaget", "Ark", "Celle"] and "Fejlrapport" in headings
        assert "ikke et tal" in table.text
        assert driver.find_element(By.LINK_TEXT, "Tilgang 2016 - FEJL.xlsx").is_displayed()
        assert driver.find_element(By.PARTIAL_LINK_TEXT, "CSV").is_displayed()  # the exports, on the page
        assert driver.save_screenshot(str(shots / "web-afviste.png"))

        driver.get(f"{web.base_url}/{DB}/mangler?dato={ON}")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Mangler"
        statuses = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "td.col-Status")]
        assert statuses == ["ok", "for sent", "afvist", "mangler"]
        assert driver.save_screenshot(str(shots / "web-mangler.png"))
    finally:
        driver.quit()
