"""Daily backups of the SQLite file, restoring one, and the one-line storage error messages.

Backups live in ``<dbdir>/backups/rollminder-YYYY-MM-DD.db`` (0o600 files in a 0o700 directory);
the newest :data:`BACKUP_KEEP` are kept. Each is written with SQLite's backup API (a consistent
copy, even while other processes write) into a temporary file that is then renamed into place, so a
reader never sees half a backup and processes racing for the same day simply replace one complete
copy by another. :meth:`SqliteStore.open` only backs up a file that passed the integrity check, so a
damaged database never pushes good backups out.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import time
from pathlib import Path

from rollminder.errors import StorageError
from rollminder.store import migrations

BACKUP_KEEP = 7
BACKUP_DIR_NAME = "backups"
_DAILY = re.compile(r"^rollminder-(\d{4})-(\d{2})-(\d{2})\.db$")
#: ``rollminder backup now`` writes rollminder-manual-YYYYmmddTHHMMSS.db; listed, never pruned.
_MANUAL = re.compile(r"^rollminder-manual-(\d{8}T\d{6})\.db$")
_TEMP_PREFIX = ".rollminder-"
_STALE_TEMP_SECONDS = 3600.0


def backup_dir_for(db_path: Path) -> Path:
    return Path(db_path).parent / BACKUP_DIR_NAME


def daily_backup_path(db_path: Path, now: dt.datetime) -> Path:
    """Today's backup file (the UTC date of ``now``)."""
    day = now.astimezone(dt.UTC).date().isoformat()
    return backup_dir_for(db_path) / f"rollminder-{day}.db"


def _stamp(name: str) -> str | None:
    """A sort key in time order: 'YYYYmmddTHHMMSS' (a daily backup sorts at its day's start)."""
    daily = _DAILY.match(name)
    if daily:
        return "".join(daily.groups()) + "T000000"
    manual = _MANUAL.match(name)
    return manual.group(1) if manual else None


def list_backups(backup_dir: Path) -> list[Path]:
    """The backups in ``backup_dir`` (daily and manual), oldest first."""
    try:
        names = os.listdir(backup_dir)
    except (FileNotFoundError, NotADirectoryError):
        return []
    keyed = sorted((stamp, name) for name in names if (stamp := _stamp(name)) is not None)
    return [Path(backup_dir) / name for _, name in keyed]


def latest_backup(backup_dir: Path) -> Path | None:
    found = list_backups(backup_dir)
    return found[-1] if found else None


def prune_backups(backup_dir: Path, keep: int = BACKUP_KEEP) -> None:
    """Delete all but the newest ``keep`` daily backups, and leftovers of killed backup runs."""
    daily = [path for path in list_backups(backup_dir) if _DAILY.match(path.name)]
    for old in daily[: max(len(daily) - keep, 0)]:
        old.unlink(missing_ok=True)
    cutoff = time.time() - _STALE_TEMP_SECONDS
    for leftover in Path(backup_dir).glob(f"{_TEMP_PREFIX}*.tmp*"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink(missing_ok=True)
        except FileNotFoundError:  # pragma: no cover - another process removed it first
            pass


def backup_database(conn: sqlite3.Connection, dest: Path) -> None:
    """Copy the database behind ``conn`` to ``dest`` (0o600), atomically (temp file + rename)."""
    import tempfile  # only needed once a day: keep it off the per-command import path

    dest = Path(dest)
    try:
        _private_dir(dest.parent)
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".tmp", dir=dest.parent)
        os.close(fd)  # mkstemp made it 0o600; SQLite keeps the mode
    except OSError as exc:
        raise StorageError(f"Cannot write the backup {dest}: {exc.strerror or exc}.") from exc
    temp = Path(temp_name)
    try:
        target = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.backup(target)
            # The copy inherits the WAL flag; make it one self-contained file.
            target.execute("PRAGMA journal_mode = DELETE").fetchone()
        finally:
            target.close()
        os.chmod(temp, 0o600)
        os.replace(temp, dest)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StorageError(f"Cannot write the backup {dest}: {exc.strerror or exc}.") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


#: The web app's secrets are settings rows under this prefix (``SqliteStore.secret``).
SECRET_PREFIX = "web:"
#: The one secret a restore keeps from the backup when the current ones cannot be read: without
#: it a password-protected web app would open to anyone.
_PASSWORD_KEY = SECRET_PREFIX + "password"

Secrets = dict[str, list[tuple[str, str]]]  # profile name -> [(settings key, value)]


def _read_secrets(conn: sqlite3.Connection) -> Secrets:
    found: Secrets = {}
    rows = conn.execute(
        'SELECT p.name, s."key", s.value FROM settings s JOIN profiles p ON p.id = s.profile_id '
        'WHERE substr(s."key", 1, ?) = ? ORDER BY p.name, s."key"',
        (len(SECRET_PREFIX), SECRET_PREFIX),
    ).fetchall()
    for name, key, value in rows:
        found.setdefault(str(name), []).append((str(key), str(value)))
    return found


def _current_secrets(db_path: Path) -> Secrets | None:
    """The secrets of the database at ``db_path``; None when there is none or it is unreadable."""
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    try:
        conn = _connect_read_only(db_path)
        try:
            return _read_secrets(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def _replace_secrets(path: Path, current: Secrets | None) -> None:
    """Give the database at ``path`` (a private copy of the backup) the ``current`` secrets
    instead of its own, for every profile both have. With ``current`` None (no readable database
    now) only the backup's password hash stays: its session key and feed and action links are
    dropped, so the web app makes new ones and no link or cookie of the backup's time works."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            'DELETE FROM settings WHERE substr("key", 1, ?) = ? AND "key" != ?',
            (len(SECRET_PREFIX), SECRET_PREFIX, "" if current is not None else _PASSWORD_KEY),
        )
        for name, pairs in (current or {}).items():
            row = conn.execute("SELECT id FROM profiles WHERE name = ?", (name,)).fetchone()
            if row is None:
                continue  # a profile the backup does not have: its secrets are made anew
            conn.executemany(
                'INSERT INTO settings (profile_id, "key", value) VALUES (?, ?, ?)',
                [(row[0], key, value) for key, value in pairs],
            )
        conn.execute("COMMIT")
    finally:
        conn.close()


def restore_backup(
    db_path: Path,
    backup_path: Path,
    *,
    now: dt.datetime | None = None,
    with_secrets: bool = False,
) -> Path | None:
    """Replace the database at ``db_path`` by the backup at ``backup_path``.

    The backup is checked first (integrity check, a rollminder database of a schema this version
    knows); if it fails, :class:`StorageError` is raised and nothing changes. The current database
    is never destroyed: it is kept next to it, and that path is returned (None if there was none).

    The web app's secrets (password hash, session key, calendar feed and Done/Snooze links) stay
    the current ones unless ``with_secrets``: a link or password revoked since the backup was made
    stays revoked. They are swapped in a private copy of the backup before it replaces anything,
    so no reader ever sees the backup's secrets.

    - A usable current database is first copied to ``<db>.before-restore-<stamp>``, then the
      backup is written into it with SQLite's backup API. That takes SQLite's own write lock, so it
      is safe while the web app or the daemon have the file open: they see the restored data at
      their next transaction, and no process keeps writing into a replaced file.
    - A damaged or foreign file cannot be written through SQLite (and no rollminder process can use
      it), so it is renamed to ``<db>.damaged-<stamp>`` (with its -wal/-shm files, moved first so a
      stale WAL never sits next to the new file), and a copy of the backup is renamed into place.
    """
    db_path, backup_path = Path(db_path), Path(backup_path)
    _validate_backup(backup_path)
    if with_secrets:
        return _restore(db_path, backup_path, now)
    current = _current_secrets(db_path)
    _private_dir(db_path.parent)
    copy = db_path.with_name(f"{_TEMP_PREFIX}restore-{os.getpid()}-{time.monotonic_ns()}.db")
    try:
        try:
            _copy_file(backup_path, copy)
            _replace_secrets(copy, current)
        except OSError as exc:
            raise StorageError(f"Cannot restore {db_path}: {exc.strerror or exc}.") from exc
        except sqlite3.Error as exc:
            raise storage_error(exc, db_path) from exc
        return _restore(db_path, copy, now)
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


def _restore(db_path: Path, backup_path: Path, now: dt.datetime | None) -> Path | None:
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    try:
        if not db_path.exists() or db_path.stat().st_size == 0:
            _private_dir(db_path.parent)
            _copy_file(backup_path, db_path)
            return None
        live = _open_if_usable(db_path)
        if live is not None:
            aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
            try:
                backup_database(live, aside)
                source = _connect_read_only(backup_path)
                try:
                    source.backup(live)
                finally:
                    source.close()
            finally:
                live.close()
            return aside
        aside = db_path.with_name(f"{db_path.name}.damaged-{stamp}")
        for suffix in ("-journal", "-wal", "-shm"):
            side = Path(f"{db_path}{suffix}")
            if side.exists():
                os.replace(side, f"{aside}{suffix}")
        os.replace(db_path, aside)
        _copy_file(backup_path, db_path)
        return aside
    except OSError as exc:
        raise StorageError(f"Cannot restore {db_path}: {exc.strerror or exc}.") from exc
    except sqlite3.Error as exc:
        raise storage_error(exc, db_path) from exc


def _validate_backup(backup_path: Path) -> None:
    def refuse(reason: str) -> StorageError:
        return StorageError(
            f"The backup {backup_path} cannot be restored: {reason}. Nothing was changed."
        )

    if not backup_path.is_file():
        raise refuse("there is no such file")
    latest = migrations.latest_version()
    try:
        conn = _connect_read_only(backup_path)
        try:
            check = [row[0] for row in conn.execute("PRAGMA integrity_check(3)")]
            app_id, version = conn.execute(
                "SELECT * FROM pragma_application_id, pragma_user_version"
            ).fetchone()
            recorded = None
            if app_id == migrations.APPLICATION_ID:
                recorded = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise refuse(str(exc)) from exc
    if check != ["ok"]:
        raise refuse(f"it is damaged ({'; '.join(map(str, check))[:200]})")
    if app_id != migrations.APPLICATION_ID or recorded != version:
        raise refuse("it is not a rollminder database")
    if not 1 <= version <= latest:
        raise refuse(f"it is from a newer rollminder (schema {version}; this one knows {latest})")


def _connect_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)


def _open_if_usable(db_path: Path) -> sqlite3.Connection | None:
    """A connection to the current database if it is ours and passes a quick check."""
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=15.0)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if (
            app_id == migrations.APPLICATION_ID
            and conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        ):
            return conn
    except sqlite3.DatabaseError:
        pass
    conn.close()
    return None


def _copy_file(source_path: Path, dest: Path) -> None:
    source = _connect_read_only(source_path)
    try:
        backup_database(source, dest)
    finally:
        source.close()


def _private_dir(directory: Path) -> None:
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)


# -- messages -------------------------------------------------------------------------------------


def backup_hint(db_path: Path) -> str:
    latest = latest_backup(backup_dir_for(db_path))
    if latest is None:
        return " No backup of it exists yet."
    return f" Latest backup: {latest} — restore it with 'rollminder backup restore'."


def damaged_message(db_path: Path, detail: str) -> str:
    return f"The database {db_path} is damaged ({detail}).{backup_hint(db_path)}"


_BUSY, _LOCKED, _READONLY, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 11, 13, 14, 26


def storage_error(exc: sqlite3.Error, db_path: Path) -> StorageError:
    """The one-line message for a person; "database is locked" never reaches them."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    if primary in (_BUSY, _LOCKED) or (primary is None and ("locked" in text or "busy" in text)):
        return StorageError(
            f"The database {db_path} is busy: another rollminder process kept it locked too long. "
            "Try again in a moment."
        )
    if primary in (_CORRUPT, _NOTADB):
        return StorageError(damaged_message(db_path, text))
    if primary == _FULL:
        return StorageError(f"Cannot write to the database {db_path}: the disk is full.")
    if primary == _READONLY:
        return StorageError(f"The database {db_path} is read-only here ({text}).")
    if primary == _CANTOPEN:
        return StorageError(f"Cannot open the database {db_path} ({text}).")
    return StorageError(f"The database {db_path} cannot be used ({text}).")
