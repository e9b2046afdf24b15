"""The due index (issue 16) for the stores of one household (SQLite, memory): each routine's next
reminder instant, kept as one JSON value of the profile's ``reminder_state`` (no migration). Only
the PostgreSQL store, which workers claim from, keeps it in an indexed table of its own."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Protocol

#: The reminder_state key that holds the index.
KEY = "due-index"


class _States(Protocol):
    def reminder_state(self, key: str) -> str | None: ...
    def put_reminder_state(self, key: str, value: str) -> None: ...


def _read(store: _States) -> dict[str, dt.datetime]:
    text = store.reminder_state(KEY)
    if not text:
        return {}
    try:
        raw = json.loads(text)
    except ValueError:
        return {}
    out: dict[str, dt.datetime] = {}
    if isinstance(raw, dict):
        for routine, at in raw.items():
            try:
                when = dt.datetime.fromisoformat(str(at))
            except ValueError:
                continue
            if when.tzinfo is not None:
                out[str(routine)] = when.astimezone(dt.UTC)
    return dict(sorted(out.items()))


class DueInState:
    """:class:`rollminder.store.roles.DueIndex` on top of ``reminder_state``."""

    def due_index(self: _States) -> dict[str, dt.datetime]:
        return _read(self)

    def put_due_index(self: _States, entries: Mapping[str, dt.datetime]) -> None:
        for at in entries.values():
            if at.tzinfo is None:
                raise ValueError("due instants must be aware")
        value = {r: at.astimezone(dt.UTC).isoformat() for r, at in sorted(entries.items())}
        if value == {r: a.isoformat() for r, a in _read(self).items()}:
            return  # unchanged: no write (the data stamp stays)
        self.put_reminder_state(KEY, json.dumps(value))
