"""Reading Loop Habit Tracker's files (issue 17): its CSV export and its SQLite backup.

- The CSV export is a zip: ``Habits.csv`` (a header naming ``Position`` and ``Name``, one row per
  habit) and, per habit, a folder ``NNN Name/`` holding ``Checkmarks.csv``: one line per day,
  ``YYYY-MM-DD,VALUE`` (a notes column may follow; a header line may come first).
- The SQLite backup (``Loop Habits Backup YYYY-MM-DD HHMMSS.db``): tables ``Habits`` (``id``,
  ``name``) and ``Repetitions`` (``habit``, ``timestamp`` in milliseconds since the epoch at
  UTC midnight of the day, ``value``, and ``notes`` in newer versions).

Values come in two encodings: numbers before Loop 2.3.1 (2 done by hand, 1 done automatically,
0 not done, 3 skipped, -1 unknown) and words after (YES_MANUAL, YES_AUTO, NO, SKIP, UNKNOWN).
Only a by-hand yes is a session (Loop's automatic yes means "not expected that day"); a skip is
a skip; the rest is nothing. This module reads only: the use case decides what becomes a row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rollminder.errors import ImportFailed

YES, SKIP = "yes", "skip"
_WORDS = {"YES_MANUAL": YES, "SKIP": SKIP, "YES_AUTO": "", "NO": "", "UNKNOWN": ""}
_NUMBERS = {2: YES, 3: SKIP, 1: "", 0: "", -1: ""}
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    day: dt.date
    what: str  # YES or SKIP
    note: str = ""


@dataclass(frozen=True)
class Habit:
    name: str
    entries: tuple[Entry, ...]


class _Bad(Exception):
    pass


def meaning(value: object) -> str:
    """YES, SKIP or "" for one value in either encoding; _Bad for a value Loop never writes."""
    text = str(value).strip()
    if text.upper() in _WORDS:
        return _WORDS[text.upper()]
    try:
        number = int(text)
    except ValueError:
        raise _Bad(f"a value {text[:20]!r} that Loop does not write") from None
    if number not in _NUMBERS:
        raise _Bad(f"a value {number} that Loop does not write")
    return _NUMBERS[number]


def read_loop(path: Path) -> list[Habit]:
    """Every habit in a Loop file (CSV zip or SQLite backup); ImportFailed, one line naming the
    file, for anything else."""
    name = path.name
    try:
        if not path.is_file():
            raise _Bad("it is not a file")
        if path.stat().st_size > MAX_BYTES:
            raise _Bad("it is larger than 50 MB")
        with path.open("rb") as fh:
            head = fh.read(16)
        if head.startswith(b"SQLite format 3\x00"):
            habits = _from_sqlite(path)
        elif head.startswith(b"PK"):
            habits = _from_zip(path)
        else:
            raise _Bad("it is neither Loop's CSV export (a zip) nor its backup (.db)")
    except _Bad as bad:
        raise ImportFailed(f"Cannot import {name}: {bad}. Nothing was changed.") from None
    except (OSError, sqlite3.Error, zipfile.BadZipFile, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFailed(
            f"Cannot import {name}: it is not a Loop Habit Tracker file ({type(exc).__name__}). "
            "Nothing was changed."
        ) from None
    if not habits:
        raise ImportFailed(f"Cannot import {name}: it holds no habit. Nothing was changed.")
    return habits


def _from_sqlite(path: Path) -> list[Habit]:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"Habits", "Repetitions"} <= tables:
            raise _Bad("it is an SQLite file but not a Loop Habit Tracker backup")
        columns = {r[1] for r in conn.execute("PRAGMA table_info(Repetitions)")}
        notes = "notes" if "notes" in columns else "''"
        habit_columns = {r[1] for r in conn.execute("PRAGMA table_info(Habits)")}
        order = "position, id" if "position" in habit_columns else "id"
        query = (
            f"SELECT timestamp, value, {notes} FROM Repetitions WHERE habit = ? ORDER BY timestamp"
        )
        habits = []
        for hid, hname in conn.execute(f"SELECT id, name FROM Habits ORDER BY {order}"):
            entries = []
            for stamp, value, note in conn.execute(query, (hid,)):
                what = meaning(value)
                if what:
                    entries.append(Entry(_day(stamp), what, str(note or "")))
            habits.append(Habit(str(hname or ""), tuple(entries)))
        return habits
    except sqlite3.OperationalError as exc:
        raise _Bad("it is an SQLite file but not a Loop Habit Tracker backup") from exc
    finally:
        conn.close()


def _day(stamp: object) -> dt.date:
    try:
        ms = int(str(stamp))
        return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()
    except (ValueError, OverflowError, OSError):
        raise _Bad(f"a date {str(stamp)[:20]!r} that Loop does not write") from None


def _from_zip(path: Path) -> list[Habit]:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        if "Habits.csv" not in names:
            raise _Bad("it is a zip but not Loop Habit Tracker's CSV export (no Habits.csv)")
        rows = list(csv.reader(io.StringIO(_text(archive, "Habits.csv"))))
        if not rows:
            raise _Bad("its Habits.csv is empty")
        header = [h.strip().lower() for h in rows[0]]
        if "name" not in header:
            raise _Bad("its Habits.csv has no Name column")
        at_name = header.index("name")
        at_position = header.index("position") if "position" in header else None
        folders: dict[str, str] = {}
        for n in names:
            p = PurePosixPath(n)
            if p.name == "Checkmarks.csv" and len(p.parts) == 2:
                folders[p.parts[0]] = n
        habits = []
        for i, row in enumerate(rows[1:], start=1):
            if not row or len(row) <= at_name:
                continue
            hname = row[at_name]
            position = row[at_position] if at_position is not None and len(row) > at_position else i
            member = _folder_for(folders, hname, position, i)
            entries = _checkmarks(_text(archive, member)) if member else ()
            habits.append(Habit(hname, entries))
        return habits


def _folder_for(folders: dict[str, str], name: str, position: object, index: int) -> str | None:
    """The Checkmarks.csv of a habit: its folder is "NNN Name" (Loop numbers them from 001)."""
    for folder, member in folders.items():
        number, _, rest = folder.partition(" ")
        if rest.strip() == name.strip():
            return member
    for folder, member in folders.items():
        number = folder.partition(" ")[0]
        if number.isdigit() and int(number) in (index, _int(position) + 1, _int(position)):
            return member
    return None


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -10


def _text(archive: zipfile.ZipFile, member: str) -> str:
    info = archive.getinfo(member)
    if info.file_size > MAX_BYTES:
        raise _Bad(f"its {member} is larger than 50 MB")
    return archive.read(member).decode("utf-8-sig")


def _checkmarks(text: str) -> tuple[Entry, ...]:
    entries = []
    for n, row in enumerate(csv.reader(io.StringIO(text))):
        if not row or not "".join(row).strip():
            continue
        if n == 0 and row[0].strip().lower() == "date":
            continue
        if len(row) < 2:
            raise _Bad(f"line {n + 1} of a Checkmarks.csv has no value")
        try:
            day = dt.date.fromisoformat(row[0].strip())
        except ValueError:
            raise _Bad(f"line {n + 1} of a Checkmarks.csv has no date") from None
        what = meaning(row[1])
        if what:
            entries.append(Entry(day, what, row[2].strip() if len(row) > 2 else ""))
    return tuple(entries)
