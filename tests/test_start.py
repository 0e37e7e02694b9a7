"""start.sh, the quick start's first command: the examples go into watched/ only when it
holds no workbook, so a restart never reverts a person's edits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path):
    """A copy of the project's start script beside the real examples, with the install
    step and the service stood in for (both are tested elsewhere)."""
    shutil.copy(ROOT / "start.sh", tmp_path / "start.sh")
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("*.xlsx"))
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "install.sh").write_text("exit 0\n")
    bin_ = tmp_path / ".venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_ / "syncservice").write_text("#!/bin/sh\necho \"service started: $*\"\n")
    for script in bin_.iterdir():
        script.chmod(0o755)
    return tmp_path


def start(project: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(["bash", str(project / "start.sh")], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_start_puts_the_examples_in_an_empty_watched_folder_and_says_what_to_open(project):
    out = start(project)
    assert sorted(p.name for p in (project / "watched").glob("*.xlsx")) == [
        "Bruttobesparelse Ballerup 2016.xlsx", "Effekt Herning 2020.xlsx", "Effekt realiseret Høje-Taastrup 2016.xlsx",
        "Handleplan Fredensborg 2015.xlsx", "Tilgang og afgang Ballerup 2016.xlsx"]
    assert "output/Samlet oversigt.xlsx" in out and "Ctrl-C" in out
    assert out.rstrip().endswith("service started: run")


def test_start_leaves_a_watched_folder_with_workbooks_as_it_is(project):
    start(project)
    edited = project / "watched" / "Handleplan Fredensborg 2015.xlsx"
    wb = load_workbook(edited)
    wb.active["B3"] = "Min egen enhed"
    wb.save(edited)
    (project / "watched" / "Effekt Herning 2020.xlsx").unlink()
    out = start(project)
    assert load_workbook(edited).active["B3"].value == "Min egen enhed"
    assert not (project / "watched" / "Effekt Herning 2020.xlsx").exists()
    assert "Eksempler lagt" not in out
