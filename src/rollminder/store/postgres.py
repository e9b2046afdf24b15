"""The hosted store: one PostgreSQL database shared by many profiles (issue #15).

Selected by a ``postgresql://`` URL (``rollminder serve --database URL`` or
``ROLLMINDER_DATABASE_URL``); psycopg is imported only then. The code is split like the SQLite
store's: :mod:`.postgres_base` (pools, transactions, the profile setting, errors),
:mod:`.postgres_log` (plan, settings, log rows, secrets), :mod:`.postgres_ledger` (the reminders'
records), :mod:`.postgres_photos` (progress photos and their images), :mod:`.postgres_schema`
(the migrations), :mod:`.postgres_dump` (``backup_now``); this module opens, migrates and
reports the schema's state.

Unlike the SQLite file, the database is not migrated when a store opens: the app may connect as
a role that cannot change the schema. ``rollminder db migrate`` (as the tables' owner) does it;
a store refuses, in one line, a database whose schema is missing, behind or newer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rollminder.errors import StorageError
from rollminder.store import postgres_schema as schema
from rollminder.store.postgres_base import (
    DatabaseUnavailable,
    close_pools,
    describe,
    pool_for,
    storage_error,
)
from rollminder.store.postgres_due import PostgresDueIndex
from rollminder.store.postgres_ledger import PostgresReminderLedger
from rollminder.store.postgres_log import (
    PostgresLogStore,
    PostgresPlanStore,
    PostgresRoutines,
    PostgresSecretStore,
    PostgresUndoJournal,
)
from rollminder.store.postgres_photos import PostgresPhotos

if TYPE_CHECKING:
    import psycopg

    from rollminder.store.roles import Store

__all__ = [
    "DatabaseUnavailable",
    "PostgresStore",
    "SchemaState",
    "close_pools",
    "describe",
    "is_database_url",
    "migrate",
    "schema_state",
]

#: Serialises migrators (two `rollminder db migrate` at once, or a deploy on several hosts).
_MIGRATION_LOCK = 0x526F6C6D


def is_database_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


class PostgresStore(
    PostgresPlanStore,
    PostgresLogStore,
    PostgresUndoJournal,
    PostgresRoutines,
    PostgresReminderLedger,
    PostgresSecretStore,
    PostgresDueIndex,
    PostgresPhotos,
):
    """The :class:`~rollminder.store.Store` for one profile of one PostgreSQL database.

    Open it with :meth:`open`. One store per thread (like the SQLite one); the pool behind it is
    shared by every store of the process on the same URL.
    """

    @classmethod
    def open(
        cls,
        url: str,
        *,
        profile: str,
        now: dt.datetime,
        migration_list: list[schema.Migration] | None = None,
        account: int | None = None,
        checked: bool = False,
        per_request: bool = False,
    ) -> PostgresStore:
        """A store of ``profile`` (of ``account``, or of no account) on the database at ``url``,
        whose schema must be current (``checked``: the caller has just checked it, as the hosted
        web app does once at start). ``per_request``: opened for one web request, whose data
        stamp rides with its first read (PostgresBase)."""
        if now.tzinfo is None:
            raise ValueError("open() needs an aware 'now'")
        if checked:
            return cls(url, profile, now, account, per_request)
        latest = schema.latest_version(migration_list)
        state = schema_state(url, migration_list)
        if state.version == 0:
            raise StorageError(
                f"The database {describe(url)} has no rollminder tables yet: "
                "run 'rollminder db migrate' first."
            )
        if state.version < latest:
            raise StorageError(
                f"The database {describe(url)} is at schema {state.version}, this rollminder "
                f"needs {latest}: run 'rollminder db migrate'."
            )
        if state.version > latest:
            raise StorageError(
                f"The database {describe(url)} was written by a newer rollminder (schema "
                f"{state.version}; this one knows up to {latest}): upgrade rollminder to use it."
            )
        return cls(url, profile, now, account, per_request)


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands: its version, what was applied when, what is pending."""

    where: str
    version: int
    latest: int
    applied: tuple[tuple[int, str, dt.datetime], ...]
    pending: tuple[tuple[int, str], ...]


def _applied(conn: psycopg.Connection[Any]) -> list[tuple[int, str, dt.datetime]]:
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute(
        "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
    ).fetchall()
    return [(int(v), str(n), at.astimezone(dt.UTC)) for v, n, at in rows]


def schema_state(url: str, migration_list: list[schema.Migration] | None = None) -> SchemaState:
    import psycopg
    from psycopg_pool import PoolTimeout

    chosen = schema.MIGRATIONS if migration_list is None else migration_list
    pool = pool_for(url)
    for attempt in range(3):
        try:
            with pool.connection() as conn:
                applied = _applied(conn)
                conn.rollback()
            break
        except psycopg.errors.AdminShutdown as exc:
            # A pooled connection the server ended (a restart, a terminated backend): the pool
            # drops its dead ones and the question is asked again on a fresh one.
            if attempt == 2:
                raise storage_error(exc, url) from exc
            pool.check()
        except (psycopg.Error, PoolTimeout) as exc:
            raise storage_error(exc, url) from exc
    done = {version for version, _, _ in applied}
    version = max(done, default=0)
    return SchemaState(
        where=describe(url),
        version=version,
        latest=schema.latest_version(chosen),
        applied=tuple(applied),
        pending=tuple((m.version, m.name) for m in chosen if m.version not in done),
    )


def migrate(
    url: str,
    *,
    now: dt.datetime,
    app_role: str | None = None,
    migration_list: list[schema.Migration] | None = None,
) -> list[schema.Migration]:
    """Apply the pending migrations, each in its own transaction with its ``schema_migrations``
    row (run as the role that owns, or will own, the tables). With ``app_role``, grant that role
    what the app needs (row-level security still applies to it). Returns what was applied."""
    import psycopg
    from psycopg_pool import PoolTimeout

    chosen = schema.MIGRATIONS if migration_list is None else migration_list
    applied: list[schema.Migration] = []
    pool = pool_for(url)
    try:
        with pool.connection() as conn:
            for migration in chosen:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                    conn.execute(schema.CREATE_SCHEMA_MIGRATIONS)
                    done = conn.execute(
                        "SELECT 1 FROM schema_migrations WHERE version = %s",
                        (migration.version,),
                    ).fetchone()
                    if done:  # (another migrator may have run it meanwhile)
                        continue
                    conn.execute(migration.sql)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) "
                        "VALUES (%s, %s, %s)",
                        (migration.version, migration.name, now),
                    )
                applied.append(migration)
            if app_role is not None:
                with conn.transaction():
                    role = conn.execute(
                        "SELECT quote_ident(rolname) FROM pg_roles WHERE rolname = %s",
                        (app_role,),
                    ).fetchone()
                    if role is None:
                        raise StorageError(
                            f"There is no role {app_role!r} in the database {describe(url)}: "
                            "create it first (docs/hosting.md)."
                        )
                    conn.execute(schema.grants(str(role[0])))
    except (psycopg.Error, PoolTimeout) as exc:
        raise storage_error(exc, url) from exc
    return applied


if TYPE_CHECKING:
    from rollminder.store.photo_store import PhotoStore

    _implements_every_role: type[Store] = PostgresStore  # mypy fails here if a role drifts
    _implements_photos: type[PhotoStore] = PostgresStore
