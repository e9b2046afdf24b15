"""Derived figures kept between requests, never stale.

Every entry is keyed on the open store and its ``data_stamp()`` (store/sqlite.py: it moves after
any write, from this process or another one, such as the CLI), plus whatever else
the value depends on (the local date, for figures judged by the day). A request whose key differs
recomputes. Entries are kept per key, the least recently used dropped past :data:`MOST` (hosted
mode serves many accounts from one process: each keeps its own figures). What depends on the time
of day (the dashboard's state and countdown) is not kept: it is computed on every request from the
kept inputs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from rollminder.service import Rollminder

T = TypeVar("T")

#: The (account, profile) a hosted request works on, set by web/account_gate.py's middleware;
#: None in the embedded app.
HOSTED_TARGET: ContextVar[tuple[int, str] | None] = ContextVar("hosted_target", default=None)


#: Entries kept at most (all names together).
MOST = 2048


class Memo:
    """Values by (name, key), the least recently used dropped past ``most``."""

    def __init__(self, most: int = MOST) -> None:
        self._entries: OrderedDict[tuple[str, Hashable], Any] = OrderedDict()
        self._lock = threading.Lock()
        self.most = most
        self.misses = 0  # computations, for tests

    def get(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        slot = (name, key)
        with self._lock:
            if slot in self._entries:
                self._entries.move_to_end(slot)
                return cast(T, self._entries[slot])
        value = compute()  # an exception leaves nothing behind
        with self._lock:
            self.misses += 1
            self._entries[slot] = value
            self._entries.move_to_end(slot)
            while len(self._entries) > self.most:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def data_key(app: Rollminder) -> tuple[object, ...]:
    """Whose data and its data stamp: equal keys mean the same data. Embedded, the open facade
    itself (compared by identity), so a reopened one (a new day, a restore, an error) never
    matches an entry made before; hosted, the request's (account, profile, routine), since each
    request opens its facade anew (web/account_gate.py) and the stamp says when data changed."""
    target = HOSTED_TARGET.get()
    whose: object = app if target is None else (*target, app.routine_id)
    return (whose, app.data_stamp())
