"""Rows written the way an older schema holds them, for the migration tests (today's row mapping
writes columns later migrations added)."""

from __future__ import annotations

import datetime as dt
import json

from rollminder.model import Session
from rollminder.store.sqlite import SqliteStore


def put_v1_session(store: SqliteStore, s: Session) -> None:
    """A session as migration 1's table holds it (later migrations added columns, such as the
    zone it was done in, that today's row mapping writes)."""
    with store.transaction():
        profile = store._profile_id  # made on the first write
    store.connection.execute(
        "INSERT INTO sessions (profile_id, id, start, minutes, zones, reaction, note, roller_id,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            profile,
            s.id,
            s.start.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            s.minutes,
            json.dumps(list(s.zones)),
            s.reaction,
            s.note,
            s.roller_id,
            s.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        ),
    )
