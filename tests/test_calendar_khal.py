"""A real calendar client reads the feed: khal imports the export and lists local times and alarms.

khal runs from its own virtualenv (khal pins icalendar<8; DESIGN.md "Pitfalls"), made once from
tests/khal-requirements.txt under .venv/ and reused while that file is unchanged. Without network
access the venv cannot be made: the tests then skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Runner
from tests.need import missing

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = Path(__file__).with_name("khal-requirements.txt")


def _unavailable(why: str) -> None:
    missing(f"khal unavailable: {why}")


@pytest.fixture(scope="session")
def khal() -> Path:
    """The khal executable, in a venv keyed by the requirements' content."""
    key = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    venv = ROOT / ".venv" / f"khal-{key}"
    exe = venv / "bin" / "khal"
    ready = venv / ".ready"
    if not ready.exists():
        shutil.rmtree(venv, ignore_errors=True)
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if made.returncode != 0:
            _unavailable(f"python -m venv failed: {made.stderr.strip()[-300:]}")
        pip = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if pip.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            _unavailable(f"pip install failed: {pip.stderr.strip()[-300:]}")
        ready.touch()
    return exe


def khal_config(tmp: Path, local_tz: str) -> Path:
    (tmp / "cal").mkdir(parents=True, exist_ok=True)
    config = tmp / "khal.conf"
    config.write_text(
        f"""[calendars]
[[rm]]
path = {tmp / "cal"}
[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = {local_tz}
default_timezone = {local_tz}
""",
        encoding="utf-8",
    )
    return config


def run_khal(khal: Path, config: Path, *args: str) -> str:
    env = {**os.environ, "HOME": str(config.parent), "XDG_DATA_HOME": str(config.parent / "data")}
    done = subprocess.run(
        [str(khal), "-c", str(config), *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def listed(khal: Path, config: Path, first: str, last: str) -> list[dict[str, object]]:
    out = run_khal(
        khal,
        config,
        "list",
        "--day-format",
        "",
        *("--json", "start", "--json", "end", "--json", "title", "--json", "uid"),
        *("--json", "alarms-list"),
        first,
        last,
    )
    rows: list[dict[str, object]] = []
    for line in out.splitlines():
        if line.strip():
            rows += json.loads(line)
    return rows


def test_khal_lists_the_plans_local_times_and_alarms(
    khal: Path, rm: Runner, tmp_path: Path
) -> None:
    # A Berlin plan at 02:30 on Wed and Sun, made in the week before the autumn change.
    setup = rm(
        *("setup", "--needle", "0.25", "--per-week", "2", "--days", "wed,sun"),
        *("--time", "02:30", "--tz", "Europe/Berlin", "--yes"),
        now="2026-10-19T10:00+02:00",
    )
    assert setup.code == 0, setup.err
    visit = rm(
        "visit", "add", "2026-12-10 09:00", "--clinic", "Dr Skin", now="2026-10-19T10:00+02:00"
    )
    assert visit.code == 0, visit.err
    ics = tmp_path / "feed.ics"
    export = rm("calendar", "export", "--weeks", "3", "-o", str(ics), now="2026-10-19T10:00+02:00")
    assert export.code == 0, export.err

    berlin = khal_config(tmp_path / "berlin", "Europe/Berlin")
    run_khal(khal, berlin, "import", "--batch", "-a", "rm", str(ics))
    rows = listed(khal, berlin, "2026-10-19", "2026-12-31")
    sessions = [r for r in rows if r["title"] == "Derma rolling"]
    starts = [r["start"] for r in sessions]
    assert starts == [
        "2026-10-21 02:30",
        "2026-10-25 02:30",  # the fall-back day: 02:30 exists twice, listed once
        "2026-10-28 02:30",
        "2026-11-01 02:30",
        "2026-11-04 02:30",
        "2026-11-08 02:30",
    ]
    assert all(r["end"] == str(r["start"])[:-2] + "33" for r in sessions)
    for r in sessions:
        alarms = r["alarms-list"]
        assert isinstance(alarms, list)
        assert [a["delta"] for a in alarms] == [-900.0, 0.0]
        assert "Soak your roller" in alarms[0]["description"]
    (clinic,) = [r for r in rows if str(r["title"]).startswith("Clinic visit")]
    assert clinic["start"] == "2026-12-10 09:00"
    assert [a["delta"] for a in clinic["alarms-list"]] == [-86400.0]  # type: ignore[union-attr]

    # The same file seen from New York: the fall-back day's slot is its first 02:30 (CEST),
    # 00:30 UTC, 20:30 the evening before in New York (still EDT there).
    new_york = khal_config(tmp_path / "ny", "America/New_York")
    run_khal(khal, new_york, "import", "--batch", "-a", "rm", str(ics))
    ny = [r["start"] for r in listed(khal, new_york, "2026-10-19", "2026-12-31")]
    assert "2026-10-24 20:30" in ny  # 2026-10-25 02:30 CEST
    assert "2026-10-27 21:30" in ny  # 2026-10-28 02:30 CET (Berlin changed, New York not yet)
    assert "2026-11-03 20:30" in ny  # 2026-11-04 02:30 CET, New York on EST
