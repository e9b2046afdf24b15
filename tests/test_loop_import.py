"""Import from Loop Habit Tracker (issue 17): its CSV zip and its SQLite backup, both value
encodings; only a by-hand yes is a session; skips, notes, the habit's choice, idempotence."""

from __future__ import annotations

import datetime as dt
import sqlite3
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Runner

# 2 = yes by hand, 1 = yes automatically, 0 = no, 3 = skip, -1 = unknown (before Loop 2.3.1)
DAYS = [
    ("2026-11-02", 2, "felt fine"),
    ("2026-11-03", 1, ""),
    ("2026-11-05", 2, ""),
    ("2026-11-09", 3, "cold sore"),
    ("2026-11-10", 0, ""),
    ("2026-11-12", -1, ""),
    ("2026-11-16", 2, "a bit red"),
]
WORDS = {2: "YES_MANUAL", 1: "YES_AUTO", 0: "NO", 3: "SKIP", -1: "UNKNOWN"}


def loop_zip(path: Path, *, words: bool) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "Habits.csv",
            "Position,Name,Question,Description,NumRepetitions,Interval,Color\n"
            "001,Derma roller,Did you roll?,,2,7,#FF5722\n"
            "002,Read,,,1,1,#000000\n",
        )
        lines = [
            f"{day},{WORDS[v] if words else v}" + (f",{note}" if note else "")
            for day, v, note in DAYS
        ]
        archive.writestr("001 Derma roller/Checkmarks.csv", "\n".join(lines) + "\n")
        archive.writestr("001 Derma roller/Scores.csv", "2026-11-02,0.1\n")
        archive.writestr("002 Read/Checkmarks.csv", "2026-11-04,2\n")
    return path


def loop_db(path: Path, *, words: bool) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE Habits (id INTEGER PRIMARY KEY, name TEXT, position INTEGER, type INTEGER);"
        "CREATE TABLE Repetitions (id INTEGER PRIMARY KEY, habit INTEGER, timestamp INTEGER,"
        " value, notes TEXT);"
    )
    conn.execute("INSERT INTO Habits VALUES (1, 'Derma roller', 0, 0), (2, 'Read', 1, 0)")
    for day, v, note in DAYS:
        stamp = int(dt.datetime.fromisoformat(day + "T00:00+00:00").timestamp() * 1000)
        conn.execute(
            "INSERT INTO Repetitions (habit, timestamp, value, notes) VALUES (1, ?, ?, ?)",
            (stamp, WORDS[v] if words else v, note),
        )
    conn.commit()
    conn.close()
    return path


MAKERS = {"zip": loop_zip, "db": loop_db}


@pytest.mark.parametrize("words", [False, True], ids=["numbers", "words"])
@pytest.mark.parametrize("kind", ["zip", "db"])
def test_loop_files_import_to_the_right_sessions_and_skips(
    planned: Runner, tmp_path: Path, kind: str, words: bool
) -> None:
    name = "Loop Habits Backup 2026-11-20 101010.db" if kind == "db" else "Loop Habits CSV.zip"
    path = MAKERS[kind](tmp_path / name, words=words)
    several = planned("import", "--from", "loop", str(path))
    assert several.code != 0 and "Derma roller" in several.err and "Read" in several.err
    result = planned("import", "--from", "loop", str(path), "--habit", "derma roller")
    assert result.code == 0, result.err
    assert "3 sessions and 1 skip added" in result.out
    sessions = planned("history", "--json").json()
    rows = [r for r in sessions if r.get("kind", "session") == "session"] or sessions
    starts = sorted(r["start"][:16] for r in rows if "start" in r)
    # the plan's time (21:00 Berlin), on the days done by hand only
    assert starts == ["2026-11-02T21:00", "2026-11-05T21:00", "2026-11-16T21:00"]
    notes = " ".join(r.get("note", "") for r in rows)
    assert "felt fine" in notes and "a bit red" in notes and "Loop" in notes
    again = planned("import", "--from", "loop", str(path), "--habit", "Derma roller")
    assert again.code == 0 and "Nothing new" in again.out
    assert planned("history", "--json").json() == sessions


def test_a_skip_carries_its_note(planned: Runner, tmp_path: Path) -> None:
    path = loop_db(tmp_path / "b.db", words=False)
    assert planned("import", "--from", "loop", str(path), "--habit", "Derma roller").code == 0
    out = planned("export").out
    assert "Skipped in Loop Habit Tracker: cold sore" in out


@pytest.mark.parametrize(
    "content",
    [b"", b"hello world", b"SQLite format 3\x00" + b"\0" * 100, b"PK\x03\x04broken"],
    ids=["empty", "text", "bad-sqlite", "bad-zip"],
)
def test_a_malformed_or_foreign_file_is_one_line_and_changes_nothing(
    planned: Runner, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "weird.db"
    path.write_bytes(content)
    before = planned("export").out
    result = planned("import", "--from", "loop", str(path))
    assert result.code != 0
    assert len(result.err.strip().splitlines()) == 1 and "weird.db" in result.err
    assert planned("export").out == before


def test_a_foreign_sqlite_and_zip_and_bad_values(planned: Runner, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    result = planned("import", "--from", "loop", str(other))
    assert "not a Loop Habit Tracker backup" in result.err
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("readme.txt", "x")
    assert "no Habits.csv" in planned("import", "--from", "loop", str(foreign)).err
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("Habits.csv", "Position,Name\n001,Roll\n")
        archive.writestr("001 Roll/Checkmarks.csv", "2026-11-02,7\n")
    result = planned("import", "--from", "loop", str(bad))
    assert result.code != 0 and "does not write" in result.err
    assert planned("history", "--json").json() == []
