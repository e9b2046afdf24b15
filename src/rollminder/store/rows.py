"""How the model's frozen dataclasses map to SQLite rows (see :mod:`.migrations` for the schema).

A table has a column per dataclass field, with the same name, plus ``profile_id``. Encodings:
instants as fixed-width UTC ISO-8601 text (text order is time order), dates as ISO text, tuples as
JSON arrays, ``Plan.time`` as 'HH:MM' (or 'HH:MM:SS' if it has seconds).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from rollminder.damage import DamagedRow
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


# -- encodings ------------------------------------------------------------------------------------


def instant(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"the store only takes aware datetimes, not {value!r}")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")  # fixed width


def _parse_instant(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text)  # '+00:00' gives tzinfo=dt.UTC already
    return parsed if parsed.tzinfo is dt.UTC else parsed.astimezone(dt.UTC)


def _wall_time(value: dt.time) -> str:
    if value.second or value.microsecond:
        return value.isoformat()
    return value.isoformat(timespec="minutes")


def _optional(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else function(value)


_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "instant": (_optional(instant), _optional(_parse_instant)),
    "date": (_optional(dt.date.isoformat), _optional(dt.date.fromisoformat)),
    "time": (_wall_time, dt.time.fromisoformat),
    "tuple": (lambda value: json.dumps(list(value)), lambda text: tuple(json.loads(text))),
    "bool": (lambda value: 1 if value else 0, lambda value: bool(value)),
}


#: The plain field types a row's value is checked against (annotations are strings here).
_SIMPLE: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "str | None": (str, type(None)),
    "int": (int,),
    "int | None": (int, type(None)),
    "float": (int, float),
    "float | None": (int, float, type(None)),
    "bool": (bool, int),
}


def _kind_names(kinds: tuple[type, ...]) -> str:
    return " or ".join("null" if k is type(None) else k.__name__ for k in kinds)


class Table(Generic[T]):
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
        self._types = [
            (f.name, _SIMPLE[str(f.type)])
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.name not in kinds and str(f.type) in _SIMPLE
        ]
        quoted = ", ".join(f'"{c}"' for c in self.columns)
        self.select = f"SELECT {quoted} FROM {name} WHERE profile_id = ?"
        #: The same with the rowid last (to name and delete a row that does not decode).
        self.select_rowid = f"SELECT {quoted}, rowid FROM {name} WHERE profile_id = ?"
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in self.columns if c != "id")
        marks = ", ".join("?" for _ in self.columns)
        # An upsert keeps the rowid, so a replaced row keeps its place among equal sort keys.
        self.upsert = (
            f"INSERT INTO {name} (profile_id, {quoted}) VALUES (?, {marks}) "
            f"ON CONFLICT (profile_id, id) DO UPDATE SET {updates}"
        )
        self.delete = f"DELETE FROM {name} WHERE profile_id = ? AND id = ?"

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

    def decode_checked(self, row: Sequence[Any], rowid: int) -> T | DamagedRow:
        """The record, or what is wrong with the row: a column that does not decode, or holds
        a value of the wrong type (SQLite stores any value in any column)."""
        values = dict(zip(self.columns, row, strict=True))
        column = ""
        try:
            for column, decoder in self._decoders:
                values[column] = decoder(values[column])
            for column, kinds in self._types:
                if not isinstance(values[column], kinds):
                    raise TypeError(f"expected {_kind_names(kinds)}")
            column = ""
            return self.cls(**values)
        except Exception as exc:  # any failure names the row, never breaks a read
            raw = dict(zip(self.columns, row, strict=True))
            value = raw.get(column, "") if column else ""
            text = value if isinstance(value, str) else repr(value)
            return DamagedRow(
                table=self.name,
                id=str(raw.get("id", "")),
                rowid=rowid,
                column=column,
                value=text[:80],
                problem=" ".join(f"{type(exc).__name__}: {exc}".split())[:200],
            )


_I, _D = "instant", "date"
_TUPLE = "tuple"
PLANS = Table(
    "plans", Plan, created_at=_I, start=_D, time="time", weekdays=_TUPLE, zones=_TUPLE,
    directions=_TUPLE,
)  # fmt: skip
SESSIONS = Table("sessions", Session, start=_I, created_at=_I, zones=_TUPLE)
SKIPS = Table("skips", Skip, slot=_I, created_at=_I, catch_up="bool")
PAUSES = Table("pauses", Pause, first=_D, last=_D, created_at=_I, areas=_TUPLE)
ROLLERS = Table("rollers", Roller, added=_D, first_use=_D, retired=_D, created_at=_I)
SERIES = Table("series", Series, created_at=_I)
VISITS = Table("visits", Visit, at=_I, created_at=_I, areas=_TUPLE)
# Not in TABLES (export/import and the row checks leave reminder channels alone: they hold secrets).


@functools.cache
def channels_table() -> Table[Any]:
    """The channels table, built on first use: its record class is defined only when needed."""
    from rollminder.remind.records import ChannelConfig

    return Table("channels", ChannelConfig, created_at=_I)


# -- the pre-session check (issue 4): migration 4
HOLDS = Table("holds", Hold, since=_I, until=_I, created_at=_I, areas=_TUPLE)
CLINICIAN = Table("clinician_answers", ClinicianAnswer, yes="bool", answered_at=_I, created_at=_I)
# -- fixing mistakes (issue 11): migration 7
UNDO_STEPS = Table("undo_steps", UndoStep, created_at=_I)
# -- routines (issue 12): migration 8
ROUTINES = Table("routines", Routine, created_at=_I)
TABLES: tuple[Table[Any], ...] = (
    PLANS, SESSIONS, SKIPS, PAUSES, ROLLERS, SERIES, VISITS, HOLDS, CLINICIAN, UNDO_STEPS,
    ROUTINES,
)  # fmt: skip


def time_range(
    column: str, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[str, list[str]]:
    """``since`` inclusive, ``until`` exclusive; compared as fixed-width UTC text."""
    clause, params = "", []
    if since is not None:
        clause += f" AND {column} >= ?"
        params.append(instant(since))
    if until is not None:
        clause += f" AND {column} < ?"
        params.append(instant(until))
    return clause, params
