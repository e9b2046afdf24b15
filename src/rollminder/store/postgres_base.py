"""The PostgreSQL store's connections: the pool, transactions, the profile setting, errors, and
the maintenance role.

- One :class:`psycopg_pool.ConnectionPool` per database URL and process, shared by every store
  opened on it (the web app opens a store per thread and after each storage error: that stays
  cheap). Pooled connections are in autocommit mode: the store sends BEGIN, the profile setting
  and often the statement and COMMIT too in one pipeline, so a read costs one round trip.
- Connections are not checked when taken from the pool (that costs a round trip each time):
  when the first round trip on one fails because it was dead (the server restarted since), the
  pool drops its dead connections and the work is tried once more on a fresh one, so after a
  restart the first request still works.
- Every statement runs in a transaction that starts with ``set_config('rollminder.profile',
  <name>, true)`` and ``set_config('rollminder.account', <id>, true)`` (``SET LOCAL``, one
  statement): the row-level-security policies key on them
  (:mod:`.postgres_schema`). A write transaction holds one connection until it ends; nested
  blocks are savepoints.
- psycopg's errors never reach a person: they become :class:`StorageError` with one line; a
  server that cannot be reached (down, restarting, refusing) is :class:`DatabaseUnavailable`.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from rollminder.errors import StorageError
from rollminder.store.postgres_rows import PgTable

if TYPE_CHECKING:
    import datetime as dt

    import psycopg
    from psycopg_pool import ConnectionPool

T = TypeVar("T")

#: Seconds to wait for a connection (from the pool, or a new one) before a one-line error.
CONNECT_TIMEOUT = 5.0
#: Connections per pool and process.
POOL_MAX = 10
NO_PROFILE_YET = -1
PROFILE_ID = "SELECT id FROM profiles WHERE COALESCE(account_id, 0) = %s AND name = %s"
STAMP = "SELECT n FROM profile_versions WHERE profile = %s"
#: Profile ids this process has read, by (URL, account, name): a store opened per request
#: (hosted mode) starts from the id and checks it in its first read's round trip (the look-up
#: rides in the same pipeline) instead of a round trip of its own; a database made again (a
#: restore) gives other ids, which that check finds. Cleared past the bound.
_KNOWN_IDS: dict[tuple[str, int | None, str], int] = {}
_KNOWN_MAX = 100_000
#: The row-level-security keys of a transaction (``SET LOCAL``): its profile, and its account
#: ('' for the profiles of no account: the CLI's and single-household runs on a URL).
SET_KEYS = (
    "SELECT set_config('rollminder.profile', %s, true), set_config('rollminder.account', %s, true)"
)


class DatabaseUnavailable(StorageError):
    """The database server cannot be reached right now (down, restarting, refusing us)."""


def describe(url: str) -> str:
    """Where a URL points, for messages: 'postgresql://user@host:port/db', never a password."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(url)
    except Exception:
        return "the database URL"
    host = str(parts.get("host") or "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


def one_line(exc: BaseException) -> str:
    """The first line of a driver's message (psycopg adds DETAIL and HINT lines)."""
    text = str(exc).strip().splitlines()
    first = text[0].strip() if text else type(exc).__name__
    return first.removeprefix("FATAL:").removeprefix("ERROR:").strip().rstrip(".")[:300]


def storage_error(exc: BaseException, url: str) -> StorageError:
    import psycopg
    from psycopg_pool import PoolTimeout

    where = describe(url)
    if isinstance(exc, PoolTimeout):
        return DatabaseUnavailable(
            f"The database {where} cannot be reached right now (no connection within "
            f"{CONNECT_TIMEOUT:g} s); try again when it is back."
        )
    if isinstance(exc, psycopg.OperationalError) and not isinstance(
        exc, psycopg.errors.QueryCanceled
    ):
        return DatabaseUnavailable(
            f"The database {where} cannot be reached right now ({one_line(exc)}); "
            "try again when it is back."
        )
    return StorageError(f"The database {where} refused a change: {one_line(exc)}.")


# -- pools, one per URL and process ---------------------------------------------------------------

_POOLS: dict[str, ConnectionPool] = {}
_POOLS_LOCK = threading.Lock()


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.execute("SET TIME ZONE 'UTC'")


def pool_for(url: str) -> ConnectionPool:
    """The process's pool for ``url``, made (and its first connection checked) on first use."""
    with _POOLS_LOCK:
        pool = _POOLS.get(url)
        if pool is not None and not pool.closed:
            return pool
        import psycopg
        from psycopg_pool import ConnectionPool

        try:  # a first connection, to say exactly what is wrong (URL, password, no database)
            psycopg.connect(url, connect_timeout=int(CONNECT_TIMEOUT)).close()
        except (psycopg.Error, ValueError) as exc:
            if isinstance(exc, psycopg.OperationalError):
                raise DatabaseUnavailable(
                    f"Cannot connect to the database {describe(url)}: {one_line(exc)}."
                ) from exc
            raise StorageError(f"The database URL is not usable: {one_line(exc)}.") from exc
        pool = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_MAX,
            timeout=CONNECT_TIMEOUT,
            kwargs={"connect_timeout": int(CONNECT_TIMEOUT), "autocommit": True},
            configure=_configure,
            reconnect_timeout=0,  # keep trying while the server is down
            name="rollminder",
            open=True,
        )
        _POOLS[url] = pool
        return pool


def close_pool(url: str) -> None:
    """Close this process's pool for ``url`` (before the database is dropped, in tests)."""
    with _POOLS_LOCK:
        pool = _POOLS.pop(url, None)
        for key in [k for k in _KNOWN_IDS if k[0] == url]:  # a database made again: new ids
            _KNOWN_IDS.pop(key, None)
    if pool is not None:
        pool.close(timeout=1.0)


def close_pools() -> None:
    """Close every pool of this process (at exit; tests call it between clusters)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
        _KNOWN_IDS.clear()
    for pool in pools:
        pool.close(timeout=1.0)


atexit.register(close_pools)


def give_back(pool: ConnectionPool, conn: psycopg.Connection[Any]) -> None:
    """Return ``conn`` to ``pool``, its transaction (if one is still open) rolled back."""
    import psycopg
    from psycopg import pq

    if not conn.broken and conn.info.transaction_status != pq.TransactionStatus.IDLE:
        with suppress(psycopg.Error):
            conn.execute("ROLLBACK")
    pool.putconn(conn)


def take(pool: ConnectionPool, first: Callable[[psycopg.Connection[Any]], T]) -> tuple[Any, T]:
    """A pooled connection and what ``first`` made of it (its first round trip). When that fails
    because the connection was dead (the server restarted since it was last used), the pool
    drops its dead connections and ``first`` is tried again (twice at most) on a fresh one.
    The caller gives the connection back with :func:`give_back`."""
    import psycopg

    for attempt in range(3):
        conn = pool.getconn()
        try:
            return conn, first(conn)
        except psycopg.OperationalError as exc:
            # A connection the server ended (a restart, pg_terminate_backend: 57P01) is dead
            # even when psycopg has not marked it so yet; several pooled ones may be.
            dead = conn.broken or isinstance(exc, psycopg.errors.AdminShutdown)
            give_back(pool, conn)
            if attempt == 2 or not dead:
                raise
            pool.check()
        except BaseException:
            give_back(pool, conn)
            raise
    raise AssertionError("unreachable")  # pragma: no cover


# -- the store's base -----------------------------------------------------------------------------


class PostgresBase:
    """One profile of one PostgreSQL database: what the row methods build on."""

    def __init__(
        self,
        url: str,
        profile: str,
        opened_at: dt.datetime,
        account: int | None = None,
        per_request: bool = False,
    ) -> None:
        self.url = url
        self.profile = profile
        #: The account owning the profile (hosted mode), or None: a profile of no account.
        self.account = account
        self._account_key = "" if account is None else str(int(account))
        self._pool: ConnectionPool | None = pool_for(url)
        self._pid = _KNOWN_IDS.get((url, account, profile), NO_PROFILE_YET)
        self._pid_checked = False  # a known id is checked by the first read (or write)
        #: A store opened for one unit of work (a hosted web request, a worker preparing one
        #: profile's pass): its data stamp is read in the round trip of its first read, and
        #: each read's rows are kept, until it writes (the unit is one moment: the planner
        #: asks for the routines two dozen times a pass, bench/workers.py).
        self._per_request = per_request
        self._stamp: int | None = None
        self._kept: dict[tuple[Any, ...], list[Any]] = {}
        self._opened_at = opened_at
        self._conn: psycopg.Connection[Any] | None = None  # inside a transaction block
        self._made_profile = False

    @property
    def path(self) -> Path | None:
        return None

    # -- connections and transactions -------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            yield
        except (psycopg.Error, PoolTimeout) as exc:
            raise storage_error(exc, self.url) from exc

    def _live_pool(self) -> ConnectionPool:
        if self._pool is None:
            raise StorageError("This database connection is closed.")
        return self._pool

    def _take(self, first: Callable[[psycopg.Connection[Any]], T]) -> tuple[Any, T]:
        return take(self._live_pool(), first)

    def _begin(self, conn: psycopg.Connection[Any]) -> None:
        """BEGIN and the row-level-security keys, in one round trip."""
        with conn.pipeline():
            conn.execute("BEGIN")
            conn.execute(SET_KEYS, (self.profile, self._account_key))

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The open transaction's connection, or a new transaction on a pooled one."""
        if self._conn is not None:
            yield self._conn
            return
        with self._errors():
            conn, _ = self._take(self._begin)
            pool = self._live_pool()
            try:
                yield conn
                conn.execute("COMMIT")
            finally:
                give_back(pool, conn)

    def _read(self, sql: str, params: Sequence[Any], *, check: bool = False) -> list[Any]:
        """One read outside a transaction block: BEGIN, the setting, ``sql`` and COMMIT in one
        pipeline (one round trip). With ``check``, the profile's id is looked up in the same
        round trip; when it is not the one ``params`` started with (a database made again), the
        id is corrected and the read done again."""

        stamp = self._per_request and self._stamp is None

        def run(conn: psycopg.Connection[Any]) -> tuple[list[Any], Any, Any]:
            with conn.pipeline():
                conn.execute("BEGIN")
                conn.execute(SET_KEYS, (self.profile, self._account_key))
                cursor = conn.execute(sql, params)
                looked = (
                    conn.execute(PROFILE_ID, (self.account or 0, self.profile)) if check else None
                )
                counted = conn.execute(STAMP, (params[0],)) if stamp else None
                conn.execute("COMMIT")
            return (
                cursor.fetchall(),
                looked.fetchone() if looked is not None else None,
                counted.fetchone() if counted is not None else None,
            )

        with self._errors():
            conn, (rows, found, counted) = self._take(run)
            give_back(self._live_pool(), conn)
        if check:
            self._pid_checked = True
            actual = int(found[0]) if found is not None else NO_PROFILE_YET
            if actual != self._pid:
                _KNOWN_IDS.pop((self.url, self.account, self.profile), None)
                self._pid = actual
                if actual == NO_PROFILE_YET:
                    return []
                return self._read(sql, (actual, *params[1:]))
        if stamp:
            self._stamp = int(counted[0]) if counted is not None else 0
        return rows

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write transaction; a nested call joins it as a savepoint."""
        if self._conn is not None:
            made_before = self._made_profile
            try:
                with self._errors(), self._conn.transaction():
                    yield
            except BaseException:
                if self._made_profile and not made_before:  # made in the undone savepoint
                    self._pid, self._made_profile = NO_PROFILE_YET, False
                raise
            return
        try:
            with self._connection() as conn:
                self._conn = conn
                try:
                    yield
                finally:
                    self._conn = None
                    self._stamp = None  # a write moves it: read again
                    self._kept.clear()
        except BaseException:
            if self._made_profile:  # its row went with the rollback
                self._pid = NO_PROFILE_YET
            raise
        finally:
            self._made_profile = False

    # -- the profile's row (made on the first write) ----------------------------------------------

    def _profile_id(self, conn: psycopg.Connection[Any], *, write: bool) -> int:
        if self._pid == NO_PROFILE_YET or not self._pid_checked:
            self._pid_checked = True
            if write:
                conn.execute(
                    "INSERT INTO profiles (name, account_id, created_at) VALUES (%s, %s, %s) "
                    "ON CONFLICT ((COALESCE(account_id, 0)), name) DO NOTHING",
                    (self.profile, self.account, self._opened_at),
                )
                self._made_profile = True
            row = conn.execute(PROFILE_ID, (self.account or 0, self.profile)).fetchone()
            if row is None:  # not made yet (or a known id of a database made again)
                self._pid = NO_PROFILE_YET
            else:
                self._pid = int(row[0])
                if not self._made_profile:  # read, not made in a transaction that may roll back
                    if len(_KNOWN_IDS) >= _KNOWN_MAX:
                        _KNOWN_IDS.clear()
                    _KNOWN_IDS[(self.url, self.account, self.profile)] = self._pid
        return self._pid

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of ``sql``, whose first parameter is the profile's id (prepended here)."""
        if self._conn is None and self._pid != NO_PROFILE_YET:
            if not (self._per_request and self._pid_checked):
                return self._read(sql, (self._pid, *params), check=not self._pid_checked)
            key = (sql, self._pid, *params)
            try:
                rows = self._kept.get(key)
            except TypeError:  # a parameter that is not hashable (a list): read each time
                return self._read(sql, (self._pid, *params))
            if rows is None:
                rows = self._kept[key] = self._read(sql, (self._pid, *params))
            return list(rows)
        with self._connection() as conn, self._errors():
            pid = self._profile_id(conn, write=False)
            if pid == NO_PROFILE_YET:
                return []
            return conn.execute(sql, (pid, *params)).fetchall()

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        rows = self._query(sql, params)
        return int(rows[0][0]) if rows else 0

    def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run ``sql`` (first parameter: the profile's id, prepended here); rows changed."""
        with self.transaction(), self._connection() as conn, self._errors():
            pid = self._profile_id(conn, write=True)
            return conn.execute(sql, (pid, *params)).rowcount

    def _write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.transaction(), self._connection() as conn, self._errors():
            pid = self._profile_id(conn, write=True)
            with conn.cursor() as cursor:
                cursor.executemany(sql, [(pid, *row) for row in rows])

    def _rows(self, table: PgTable[T], clause: str = "", params: Sequence[Any] = ()) -> list[T]:
        rows = self._query(f"{table.select} {clause}", params)
        return [table.decode(row) for row in rows]

    def _put(self, table: PgTable[T], obj: T) -> None:
        self._write(table.upsert, table.encode(obj))

    def _delete(self, table: PgTable[Any], id: str) -> bool:
        return self._write(table.delete, (id,)) > 0

    # -- maintenance ------------------------------------------------------------------------------

    def data_stamp(self) -> tuple[int, int]:
        """The profile's write counter (migration 12: moved in the writing transaction by the
        rows each statement changed, so it moves exactly when a write of this profile commits;
        other profiles' writes leave it); the second part is always 0."""
        if self._stamp is not None:  # read with this request's first read (per_request)
            return self._stamp, 0
        n = self._count(STAMP)
        if self._per_request and self._conn is None:
            self._stamp = n
        return n, 0

    def backup_now(self, dest: Path) -> None:
        """Write the rows this connection may read (every profile for the tables' owner; only
        this profile for the app's role under row-level security) to ``dest`` (0o600)."""
        from rollminder.store.postgres_dump import dump

        pool = self._live_pool()
        with self._errors(), pool.connection() as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                conn.execute(SET_KEYS, (self.profile, self._account_key))
                dump(conn, Path(dest))
            finally:
                conn.rollback()

    def close(self) -> None:
        """Release the store (the pool stays for the process's other stores)."""
        self._pool = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
