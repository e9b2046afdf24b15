"""The one small environment object: where the data lives, which profile, and what time it is.

Faces (CLI, web, daemon) build an :class:`Env`; tests swap the clock and the data directory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rollminder.errors import InvalidInput

if TYPE_CHECKING:
    from rollminder.service import Rollminder
    from rollminder.store.postgres import SchemaState
    from rollminder.store.roles import Store

DB_NAME = "rollminder.db"
DEFAULT_PROFILE = "default"
#: A postgresql:// URL here selects the hosted store (PostgreSQL) instead of the SQLite file.
DATABASE_URL_VARIABLE = "ROLLMINDER_DATABASE_URL"


def database_url_from_environment() -> str | None:
    return os.environ.get(DATABASE_URL_VARIABLE) or None


def valid_database_url(url: str) -> str:
    """A PostgreSQL URL, checked for its form only (the server is asked when a store opens)."""
    if not url.startswith(("postgresql://", "postgres://")) or any(c.isspace() for c in url):
        raise InvalidInput(
            f"The database must be a postgresql:// URL (e.g. postgresql://user@host/rollminder), "
            f"not {url.split('@')[-1][:60]!r}."
        )
    return url


def default_home() -> Path:
    env = os.environ.get("ROLLMINDER_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("rollminder", appauthor=False))


def system_zone() -> str:
    """This machine's IANA zone name: $TZ (a zone name, not a POSIX rule), then the target of
    /etc/localtime, then /etc/timezone; UTC when none names a zone this Python knows. The CLI's
    wizard and the web app's onboarding both offer it first."""
    from zoneinfo import ZoneInfo

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    target = os.path.realpath("/etc/localtime")
    candidates.append(target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "")
    with contextlib.suppress(OSError, UnicodeDecodeError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if not name or name.startswith("/") or ("/" not in name and name != "UTC"):
            continue
        try:
            ZoneInfo(name)
        except (ValueError, OSError, KeyError):
            continue
        return name
    return "UTC"


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def clock_from_environment() -> Callable[[], dt.datetime]:
    """``ROLLMINDER_NOW`` (an ISO instant with offset) starts the clock there; it then runs on in
    real time, ``ROLLMINDER_CLOCK_SPEED`` times as fast (default 1). For demos and end-to-end tests.
    """
    start_text = os.environ.get("ROLLMINDER_NOW")
    if not start_text:
        return _system_clock
    example = "e.g. ROLLMINDER_NOW=2026-11-25T10:00+01:00"
    try:
        start = dt.datetime.fromisoformat(start_text.strip())
    except ValueError as exc:
        raise InvalidInput(
            f"ROLLMINDER_NOW must be an ISO 8601 instant: {start_text[:40]!r} is not ({example})."
        ) from exc
    if start.tzinfo is None:
        raise InvalidInput(f"ROLLMINDER_NOW needs a UTC offset ({example}).")
    if not 2000 <= start.year <= 2200:
        raise InvalidInput(f"ROLLMINDER_NOW must lie between the years 2000 and 2200 ({example}).")
    speed = clock_speed()
    import time

    origin = time.monotonic()

    def clock() -> dt.datetime:
        return (start + dt.timedelta(seconds=(time.monotonic() - origin) * speed)).astimezone(
            dt.UTC
        )

    return clock


def clock_speed() -> float:
    """``ROLLMINDER_CLOCK_SPEED`` (default 1), checked."""
    speed_text = os.environ.get("ROLLMINDER_CLOCK_SPEED", "1")
    try:
        speed = float(speed_text)
    except ValueError:
        speed = -1.0
    if not 0 <= speed <= 1_000_000:  # also refuses nan and inf
        raise InvalidInput(
            f"ROLLMINDER_CLOCK_SPEED must be a number from 0 to 1000000, not {speed_text[:40]!r}."
        )
    return speed


def monotonic_from_environment() -> Monotonic:
    """The monotonic clock of the guided session's timer. With ``ROLLMINDER_NOW`` set it runs
    ``ROLLMINDER_CLOCK_SPEED`` times as fast as real time, like the wall clock (an end-to-end test
    runs a 3-minute session in seconds); otherwise it is :func:`time.monotonic`."""
    if not os.environ.get("ROLLMINDER_NOW"):
        return Monotonic()
    return Monotonic(clock_speed())


def _boot_clock() -> Callable[[], float]:
    """A monotonic clock that counts time asleep too (Linux: CLOCK_BOOTTIME), so the guided
    session's timer sees a suspend as a gap (and pauses) rather than not at all; elsewhere
    :func:`time.monotonic`."""
    import time

    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        try:
            time.clock_gettime(boottime)
        except OSError:  # pragma: no cover - a kernel without it
            return time.monotonic
        return lambda: time.clock_gettime(boottime)
    return time.monotonic  # pragma: no cover - not Linux


class Monotonic:
    """Seconds from an arbitrary origin, never going back, ``speed`` times real time.

    ``real(seconds)`` converts a span of this clock into real seconds (what to sleep or wait).
    """

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._raw = _boot_clock()
        self._origin = self._raw()

    def __call__(self) -> float:
        if self.speed == 1.0:
            return self._raw()
        return self._origin + (self._raw() - self._origin) * self.speed

    def real(self, seconds: float) -> float:
        if self.speed == 0:
            return max(0.0, seconds) if seconds <= 0 else 3600.0
        return seconds / self.speed


def valid_profile(name: str) -> str:
    if not name or len(name) > 40 or not all(c.isalnum() or c in "-_." for c in name):
        raise InvalidInput(
            f"Profile names are 1-40 letters, digits, '-', '_' or '.': {name[:40]!r} is not one."
        )
    return name


@dataclass
class Env:
    home: Path = field(default_factory=default_home)
    profile: str = DEFAULT_PROFILE
    clock: Callable[[], dt.datetime] = _system_clock
    monotonic: Monotonic = field(default_factory=Monotonic)
    #: A postgresql:// URL (``--database``, ``ROLLMINDER_DATABASE_URL``): the hosted store.
    database_url: str | None = field(default_factory=database_url_from_environment)
    #: Hosted mode: the account whose profile this is (None: a profile of no account).
    account: int | None = None

    #: The hosted web app checked the schema at start: its stores skip the check.
    schema_checked: bool = field(default=False, repr=False)
    #: Hosted web requests: each opens its own store, for that request only (PostgresBase).
    per_request: bool = field(default=False, repr=False)

    @property
    def db_path(self) -> Path:
        return self.home / DB_NAME

    @property
    def backup_dir(self) -> Path:
        return self.home / "backups"

    def now(self) -> dt.datetime:
        now = self.clock()
        if now.tzinfo is None:  # pragma: no cover - a programming error in a test clock
            raise ValueError("the clock must return aware datetimes")
        return now

    def open_store(self, now: dt.datetime | None = None) -> Store:
        now = self.now() if now is None else now
        if self.database_url:  # psycopg is imported only on this path
            from rollminder.store.postgres import PostgresStore

            url = valid_database_url(self.database_url)
            return PostgresStore.open(
                url,
                profile=self.profile,
                now=now,
                account=self.account,
                checked=self.schema_checked,
                per_request=self.per_request,
            )
        from rollminder.store.sqlite import SqliteStore

        return SqliteStore.open(self.db_path, profile=self.profile, now=now)

    # -- backups of the whole data directory (every profile) -------------------------------------

    def backups(self) -> list[Path]:
        """The backups in the data directory, oldest first (none for a hosted database: its
        operator's pg_dump files are no person's to list)."""
        if self.database_url:
            return []
        from rollminder.store.backups import list_backups

        return list_backups(self.backup_dir)

    def latest_backup(self) -> Path | None:
        found = self.backups()
        return found[-1] if found else None

    def restore_backup(self, source: Path, *, with_secrets: bool = False) -> Path | None:
        """Replace the data by the backup ``source`` (checked first; nothing changes if it is
        not a usable rollminder backup). The current secrets (password, sign-in key, feed and
        action tokens) stay unless ``with_secrets``. Returns where the replaced data is kept."""
        if self.database_url:
            raise InvalidInput(
                "A hosted database is restored by its operator (pg_restore; docs/hosting.md), "
                "not by 'rollminder backup restore'."
            )
        from rollminder.store.backups import restore_backup

        return restore_backup(self.db_path, source, now=self.now(), with_secrets=with_secrets)

    # -- the hosted database's schema (operators: `rollminder db`) --------------------------------

    def _required_database_url(self) -> str:
        if not self.database_url:
            raise InvalidInput(
                "No database given: pass --database postgresql://... or set "
                f"{DATABASE_URL_VARIABLE} (the SQLite file migrates itself when it is opened)."
            )
        return valid_database_url(self.database_url)

    def database_state(self) -> SchemaState:
        """Where the hosted database's schema stands (its version, applied, pending)."""
        from rollminder.store.postgres import schema_state

        return schema_state(self._required_database_url())

    def migrate_database(self, app_role: str | None = None) -> list[tuple[int, str]]:
        """Apply the hosted database's pending migrations (and grant ``app_role`` the app's
        rights); the migrations applied, as (version, name)."""
        from rollminder.store.postgres import migrate

        done = migrate(self._required_database_url(), now=self.now(), app_role=app_role)
        return [(m.version, m.name) for m in done]

    def open_app(self, *, live: bool = False) -> Rollminder:
        """The facade over this profile's store. A command is one moment: unless ``live`` (a
        guided session, a daemon), the clock is read once, here, and the use cases all see
        that instant."""
        from rollminder.service import Rollminder

        now = self.now()
        store = self.open_store(now)
        return Rollminder(store, self.now if live else lambda: now)
