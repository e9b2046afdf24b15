"""todoman, the peer CLI of the speed bench: its own venv, a config file and a vdir of ~100 todos.

todoman (pimutils) is a well-known Python CLI of the same kind: it reads a local store and prints a
listing. Its venv is reused across runs while bench/requirements-peer.txt is unchanged.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
import sys
from pathlib import Path

from bench.common import WORK, Command, clean_env, log

REQUIREMENTS = Path(__file__).resolve().parent / "requirements-peer.txt"
VENV = WORK / "todoman-venv"
HOME = WORK / "todoman"
LISTS = {"personal": 60, "chores": 40}  # list name -> number of todos (100 in all)


def ensure_venv() -> Path:
    """The ``todo`` executable, installing todoman at the pinned versions when needed."""
    marker = VENV / ".bench-requirements"
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    todo = VENV / "bin" / "todo"
    if todo.exists() and marker.exists() and marker.read_text(encoding="utf-8") == wanted:
        return todo
    log(f"bench: installing todoman into {VENV} (once; reused while {REQUIREMENTS.name} is same)")
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--no-input", "-r", str(REQUIREMENTS)], check=True)
    marker.write_text(wanted, encoding="utf-8")
    return todo


def _ics(
    uid: str, summary: str, created: dt.datetime, due: dt.datetime | None, done: bool, priority: int
) -> str:
    def stamp(t: dt.datetime) -> str:
        return t.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//rollminder//bench//EN",
        "BEGIN:VTODO",
        f"UID:{uid}",
        f"DTSTAMP:{stamp(created)}",
        f"CREATED:{stamp(created)}",
        f"LAST-MODIFIED:{stamp(created)}",
        f"SUMMARY:{summary}",
    ]
    if due is not None:
        lines.append(f"DUE:{stamp(due)}")
    if priority:
        lines.append(f"PRIORITY:{priority}")
    if done:
        lines += ["STATUS:COMPLETED", f"COMPLETED:{stamp(created)}", "PERCENT-COMPLETE:100"]
    else:
        lines.append("STATUS:NEEDS-ACTION")
    lines += ["END:VTODO", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


SUBJECTS = (
    "Buy sunscreen SPF 50",
    "Order a new 0.25 mm roller",
    "Book dermatologist appointment",
    "Water the plants",
    "Call the landlord",
    "Renew passport",
    "Pay electricity bill",
    "Clean the bathroom",
    "Return library books",
    "Pick up dry cleaning",
    "Write to grandma",
    "Back up the laptop",
)


def build(now: dt.datetime, seed: int = 3) -> tuple[Path, int, int]:
    """Write the config file and the calendars afresh. Returns (config, todos, open todos)."""
    rng = random.Random(seed)
    shutil.rmtree(HOME, ignore_errors=True)
    calendars = HOME / "calendars"
    total = pending = 0
    for name, count in LISTS.items():
        folder = calendars / name
        folder.mkdir(parents=True)
        (folder / "displayname").write_text(name.capitalize(), encoding="utf-8")
        for i in range(count):
            created = now - dt.timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 1440))
            due = now + dt.timedelta(days=rng.randint(-20, 60)) if rng.random() < 0.7 else None
            done = rng.random() < 0.2
            uid = f"bench-{name}-{i:03d}@rollminder"
            summary = f"{rng.choice(SUBJECTS)} #{i}"
            text = _ics(uid, summary, created, due, done, rng.choice((0, 0, 1, 5, 9)))
            (folder / f"{uid}.ics").write_text(text, encoding="utf-8", newline="")
            total += 1
            pending += not done
    config = HOME / "config.py"
    config.write_text(
        "# todoman configuration for rollminder's speed bench (written by bench/peer_todoman.py)\n"
        f"path = {str(calendars / '*')!r}\n"
        'date_format = "%Y-%m-%d"\n'
        'time_format = "%H:%M"\n'
        'default_list = "personal"\n'
        f"cache_path = {str(HOME / 'cache.sqlite3')!r}\n",
        encoding="utf-8",
    )
    return config, total, pending


def version() -> str:
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        if line.startswith("todoman=="):
            return line.split("==", 1)[1].strip()
    return "?"


def list_command(todo: Path, config: Path, env: dict[str, str]) -> Command:
    return Command(
        "todo list",
        (str(todo), "list"),
        clean_env({**env, "TODOMAN_CONFIG": str(config), "XDG_CACHE_HOME": str(HOME / "cache")}),
    )
