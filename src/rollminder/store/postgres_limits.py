"""Failed sign-in attempts in the PostgreSQL database (schema 4, ``login_failures``), so that
every serve process on the database counts them together (:class:`rollminder.attempts.FailureLog`).

The table is not a profile's: its rows name a limit (``scope``), a client (an address, an
account) and an instant. Each call is one statement in autocommit (one round trip); a failure
also forgets the failures older than the longest window in the same round trip.
"""

from __future__ import annotations

from typing import Any

from rollminder.store.postgres_base import give_back, pool_for, storage_error, take


def _text(client: str) -> str:
    """``client`` as PostgreSQL text (which cannot hold NUL): backslashes and NULs escaped."""
    return client.replace("\\", "\\\\").replace("\0", "\\0")


class PostgresFailures:
    """The failures of one limit (``scope``), shared by every process on ``url``."""

    def __init__(self, url: str, scope: str) -> None:
        self.url = url
        self.scope = scope
        pool_for(url)  # says in one line now if the database cannot be reached

    def recent(self, client: str, since: float) -> list[float]:
        rows = self._run(
            "SELECT extract(epoch FROM failed_at)::float8 FROM login_failures "
            "WHERE scope = %s AND client = %s AND failed_at > to_timestamp(%s) ORDER BY failed_at",
            (self.scope, _text(client), since),
            fetch=True,
        )
        return [float(row[0]) for row in rows]  # type: ignore[arg-type]

    def add(self, client: str, at: float, forget_before: float) -> None:
        self._run(
            "WITH gone AS (DELETE FROM login_failures "
            "WHERE scope = %s AND failed_at <= to_timestamp(%s)) "
            "INSERT INTO login_failures (scope, client, failed_at) "
            "VALUES (%s, %s, to_timestamp(%s))",
            (self.scope, forget_before, self.scope, _text(client), at),
        )

    def clear(self, client: str) -> None:
        self._run(
            "DELETE FROM login_failures WHERE scope = %s AND client = %s",
            (self.scope, _text(client)),
        )

    def _run(
        self, sql: str, params: tuple[object, ...], *, fetch: bool = False
    ) -> list[tuple[object, ...]]:
        import psycopg
        from psycopg_pool import PoolTimeout

        def run(conn: psycopg.Connection[Any]) -> list[tuple[object, ...]]:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if fetch else []

        pool = pool_for(self.url)
        try:
            conn, rows = take(pool, run)
            give_back(pool, conn)
        except (psycopg.Error, PoolTimeout) as exc:
            raise storage_error(exc, self.url) from exc
        return rows
