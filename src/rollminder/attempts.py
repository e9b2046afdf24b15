"""Where failed sign-in attempts are counted, for the rate limits of the web app
(:class:`rollminder.web.security.RateLimit`).

One serve process on a SQLite data directory keeps them in memory (:class:`MemoryFailures`).
Several serve processes on one PostgreSQL database must share them, or each process would allow
its own quota: :class:`rollminder.store.postgres_limits.PostgresFailures` keeps them in the
database (:meth:`rollminder.env.Env.failure_log` picks one). Instants are seconds on the limit's
clock (wall time when shared: processes do not share a monotonic clock).
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

#: Clients remembered in memory at most (the oldest is forgotten first).
MAX_CLIENTS = 10_000


class FailureLog(Protocol):
    """Failed attempts per client (an address, an account), for one limit."""

    def recent(self, client: str, since: float) -> list[float]:
        """The instants of ``client``'s failures after ``since``, oldest first."""

    def add(self, client: str, at: float, forget_before: float) -> None:
        """Count a failure at ``at``; failures before ``forget_before`` may be forgotten."""

    def clear(self, client: str) -> None:
        """Forget ``client``'s failures (a successful sign-in)."""


class MemoryFailures:
    """The failures of one process, in memory."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}

    def recent(self, client: str, since: float) -> list[float]:
        failures = self._failures.get(client)
        if failures is None:
            return []
        while failures and failures[0] <= since:
            failures.popleft()
        return list(failures)

    def add(self, client: str, at: float, forget_before: float) -> None:
        failures = self._failures.setdefault(client, deque())
        while failures and failures[0] <= forget_before:
            failures.popleft()
        failures.append(at)
        if len(self._failures) > MAX_CLIENTS:  # never grow without bound
            self._failures.pop(next(iter(self._failures)))

    def clear(self, client: str) -> None:
        self._failures.pop(client, None)
