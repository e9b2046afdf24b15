"""The browser tests' own set-up: without Chromium they skip on a developer's machine and fail
under CI=true (a CI run must not pass by skipping them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = "tests/web/test_browser_pwa.py::test_offline_page_shows_no_stale_data"


def _run(ci: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env.update(CI=ci, ROLLMINDER_CHROMIUM="/nonexistent/chromium")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_chromium_fails_under_ci() -> None:
    proc = _run("true")
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "CI=true" in proc.stdout and "1 error" in proc.stdout


def test_missing_chromium_skips_elsewhere() -> None:
    proc = _run("")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "1 skipped" in proc.stdout
