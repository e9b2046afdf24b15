"""SqliteStore specifics: migrations, damaged and foreign files, locks, backups and restore."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import datetime as dt
import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from rollminder.errors import StorageError
from rollminder.model import Plan, Session, Skip
from rollminder.store import migrations
from rollminder.store.migrations import Migration
from rollminder.store.sqlite import (
    TABLES,
    SqliteStore,
    latest_backup,
    list_backups,
    restore_backup,
)
from tests.old_rows import put_v1_session

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

UTC = dt.UTC
DAY1 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LATEST = migrations.latest_version()


def day(n: int) -> dt.datetime:
    """``n`` = 1 is DAY1."""
    return DAY1 + dt.timedelta(days=n - 1)


def a_session(hours: float = 0, **changes: object) -> Session:
    fields: dict[str, object] = {
        "start": DAY1 + dt.timedelta(hours=hours),
        "minutes": 5.0,
        "zones": ("cheeks",),
    }
    fields.update(changes)
    return Session(**{"created_at": T0, **fields})  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "home" / "rollminder.db"


@pytest.fixture
def backups(db: Path) -> Path:
    return db.parent / "backups"


def open_store(
    db: Path, now: dt.datetime = DAY1, profile: str = "default", **kw: object
) -> SqliteStore:
    return SqliteStore.open(db, profile=profile, now=now, **kw)  # type: ignore[arg-type]


def raw(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(db, isolation_level=None)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def session_ids(db: Path) -> list[str]:
    with open_store(db) as store:
        return [s.id for s in store.sessions()]


# -- creating and migrating -----------------------------------------------------------------------


def test_a_new_database_is_private_in_wal_mode_with_recorded_migrations(db: Path) -> None:
    with open_store(db) as store:
        conn = store.connection
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert conn.execute("PRAGMA busy_timeout").fetchone() == (15000,)
        assert conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
        assert conn.execute("PRAGMA user_version").fetchone() == (LATEST,)
        assert conn.execute("PRAGMA application_id").fetchone() == (migrations.APPLICATION_ID,)
        recorded = conn.execute(
            "SELECT version, name, applied_at FROM schema_migrations"
        ).fetchall()
        assert recorded == [
            (m.version, m.name, DAY1.isoformat(timespec="microseconds"))
            for m in migrations.MIGRATIONS
        ]
        # The profile's row is made by its first write, not by opening (issue 18).
        assert conn.execute("SELECT name FROM profiles").fetchall() == []
        store.put_session(a_session())
        assert conn.execute("SELECT name FROM profiles").fetchall() == [("default",)]
        assert mode(Path(f"{db}-wal")) == 0o600  # SQLite copies the database file's mode
    assert mode(db) == 0o600
    assert mode(db.parent) == 0o700


def test_every_table_has_a_column_per_dataclass_field(db: Path) -> None:
    with open_store(db) as store:
        for table in TABLES:
            columns = [r[1] for r in store.connection.execute(f"PRAGMA table_info({table.name})")]
            fields = [f.name for f in dataclasses.fields(table.cls)]
            assert sorted(columns) == sorted(["profile_id", *fields]), table.name


def test_reopening_is_idempotent_and_keeps_the_data(db: Path) -> None:
    with open_store(db) as store:
        store.put_session(a_session(id="kept"))
        schema = store.connection.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    for n in (1, 2, 3):
        with open_store(db, now=day(n)) as store:
            conn = store.connection
            assert conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema
            assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (
                len(migrations.MIGRATIONS),
            )
            assert conn.execute("SELECT count(*) FROM profiles").fetchone() == (1,)
            assert [s.id for s in store.sessions()] == ["kept"]


def test_an_empty_file_is_a_new_database(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"")
    with open_store(db) as store:
        store.put_session(a_session(id="new"))
    assert session_ids(db) == ["new"]


def _add_note_length(conn: sqlite3.Connection) -> None:
    """A migration that needs Python: fill the new column from existing rows."""
    for rowid, note in conn.execute("SELECT rowid, note FROM sessions").fetchall():
        conn.execute("UPDATE sessions SET note_length = ? WHERE rowid = ?", (len(note), rowid))


#: Two migrations after today's last one: a column added, then filled by Python.
LATEST = migrations.latest_version()
V2 = Migration(
    LATEST + 1, "sessions.note_length", "ALTER TABLE sessions ADD COLUMN note_length INTEGER;"
)
V3 = Migration(LATEST + 2, "fill note_length", _add_note_length)


def _v1_rows(store: SqliteStore) -> list[object]:
    """The rows of the tables migration 1 made, as stored (read raw: later migrations add
    columns, such as skips.catch_up, that the current row mapping expects)."""
    tables = ("plans", "sessions", "skips", "pauses", "rollers", "visits", "series")
    conn = store.connection
    out: list[object] = []
    for t in tables:
        names = [r[1] for r in conn.execute(f"PRAGMA table_info({t})")]
        names = [n for n in names if n not in V1_LATER_COLUMNS]
        quoted = ", ".join(f'"{n}"' for n in names)
        out += conn.execute(f"SELECT {quoted} FROM {t} ORDER BY id").fetchall()
    return out


#: Columns later migrations (the real ones and this file's) add to migration 1's tables.
V1_LATER_COLUMNS = frozenset({"note_length", "catch_up", "tz", "routine", "areas"})


def test_an_older_database_is_migrated_without_losing_rows(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(db, migration_list=migrations.MIGRATIONS[:1]) as store:
        put_v1_session(store, a_session(1, id="a", note="four"))
        put_v1_session(store, a_session(2, id="b", note="sixteen letters!"))
        (profile,) = store.connection.execute("SELECT min(id) FROM profiles").fetchone()
        store.connection.execute(
            "INSERT INTO skips (profile_id, id, slot, reason, created_at) VALUES (?, ?, ?, ?, ?)",
            (profile, "k", DAY1.isoformat(), "ill", T0.isoformat()),
        )
        before = _v1_rows(store)
    real = list(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*real, V2, V3])

    with open_store(db, now=day(2)) as store:
        assert _v1_rows(store) == before
        conn = store.connection
        assert conn.execute("PRAGMA user_version").fetchone() == (LATEST + 2,)
        assert conn.execute("SELECT version, name FROM schema_migrations").fetchall() == [
            *((m.version, m.name) for m in real),
            (LATEST + 1, "sessions.note_length"),
            (LATEST + 2, "fill note_length"),
        ]
        lengths = conn.execute("SELECT id, note_length FROM sessions ORDER BY id").fetchall()
        assert lengths == [("a", 4), ("b", 16)]
        store.put_session(a_session(3, id="c"))  # the new schema is writable by the store
    with open_store(db, now=day(3)) as store:
        assert [s.id for s in store.sessions()] == ["a", "b", "c"]
        assert store.connection.execute("SELECT count(*) FROM schema_migrations").fetchone() == (
            len(real) + 2,
        )


def test_each_migration_commits_on_its_own(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(db, migration_list=migrations.MIGRATIONS[:1]) as store:
        put_v1_session(store, a_session(id="a"))

    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE sessions SET note = 'touched'")
        raise RuntimeError("migration bug")

    real = list(migrations.MIGRATIONS)
    monkeypatch.setattr(
        migrations, "MIGRATIONS", [*real, V2, Migration(LATEST + 2, "bad", half_done)]
    )
    with pytest.raises(RuntimeError, match="migration bug"):
        open_store(db, now=day(2))
    conn = raw(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone() == (LATEST + 1,)
        assert conn.execute("SELECT version FROM schema_migrations").fetchall() == [
            *((m.version,) for m in real),
            (LATEST + 1,),
        ]
        assert conn.execute("SELECT note FROM sessions").fetchall() == [("",)]
    finally:
        conn.close()


# -- files that are not usable --------------------------------------------------------------------


def _random_bytes(db: Path) -> None:
    db.write_bytes(os.urandom(8192))


def _text_file(db: Path) -> None:
    db.write_text("Shopping list\n- eggs\n- milk\n" * 50)


def _foreign_sqlite(db: Path) -> None:
    conn = raw(db)
    conn.execute("CREATE TABLE songs (title TEXT, artist TEXT)")
    conn.execute("INSERT INTO songs VALUES ('Help!', 'The Beatles')")
    conn.close()


def _built_elsewhere(db: Path) -> SqliteStore:
    """A store whose file is copied to ``db`` on close (so no backup appears next to ``db``)."""
    scratch = db.parent / "scratch" / "rollminder.db"
    return SqliteStore.open(scratch, profile="default", now=DAY1)


def _copy_closed(store: SqliteStore, db: Path) -> None:
    store.close()  # checkpoints the WAL into the file
    db.write_bytes(store.path.read_bytes())


def _foreign_sqlite_in_wal_mode(db: Path) -> None:
    conn = raw(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('not rollminder')")
    conn.close()


def _newer_schema(db: Path) -> None:
    store = _built_elsewhere(db)
    store.connection.execute(f"PRAGMA user_version = {LATEST + 5}")
    _copy_closed(store, db)


def _damaged_pages(db: Path) -> None:
    """Ours, header and schema intact, but the later pages (session rows and index entries, not
    the profiles table or the schema, which were created first) overwritten, as by a disk fault.
    Only the integrity check at open notices: nothing else reads those pages before the backup."""
    store = _built_elsewhere(db)
    with store.transaction():
        for i in range(1000):
            store.put_session(a_session(i, note="x" * 300))
    _copy_closed(store, db)
    pages = db.stat().st_size // 4096
    assert pages > 80
    with db.open("r+b") as f:
        f.seek(4096 * 40)
        f.write(os.urandom(4096 * (pages - 40)))


BAD_FILES = {
    "random bytes": (_random_bytes, "damaged"),
    "text file": (_text_file, "damaged"),
    "foreign sqlite": (_foreign_sqlite, "not a rollminder database"),
    "foreign sqlite, wal": (_foreign_sqlite_in_wal_mode, "not a rollminder database"),
    "newer schema": (_newer_schema, "newer rollminder"),
    "damaged pages": (_damaged_pages, "damaged"),
}


@pytest.fixture
def good_backup(backups: Path) -> Path:
    """An earlier day's backup of a good database (another home, so the test db starts clean)."""
    other = backups.parent.parent / "earlier" / "rollminder.db"
    with open_store(other, now=day(-3)) as store:
        store.put_session(a_session(id="from-backup"))
    open_store(other, now=day(-2)).close()  # this day's backup has the session
    source = latest_backup(other.parent / "backups")
    assert source is not None
    backups.mkdir(parents=True)
    target = backups / source.name
    target.write_bytes(source.read_bytes())
    return target


@pytest.mark.parametrize("make_bad", list(BAD_FILES))
@pytest.mark.parametrize("with_backup", [True, False], ids=["backup", "no-backup"])
def test_an_unusable_file_is_refused_and_left_untouched(
    request: pytest.FixtureRequest, db: Path, backups: Path, make_bad: str, with_backup: bool
) -> None:
    backup = request.getfixturevalue("good_backup") if with_backup else None
    db.parent.mkdir(parents=True, exist_ok=True)
    damage, expected = BAD_FILES[make_bad]
    damage(db)
    before = sha256(db)
    listing = sorted(os.listdir(db.parent))
    backups_before = sorted(os.listdir(backups)) if backups.exists() else None

    with pytest.raises(StorageError) as caught:
        open_store(db, now=day(5))  # a new day: a backup would be due

    message = str(caught.value)
    assert "\n" not in message
    assert expected in message
    assert str(db) in message
    if backup is not None:
        assert f"Latest backup: {backup}" in message
        assert "rollminder backup restore" in message
    else:
        assert "No backup" in message
    assert "database is locked" not in message
    assert sha256(db) == before
    assert sorted(os.listdir(db.parent)) == listing  # no -wal/-shm left, no new file
    assert (sorted(os.listdir(backups)) if backups.exists() else None) == backups_before


# -- locks ----------------------------------------------------------------------------------------


def test_a_lock_held_too_long_is_a_one_line_storage_error(db: Path) -> None:
    open_store(db).close()
    other = raw(db)
    other.execute("BEGIN IMMEDIATE")  # another process is writing and does not stop
    try:
        with open_store(db, busy_timeout=0.2) as store:
            assert store.sessions() == []  # WAL: reading still works
            with pytest.raises(StorageError) as caught:
                store.put_session(a_session())
            with pytest.raises(StorageError) as in_block, store.transaction():
                pass
        for error in (caught.value, in_block.value):
            message = str(error)
            assert "busy" in message and str(db) in message and "\n" not in message
            assert "database is locked" not in message
            assert isinstance(error.__cause__, sqlite3.OperationalError)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert session_ids(db) == []


def test_a_writer_waits_for_a_lock_held_less_than_the_busy_timeout(db: Path) -> None:
    import threading

    with open_store(db) as store:
        store.put_session(a_session(0, id="earlier"))
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process is in the middle of a write
    other.execute("UPDATE sessions SET note = 'written by the other process'")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    try:
        with open_store(db) as store:
            release.start()
            with store.transaction():  # waits for the other writer, then sees its commit
                notes = [s.note for s in store.sessions()]
                store.put_session(a_session(1, id="after-wait", note=f"saw {notes}"))
    finally:
        release.join()
        other.close()
    with open_store(db) as store:
        after = store.session("after-wait")
    assert after is not None and after.note == "saw ['written by the other process']"


# -- queries use the indexes ----------------------------------------------------------------------


def _query_plans(store: SqliteStore, call: object) -> list[str]:
    statements: list[str] = []
    store.connection.set_trace_callback(statements.append)
    try:
        call()  # type: ignore[operator]
    finally:
        store.connection.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert selects, statements
    details: list[str] = []
    for sql in selects:
        details += [row[3] for row in store.connection.execute(f"EXPLAIN QUERY PLAN {sql}")]
    return details


def test_range_queries_use_the_indexes(db: Path) -> None:
    with open_store(db) as store:
        with store.transaction():
            for i in range(1050):  # ten years of twice-weekly sessions
                store.put_session(a_session(84 * i))
                store.put_skip(
                    Skip(slot=DAY1 + dt.timedelta(hours=84 * i + 1), reason="r", created_at=T0)
                )
        store.connection.execute("ANALYZE")
        since, until = day(100), day(200)
        calls = {
            "sessions(since, until)": (lambda: store.sessions(since, until), "sessions_by_start"),
            "last_session(before)": (lambda: store.last_session(until), "sessions_by_start"),
            "last_session()": (lambda: store.last_session(), "sessions_by_start"),
            "skips(since, until)": (lambda: store.skips(since, until), "skips_by_slot"),
        }
        for name, (call, index) in calls.items():
            details = _query_plans(store, call)
            assert any(index in d for d in details), (name, details)
            assert not any("TEMP B-TREE" in d for d in details), (name, details)
        expected = [s for s in store.sessions() if since <= s.start < until]
        assert store.sessions(since, until) == expected and len(expected) > 20


# -- backups --------------------------------------------------------------------------------------


def test_one_backup_a_day_and_the_newest_seven_are_kept(db: Path, backups: Path) -> None:
    for n in range(1, 11):
        for _ in range(2):  # the second open of the day makes no new backup
            with open_store(db, now=day(n) + dt.timedelta(hours=_)) as store:
                if _ == 0:
                    store.put_session(a_session(24 * n, id=f"day-{n}"))
        today = backups / f"rollminder-{day(n).date().isoformat()}.db"
        assert today.exists()
    kept = list_backups(backups)
    assert [p.name for p in kept] == [
        f"rollminder-{day(n).date().isoformat()}.db" for n in range(4, 11)
    ]
    assert latest_backup(backups) == kept[-1]
    assert sorted(os.listdir(backups)) == sorted(p.name for p in kept)  # no temp files left
    assert mode(backups) == 0o700
    for n, path in zip(range(4, 11), kept, strict=True):
        assert mode(path) == 0o600
        conn = raw(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # self-contained
            # Taken at the day's first open, before that day's session was logged.
            ids = {r[0] for r in conn.execute("SELECT id FROM sessions")}
        finally:
            conn.close()
        assert ids == {f"day-{k}" for k in range(1, n)}


def test_a_backup_is_not_rewritten_the_same_day(db: Path, backups: Path) -> None:
    open_store(db, now=DAY1).close()
    backup = backups / "rollminder-2026-11-20.db"
    first = backup.stat()
    with open_store(db, now=DAY1 + dt.timedelta(hours=15)) as store:
        store.put_session(a_session())
    assert backup.stat().st_mtime_ns == first.st_mtime_ns and backup.stat().st_ino == first.st_ino


def test_manual_backups_are_listed_and_never_pruned(db: Path, backups: Path) -> None:
    with open_store(db, now=day(1)) as store:
        store.put_session(a_session(id="manual"))
        manual = backups / "rollminder-manual-20261120T093000.db"
        store.backup_now(manual)
    assert mode(manual) == 0o600
    conn = raw(manual)
    assert conn.execute("SELECT id FROM sessions").fetchall() == [("manual",)]
    conn.close()
    assert latest_backup(backups) == manual  # made after that day's automatic one
    for n in range(2, 12):
        open_store(db, now=day(n)).close()
    assert manual in list_backups(backups)
    assert len([p for p in list_backups(backups) if "manual" not in p.name]) == 7
    assert latest_backup(backups) == backups / "rollminder-2026-11-30.db"


def test_backup_helpers_on_a_missing_directory(tmp_path: Path) -> None:
    assert list_backups(tmp_path / "nope") == []
    assert latest_backup(tmp_path / "nope") is None


# -- restore --------------------------------------------------------------------------------------


def test_restore_over_a_live_database_keeps_the_current_one_aside(db: Path, backups: Path) -> None:
    with open_store(db, now=day(1)) as store:
        store.put_session(a_session(id="old"))
    daemon = open_store(db, now=day(2))  # another process keeps the file open meanwhile
    try:
        daemon.put_session(a_session(5, id="newer"))
        backup = latest_backup(backups)
        assert backup is not None and backup.name == "rollminder-2026-11-21.db"

        aside = restore_backup(db, backup)

        assert [s.id for s in daemon.sessions()] == ["old"]  # sees the restored data at once
        daemon.put_session(a_session(9, id="after-restore"))
    finally:
        daemon.close()
    assert session_ids(db) == ["old", "after-restore"]
    assert aside is not None and aside.parent == db.parent
    conn = raw(aside)
    assert {r[0] for r in conn.execute("SELECT id FROM sessions")} == {"old", "newer"}
    conn.close()
    check = raw(db)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    check.close()


def test_restore_over_a_damaged_file_moves_it_aside(db: Path, backups: Path) -> None:
    with open_store(db, now=day(1)) as store:
        store.put_session(a_session(id="saved"))
    open_store(db, now=day(2)).close()  # day 2's backup has "saved"
    backup = latest_backup(backups)
    assert backup is not None
    db.write_bytes(os.urandom(16384))
    damaged = sha256(db)
    with pytest.raises(StorageError):
        open_store(db, now=day(2))

    aside = restore_backup(db, backup)

    assert aside is not None and sha256(aside) == damaged  # kept, byte for byte
    assert session_ids(db) == ["saved"]
    assert mode(db) == 0o600


def test_restore_into_a_missing_database(db: Path, good_backup: Path) -> None:
    assert restore_backup(db, good_backup) is None
    assert session_ids(db) == ["from-backup"]


@pytest.mark.parametrize("make_bad", list(BAD_FILES))
def test_a_bad_backup_is_refused_and_nothing_changes(
    tmp_path: Path, db: Path, make_bad: str
) -> None:
    with open_store(db) as store:
        store.put_session(a_session(id="current"))
    bad = tmp_path / "bad.db"
    BAD_FILES[make_bad][0](bad)
    before, listing = sha256(db), sorted(os.listdir(db.parent))

    with pytest.raises(StorageError) as caught:
        restore_backup(db, bad)

    assert str(bad) in str(caught.value) and "Nothing was changed" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert sha256(db) == before and sorted(os.listdir(db.parent)) == listing
    assert session_ids(db) == ["current"]


def test_a_missing_backup_is_refused(tmp_path: Path, db: Path) -> None:
    open_store(db).close()
    with pytest.raises(StorageError, match="no such file"):
        restore_backup(db, tmp_path / "nope.db")


# -- misc -----------------------------------------------------------------------------------------


def test_open_refuses_a_naive_now(db: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        SqliteStore.open(db, profile="default", now=dt.datetime(2026, 11, 20))


def test_a_profile_row_is_created_once(db: Path) -> None:
    for name in ("default", "alice", "default", "alice", "bob"):
        with open_store(db, profile=name) as store:
            store.put_session(a_session())  # the first write makes the profile's row
    conn = raw(db)
    names = [r[0] for r in conn.execute("SELECT name FROM profiles ORDER BY id")]
    conn.close()
    assert names == ["default", "alice", "bob"]


def test_plan_rows_are_stored_in_the_documented_encodings(db: Path) -> None:
    plan = Plan(
        needle_mm=0.25,
        sessions=2,
        every_weeks=1,
        weekdays=(0, 3),
        time=dt.time(21, 5),
        tz="Europe/Paris",
        minutes=5,
        zones=("forehead",),
        directions=("vertical",),
        passes=4,
        rest_hours=48,
        start=dt.date(2026, 11, 1),
        created_at=dt.datetime(2026, 11, 26, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    )
    with open_store(db) as store:
        store.put_plan(plan)
        row = store.connection.execute(
            'SELECT weekdays, "time", "start", created_at FROM plans'
        ).fetchone()
    assert row == ("[0, 3]", "21:05", "2026-11-01", "2026-11-26T20:00:00.000000+00:00")
