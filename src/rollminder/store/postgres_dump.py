"""``backup_now`` for PostgreSQL: every table's rows in COPY's text format, in one file.

The file is plain text::

    rollminder postgresql backup
    schema 1
    table profiles id,name,created_at
    <rows in COPY text format: one line each, tabs between values, \\N for NULL>
    \\.
    table plans ...

It is read in one consistent snapshot (the caller's REPEATABLE READ transaction) with the
caller's rights: the owner of the tables copies every profile, the app's role under row-level
security only its own profile's rows. :func:`load` writes such a file into an empty, migrated
database (as the owner). Operators back up a whole hosted database with ``pg_dump``
(docs/hosting.md); this file is what ``rollminder backup now`` writes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rollminder.errors import StorageError
from rollminder.store.postgres_schema import PROFILE_TABLES

if TYPE_CHECKING:
    import psycopg

MAGIC = "rollminder postgresql backup"
TABLES = ("profiles", *PROFILE_TABLES)


def _columns(conn: psycopg.Connection[Any], table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = %s AND is_generated = 'NEVER' "
        "ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _schema_version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def dump(conn: psycopg.Connection[Any], dest: Path) -> None:
    """Write what ``conn`` can read to ``dest`` (0o600, atomically; its folder 0o700)."""
    try:
        if not dest.parent.exists():
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(dest.parent, 0o700)
        fd, temp_name = tempfile.mkstemp(prefix=".rollminder-", suffix=".tmp", dir=dest.parent)
    except OSError as exc:
        raise StorageError(f"Cannot write the backup {dest}: {exc.strerror or exc}.") from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(f"{MAGIC}\nschema {_schema_version(conn)}\n".encode())
            for table in TABLES:
                columns = _columns(conn, table)
                quoted = ", ".join(f'"{c}"' for c in columns)
                out.write(f"table {table} {','.join(columns)}\n".encode())
                order = "id" if table == "profiles" else "profile_id"
                query = f"COPY (SELECT {quoted} FROM {table} ORDER BY {order}) TO STDOUT"
                with conn.cursor().copy(query) as copy:
                    for chunk in copy:
                        out.write(bytes(chunk))
                out.write(b"\\.\n")
        os.chmod(temp, 0o600)
        os.replace(temp, dest)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StorageError(f"Cannot write the backup {dest}: {exc.strerror or exc}.") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def load(conn: psycopg.Connection[Any], source: Path) -> None:
    """Read a :func:`dump` file into the (empty, migrated) database of ``conn``, as its owner,
    in the caller's transaction."""
    with open(source, "rb") as lines:
        if lines.readline().decode().strip() != MAGIC:
            raise StorageError(f"{source} is not a rollminder PostgreSQL backup.")
        schema = lines.readline().decode().split()
        if len(schema) != 2 or int(schema[1]) > _schema_version(conn):
            raise StorageError(f"{source} is from a newer schema: run 'rollminder db migrate'.")
        while header := lines.readline().decode():
            kind, table, columns = header.split(" ", 2)
            if kind != "table" or table not in TABLES:
                raise StorageError(f"{source} is damaged (at {header[:40]!r}).")
            quoted = ", ".join(f'"{c}"' for c in columns.strip().split(","))
            with conn.cursor().copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for line in lines:
                    if line == b"\\.\n":
                        break
                    copy.write(line)
            for column in ("id", "seq"):
                if column in columns.strip().split(",") and (table == "profiles") == (
                    column == "id"
                ):
                    conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                        f"coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
                    )
