"""Issue 18 item 6: one stored row the code cannot read (put there with raw sqlite3) is left out
and named, never a crash: the CLI's history, next, stats and export carry on and say which row
it was; `rollminder doctor` lists such rows and `--fix` deletes them after confirmation."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from rollminder.cli import main
from rollminder.env import Env
from rollminder.service import Rollminder

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def damaged_env(tmp_path: Path) -> tuple[Env, str]:
    """A planned data folder with three sessions, one of them with 'garbage' as its start."""
    env = Env(home=tmp_path / "home", clock=lambda: NOW)
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        app.set_plan(needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin")
        ids = [
            app.log_session(at=NOW - dt.timedelta(days=d), minutes=10).session.id for d in (2, 6, 9)
        ]
    bad = ids[1]
    with sqlite3.connect(env.db_path) as conn:
        conn.execute("UPDATE sessions SET start = 'garbage' WHERE id = ?", (bad,))
    return env, bad


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Env, str]:
    env, bad = damaged_env(tmp_path)
    monkeypatch.setenv("ROLLMINDER_HOME", str(env.home))
    monkeypatch.setenv("ROLLMINDER_NOW", NOW.isoformat())
    return env, bad


@pytest.mark.parametrize(
    "argv",
    [
        ["history"],
        ["history", "--json"],
        ["next"],
        ["status"],
        ["stats"],
        ["stats", "--json"],
        ["export"],
        ["export", "--format", "csv"],
    ],
)
def test_commands_leave_the_bad_row_out_and_name_it(
    home: tuple[Env, str], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, bad = home
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "unexpected problem" not in out + err and "Traceback" not in out + err
    assert bad[:8] in err and "rollminder doctor" in err
    assert len(err.splitlines()) <= 2


def test_history_shows_the_other_sessions(
    home: tuple[Env, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    sessions = rows if isinstance(rows, list) else rows["sessions"]
    assert len([r for r in sessions if r.get("kind", "session") == "session"]) >= 2


def test_doctor_lists_and_fixes(
    home: tuple[Env, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, bad = home
    assert main(["doctor"]) == 1  # something to fix
    out = capsys.readouterr().out
    assert bad in out and "sessions" in out and "garbage" in out and "start" in out
    assert main(["doctor", "--json"]) == 1
    listed = json.loads(capsys.readouterr().out)
    assert [{k: v for k, v in row.items() if k != "problem"} for row in listed] == [
        {"table": "sessions", "id": bad, "column": "start", "value": "garbage"}
    ]
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["doctor", "--fix"]) == 1  # not confirmed: nothing deleted
    capsys.readouterr()
    with sqlite3.connect(env.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 3
    assert main(["doctor", "--fix", "--yes"]) == 0
    assert "Deleted 1" in capsys.readouterr().out
    with sqlite3.connect(env.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 2
    assert main(["doctor"]) == 0
    assert "No damaged rows" in capsys.readouterr().out
    assert main(["history"]) == 0
    assert "doctor" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("sessions", "zones", "not json"),
        ("sessions", "created_at", "2026-13-45"),
        ("skips", "slot", "garbage"),
        ("plans", "time", "25:99"),
        ("pauses", "first", "x"),
        ("rollers", "added", "yesterday"),
        ("visits", "at", ""),
    ],
)
def test_any_bad_column_is_named(
    tmp_path: Path,
    table: str,
    column: str,
    value: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = Env(home=tmp_path / "home", clock=lambda: NOW)
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        app.set_plan(needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin")
        app.log_session(at=NOW - dt.timedelta(days=2), minutes=10)
        app.skip(reason="travel")
        first = NOW.date() + dt.timedelta(days=30)
        app.pause(first, first + dt.timedelta(days=3))
        app.add_roller(label="blue", needle_mm=0.25)
        app.add_visit(at=NOW + dt.timedelta(days=40), clinic="Dr. K")
    with sqlite3.connect(env.db_path) as conn:
        conn.execute(f'UPDATE {table} SET "{column}" = ?', (value,))
    monkeypatch.setenv("ROLLMINDER_HOME", str(env.home))
    monkeypatch.setenv("ROLLMINDER_NOW", NOW.isoformat())
    for argv in (["history"], ["next"], ["stats"], ["export"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert "unexpected problem" not in out + err, (argv, err)
        assert code in (0, 1), (argv, err)
    assert main(["doctor"]) == 1
    assert table in capsys.readouterr().out
