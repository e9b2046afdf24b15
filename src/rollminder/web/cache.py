"""Derived figures kept between requests, never stale.

Every entry is keyed on the open store and its ``data_stamp()`` (store/sqlite.py: it moves after
any write, from this process or another one, such as the CLI), plus whatever else
the value depends on (the local date, for figures judged by the day). A request whose key differs
recomputes; there is one entry per name, so memory stays bounded. What depends on the time of day
(the dashboard's state and countdown) is not kept: it is computed on every request from the kept
inputs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from rollminder.service import Rollminder

T = TypeVar("T")


class Memo:
    """One value per name: the one computed for the latest key."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Hashable, Any]] = {}
        self._lock = threading.Lock()
        self.misses = 0  # computations, for tests

    def get(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            entry = self._entries.get(name)
        if entry is not None and entry[0] == key:
            return cast(T, entry[1])
        value = compute()  # an exception leaves nothing behind
        with self._lock:
            self.misses += 1
            self._entries[name] = (key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def data_key(app: Rollminder) -> tuple[object, ...]:
    """The open facade and its data stamp: equal keys mean the same data. The facade itself is
    part of the key (compared by identity), so a reopened one (a new day, a restore, an error)
    never matches an entry made before."""
    return (app, app.data_stamp())
