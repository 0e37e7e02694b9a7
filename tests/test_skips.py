"""A skip is visible, and where CI has every program installed (SYNCSERVICE_NO_SKIP=1,
set by .ci/run) a skip fails the run: it would mean a missing install step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _pytest(tmp_path: Path, no_skip: bool, reason: str = "soffice is not installed") -> subprocess.CompletedProcess:
    case = tmp_path / "test_case.py"
    case.write_text(f"import pytest\n\ndef test_needs_a_program():\n    pytest.skip({reason!r})\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)]),
           "SYNCSERVICE_NO_SKIP": "1" if no_skip else "0"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), str(case)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_skip_is_reported_with_its_reason(tmp_path):
    done = _pytest(tmp_path, no_skip=False)
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout


def test_where_nothing_may_be_skipped_a_skip_fails_naming_its_reason(tmp_path):
    done = _pytest(tmp_path, no_skip=True)
    assert done.returncode == 1, done.stdout
    assert ("1 failed" in done.stdout or "1 error" in done.stdout) and "soffice is not installed" in done.stdout


def test_a_skip_for_a_limit_of_the_machine_passes_even_where_nothing_may_be_skipped(tmp_path):
    """'environment: …' (no tmpfs mount in an unprivileged container) is no missing install step."""
    done = _pytest(tmp_path, no_skip=True, reason="environment: cannot mount a tmpfs here")
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout
