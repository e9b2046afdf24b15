"""How the model's frozen dataclasses map to PostgreSQL rows (see :mod:`.postgres_schema`).

As in SQLite (:mod:`.rows`), a table has a column per dataclass field with the same name, plus
``profile_id`` (and ``seq``, the insertion order). Values are PostgreSQL's own types: instants
``timestamptz`` (psycopg hands aware datetimes over; they come back in UTC), dates, times,
arrays for tuples, booleans.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from rollminder.model import (
    ClinicianAnswer,
    Hold,
    Pause,
    Plan,
    Roller,
    Routine,
    Series,
    Session,
    Skip,
    UndoStep,
    Visit,
)

T = TypeVar("T")


def instant(value: dt.datetime) -> dt.datetime:
    """An aware instant, as the store takes it (a naive one raises ValueError)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"the store only takes aware datetimes, not {value!r}")
    return value


def opt_instant(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else instant(value)


def utc(value: dt.datetime) -> dt.datetime:
    """An instant read back, with ``tzinfo`` exactly ``datetime.UTC`` (the sessions run in UTC)."""
    if value.tzinfo is dt.UTC:
        return value
    return value.astimezone(dt.UTC)


def opt_utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else utc(value)


_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any], str]] = {
    # kind: (encode, decode, the placeholder's cast)
    "instant": (opt_instant, opt_utc, ""),
    "texts": (list, tuple, "::text[]"),
    "ints": (list, tuple, "::bigint[]"),
}


class PgTable(Generic[T]):
    """Maps one frozen dataclass to its table: a column per field, the same name."""

    def __init__(self, name: str, cls: type[T], **kinds: str) -> None:
        self.name = name
        self.cls = cls
        self.columns = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        unknown = set(kinds) - set(self.columns)
        if unknown:
            raise ValueError(f"{name}: no such fields {sorted(unknown)}")
        self._encoders = [(c, _CODECS[k][0]) for c, k in kinds.items()]
        self._decoders = [(c, _CODECS[k][1]) for c, k in kinds.items()]
        casts = {c: _CODECS[k][2] for c, k in kinds.items()}
        quoted = ", ".join(f'"{c}"' for c in self.columns)
        self.select = f"SELECT {quoted} FROM {name} WHERE profile_id = %s"
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in self.columns if c != "id")
        marks = ", ".join(f"%s{casts.get(c, '')}" for c in self.columns)
        # An upsert keeps "seq", so a replaced row keeps its place among equal sort keys.
        self.upsert = (
            f"INSERT INTO {name} (profile_id, {quoted}) VALUES (%s, {marks}) "
            f"ON CONFLICT (profile_id, id) DO UPDATE SET {updates}"
        )
        self.delete = f"DELETE FROM {name} WHERE profile_id = %s AND id = %s"

    def encode(self, obj: T) -> list[Any]:
        values = {c: getattr(obj, c) for c in self.columns}
        for column, encoder in self._encoders:
            values[column] = encoder(values[column])
        return list(values.values())

    def decode(self, row: Sequence[Any]) -> T:
        values = dict(zip(self.columns, row, strict=True))
        for column, decoder in self._decoders:
            values[column] = decoder(values[column])
        return self.cls(**values)


_I = "instant"
PLANS = PgTable("plans", Plan, created_at=_I, weekdays="ints", zones="texts", directions="texts")
SESSIONS = PgTable("sessions", Session, start=_I, created_at=_I, zones="texts")
SKIPS = PgTable("skips", Skip, slot=_I, created_at=_I)
PAUSES = PgTable("pauses", Pause, created_at=_I, areas="texts")
ROLLERS = PgTable("rollers", Roller, created_at=_I)
SERIES = PgTable("series", Series, created_at=_I)
VISITS = PgTable("visits", Visit, at=_I, created_at=_I, areas="texts")
HOLDS = PgTable("holds", Hold, since=_I, until=_I, created_at=_I, areas="texts")
CLINICIAN = PgTable("clinician_answers", ClinicianAnswer, answered_at=_I, created_at=_I)
UNDO_STEPS = PgTable("undo_steps", UndoStep, created_at=_I)
ROUTINES = PgTable("routines", Routine, created_at=_I)


@functools.cache
def channels_table() -> PgTable[Any]:
    """The channels table, built on first use: its record class is defined only when needed."""
    from rollminder.remind.records import ChannelConfig

    return PgTable("channels", ChannelConfig, created_at=_I)


def time_range(
    column: str, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[str, list[dt.datetime]]:
    """``since`` inclusive, ``until`` exclusive."""
    clause, params = "", []
    if since is not None:
        clause += f" AND {column} >= %s"
        params.append(instant(since))
    if until is not None:
        clause += f" AND {column} < %s"
        params.append(instant(until))
    return clause, params
