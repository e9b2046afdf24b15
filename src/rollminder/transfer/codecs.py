"""The export format: its constants, and a codec per field of every kind of row (load checks a
value and turns it into the model's, dump writes it)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any

from rollminder import limits, rules
from rollminder.model import (
    ALL_DIRECTIONS,
    ALL_ZONES,
    AREA_GROUPS,
    REACTIONS,
    ClinicianAnswer,
    Hold,
    Pause,
    Plan,
    Roller,
    Routine,
    Series,
    Session,
    Skip,
    Visit,
)
from rollminder.zonenames import is_zone

FORMAT = "rollminder-export"
VERSION = 1

#: The kinds of rows, in the document and in the order they are written on import.
KINDS: tuple[str, ...] = (
    "routines", "plans", "sessions", "skips", "pauses", "rollers", "visits", "series", "holds",
    "clinician",
)  # fmt: skip
#: Kinds added after version 1 was released: an export without them still imports.
LATER_KINDS: frozenset[str] = frozenset({"holds", "clinician", "routines"})

#: Import applies exactly the limits of the commands a row stands for (rollminder.limits).
MAX_NOTE = limits.NOTE.most  # notes
MAX_NAME = limits.NAME.most  # labels, clinic and series names
MAX_ZONE_NAME = 64
MAX_PROFILE = 100
MIN_YEAR, MAX_YEAR = limits.MIN_YEAR, limits.MAX_YEAR

CSV_COLUMNS: tuple[str, ...] = (
    "type",
    "start",
    "local_start",
    "minutes",
    "zones",
    "reaction",
    "note",
    "roller",
    "reason",
    "id",
)

_ID = re.compile(r"[0-9a-f]{32}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_WALL_TIME = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?", re.ASCII)


# ---------------------------------------------------------------- field codecs


class _Bad(Exception):
    """One problem in the document: where (a JSON path) and what."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path} {problem}" if path else problem)
        self.path = path
        self.problem = problem


class _Codec:
    """Turns one field into JSON and back, checking type and range on the way in."""

    def dump(self, value: Any) -> Any:
        return value

    def load(self, value: object, path: str) -> Any:  # pragma: no cover - every codec overrides
        raise NotImplementedError


class _Optional(_Codec):
    def __init__(self, inner: _Codec) -> None:
        self.inner = inner

    def dump(self, value: Any) -> Any:
        return None if value is None else self.inner.dump(value)

    def load(self, value: object, path: str) -> Any:
        return None if value is None else self.inner.load(value, path)


class _Id(_Codec):
    def load(self, value: object, path: str) -> Any:
        if not isinstance(value, str) or _ID.fullmatch(value) is None:
            raise _Bad(path, "is not an id (32 lower-case hex digits)")
        return value


class _Text(_Codec):
    def __init__(self, limit: int, *, empty: bool = True, lines: bool = True) -> None:
        self.limit = limit
        self.empty = empty
        self.lines = lines

    def load(self, value: object, path: str) -> Any:
        if not isinstance(value, str):
            raise _Bad(path, "is not text")
        if len(value) > self.limit:
            raise _Bad(path, f"is too long (at most {self.limit} characters)")
        if not self.empty and not value.strip():
            raise _Bad(path, "is empty")
        # The text as it is: a stripped check would let a trailing U+0085 (NEL) or U+001F by.
        if limits.has_bad_chars(value, self.lines):
            raise _Bad(path, "contains control characters")
        return value


class _Zone(_Text):
    """An IANA zone name this Python knows (or "" where ``empty``)."""

    def __init__(self, *, empty: bool = False) -> None:
        super().__init__(MAX_ZONE_NAME, empty=empty, lines=False)

    def load(self, value: object, path: str) -> Any:
        text = super().load(value, path)
        if text and not is_zone(text):
            raise _Bad(path, "is not a time zone")
        return text


class _Int(_Codec):
    def __init__(self, low: int | None = None, high: int | None = None) -> None:
        self.low = low
        self.high = high

    def _range(self) -> str:
        if self.low is not None and self.high is not None:
            return f"is not between {self.low} and {self.high}"
        if self.low is not None:
            return f"is less than {self.low}"
        return f"is more than {self.high}"

    def load(self, value: object, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(path, "is not a whole number")
        if self.low is not None and value < self.low:
            raise _Bad(path, self._range())
        if self.high is not None and value > self.high:
            raise _Bad(path, self._range())
        return value


class _Float(_Codec):
    """A real number, always written as a float; ``low`` is exclusive when ``above``."""

    def __init__(
        self, low: float | None = None, high: float | None = None, *, above: bool = False
    ) -> None:
        self.low = low
        self.high = high
        self.above = above

    def dump(self, value: Any) -> Any:
        return float(value)

    def load(self, value: object, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Bad(path, "is not a number")
        try:
            number = float(value)
        except OverflowError:
            raise _Bad(path, "is not a finite number") from None
        if not math.isfinite(number):
            raise _Bad(path, "is not a finite number")
        low_ok = self.low is None or (number > self.low if self.above else number >= self.low)
        if not low_ok or (self.high is not None and number > self.high):
            bounds = []
            if self.low is not None:
                bounds.append(f"{'more than' if self.above else 'at least'} {self.low:g}")
            if self.high is not None:
                bounds.append(f"at most {self.high:g}")
            raise _Bad(path, f"must be {' and '.join(bounds)}")
        return number


class _Choice(_Codec):
    def __init__(self, choices: Sequence[str]) -> None:
        self.choices = tuple(choices)

    def load(self, value: object, path: str) -> Any:
        if not isinstance(value, str) or value not in self.choices:
            raise _Bad(path, f"is not one of {', '.join(self.choices)}")
        return value


class _List(_Codec):
    """A tuple in the model, a list in JSON; items distinct, at least ``least`` of them."""

    def __init__(self, item: _Codec, *, least: int = 0, most: int = 50) -> None:
        self.item = item
        self.least = least
        self.most = most

    def dump(self, value: Any) -> Any:
        return [self.item.dump(v) for v in value]

    def load(self, value: object, path: str) -> Any:
        if not isinstance(value, list):
            raise _Bad(path, "is not a list")
        if not self.least <= len(value) <= self.most:
            raise _Bad(path, f"must have {self.least} to {self.most} items")
        items = tuple(self.item.load(v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(set(items)) != len(items):
            raise _Bad(path, "lists an item twice")
        return items


def _year_ok(year: int, path: str, what: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Bad(path, f"is not {what} between {MIN_YEAR} and {MAX_YEAR}")


class _Instant(_Codec):
    def dump(self, value: Any) -> Any:
        return value.astimezone(dt.UTC).isoformat()

    def load(self, value: object, path: str) -> Any:
        bad = _Bad(path, "is not an ISO 8601 instant with a UTC offset")
        if not isinstance(value, str) or len(value) > 40 or not value.isascii():
            raise bad
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise bad from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise bad
        _year_ok(parsed.year, path, "an instant")
        utc = parsed.astimezone(dt.UTC)
        _year_ok(utc.year, path, "an instant")
        return utc


class _Date(_Codec):
    def dump(self, value: Any) -> Any:
        return value.isoformat()

    def load(self, value: object, path: str) -> Any:
        bad = _Bad(path, "is not an ISO 8601 date (YYYY-MM-DD)")
        if not isinstance(value, str) or _DATE.fullmatch(value) is None:
            raise bad
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            raise bad from None
        _year_ok(parsed.year, path, "a date")
        return parsed


class _WallTime(_Codec):
    def dump(self, value: Any) -> Any:
        if value.second or value.microsecond:
            return str(value.replace(tzinfo=None).isoformat())
        return f"{value.hour:02d}:{value.minute:02d}"

    def load(self, value: object, path: str) -> Any:
        bad = _Bad(path, "is not a time of day (HH:MM)")
        if not isinstance(value, str) or _WALL_TIME.fullmatch(value) is None:
            raise bad
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            raise bad from None


class _Bool(_Codec):
    def load(self, value: object, path: str) -> Any:
        if not isinstance(value, bool):
            raise _Bad(path, "is not true or false")
        return value


_ANY_INT = _Int()
_ANY_FLOAT = _Float()
_INSTANT = _Instant()
_DATE_CODEC = _Date()
_ID_CODEC = _Id()
_NOTE = _Text(MAX_NOTE)
_NAME = _Text(MAX_NAME, lines=False)  # as limits.NAME: one line
_REASON = _Text(limits.REASON.most)  # a skip's or a pause's reason, as skip and pause take it
#: A row's routine: a routine's id, or "" (the first routine; every row of an older export).
_ROUTINE_REF = _Text(MAX_ZONE_NAME, lines=False)
#: The areas a pause, hold or visit stops (issue 12): zones, or "face" and "body".
_AREAS = _List(_Choice(ALL_ZONES + tuple(AREA_GROUPS)))

#: Each kind: the model class and its fields with their codecs (every dataclass field, in order).
_SCHEMA: dict[str, tuple[type[Any], dict[str, _Codec]]] = {
    "routines": (
        Routine,
        {
            "name": _Text(MAX_NAME, empty=False, lines=False),
            "id": _ID_CODEC,
            "created_at": _INSTANT,
        },
    ),
    # Plans: types only here; the ranges and cross-field rules are rules.validate_plan's.
    "plans": (
        Plan,
        {
            "needle_mm": _ANY_FLOAT,
            "sessions": _ANY_INT,
            "every_weeks": _ANY_INT,
            "weekdays": _List(_ANY_INT, most=7),
            "time": _WallTime(),
            "tz": _Text(MAX_ZONE_NAME, empty=False, lines=False),
            "minutes": _ANY_FLOAT,
            "zones": _List(_Choice(ALL_ZONES)),
            "directions": _List(_Choice(ALL_DIRECTIONS)),
            "passes": _ANY_INT,
            "rest_hours": _ANY_INT,
            "start": _DATE_CODEC,
            "blackout_before_days": _ANY_INT,
            "blackout_after_days": _ANY_INT,
            "id": _ID_CODEC,
            "created_at": _INSTANT,
            "routine": _ROUTINE_REF,
        },
    ),
    "sessions": (
        Session,
        {
            "start": _INSTANT,
            "minutes": _Float(limits.SESSION_MINUTES.lo, limits.SESSION_MINUTES.hi, above=True),
            "zones": _List(_Choice(ALL_ZONES), least=1),
            "reaction": _Optional(_Choice(REACTIONS)),
            "note": _NOTE,
            "roller_id": _Optional(_ID_CODEC),
            "tz": _Zone(empty=True),
            "id": _ID_CODEC,
            "created_at": _INSTANT,
            "routine": _ROUTINE_REF,
        },
    ),
    "skips": (
        Skip,
        {
            "slot": _INSTANT,
            "reason": _REASON,
            "catch_up": _Bool(),
            "id": _ID_CODEC,
            "created_at": _INSTANT,
            "routine": _ROUTINE_REF,
        },
    ),
    "pauses": (
        Pause,
        {
            "first": _DATE_CODEC,
            "last": _DATE_CODEC,
            "reason": _REASON,
            "id": _ID_CODEC,
            "created_at": _INSTANT,
            "areas": _AREAS,
        },
    ),
    "rollers": (
        Roller,
        {
            "label": _NAME,
            "needle_mm": _Float(0, rules.MAX_NEEDLE_MM, above=True),
            "added": _DATE_CODEC,
            "first_use": _Optional(_DATE_CODEC),
            "initial_uses": _Int(limits.EARLIER_USES.lo, limits.EARLIER_USES.hi),
            "retired": _Optional(_DATE_CODEC),
            "id": _ID_CODEC,
            "created_at": _INSTANT,
            "routine": _ROUTINE_REF,
        },
    ),
    "visits": (
        Visit,
        {
            "at": _INSTANT,
            "clinic": _NAME,
            "note": _NOTE,
            "series_id": _Optional(_ID_CODEC),
            "id": _ID_CODEC,
            "created_at": _INSTANT,
            "areas": _AREAS,
        },
    ),
    "series": (
        Series,
        {
            "name": _NAME,
            "count": _Int(limits.SERIES_VISITS.lo, limits.SERIES_VISITS.hi),
            "spacing_weeks": _Int(limits.SERIES_WEEKS.lo, limits.SERIES_WEEKS.hi),
            "id": _ID_CODEC,
            "created_at": _INSTANT,
        },
    ),
    "holds": (
        Hold,
        {
            "since": _INSTANT,
            "until": _INSTANT,
            "reason": _NOTE,
            "question": _Text(MAX_ZONE_NAME),
            "id": _ID_CODEC,
            "created_at": _INSTANT,
            "areas": _AREAS,
        },
    ),
    "clinician": (
        ClinicianAnswer,
        {
            "question": _Choice(tuple(q.key for q in rules.CLINICIAN_QUESTIONS)),
            "yes": _Bool(),
            "answered_at": _INSTANT,
            "id": _ID_CODEC,
            "created_at": _INSTANT,
        },
    ),
}

#: The same limits as the service's settings command.
_SETTINGS: dict[str, _Codec] = {
    **{name: _Int(limit.lo, limit.hi) for name, (_, limit) in limits.SETTINGS.items()},
    "clinic_zone": _Text(MAX_ZONE_NAME, lines=False),  # "" or an IANA name (a clinic-only person)
}
#: Row fields added after version 1 first shipped, with the value an older export means.
_LATER_FIELDS: dict[str, dict[str, object]] = {
    "skips": {"catch_up": False, "routine": ""},
    "sessions": {"tz": "", "routine": ""},  # before sessions kept their zone: the plan's
    # Before routines (issue 12): every row is the first routine's, every pause, hold and visit
    # stops every routine.
    "plans": {"routine": ""},
    "rollers": {"routine": ""},
    "pauses": {"areas": ()},
    "visits": {"areas": ()},
    "holds": {"areas": ()},
}

#: Settings added after the format first shipped: an older export may lack them (then default).
_SETTINGS_OPTIONAL = frozenset({"prep_minutes", "session_check", "clinic_zone"})
