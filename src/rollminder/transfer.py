"""Export and import of one profile's data.

JSON (:func:`export_json` / :func:`import_json`) carries everything, losslessly, for backup and
moving between machines or profiles. CSV (:func:`export_csv`) is one flat table of sessions and
skips for spreadsheets; it is not imported.

The JSON document::

    {"format": "rollminder-export", "version": 1, "profile": "default",
     "settings": {...}, "plans": [...], "sessions": [...], "skips": [...], "pauses": [...],
     "rollers": [...], "visits": [...], "series": [...], "holds": [...], "clinician": [...]}

- ``holds`` and ``clinician`` (the pre-session check, issue 4) and the setting ``session_check``
  came later within version 1: an export without them imports as if they were empty (default).

- Every row has all its fields, including ``id`` and ``created_at``. Instants are ISO 8601 in UTC
  with their offset (``2026-11-26T20:05:00+00:00``), dates ``YYYY-MM-DD``, the plan's wall time
  ``HH:MM`` (seconds only if set), tuples are lists, and real numbers are always written as
  floats (``3.0``) so the text does not depend on how a store hands numbers back.
- Keys are sorted; rows are sorted by time then id (plans by ``created_at`` in the store's version
  order, so the current plan stays current); ``indent=2``, UTF-8 text, a trailing newline. The same
  data always gives the same bytes, and ``export -> import -> export`` is identical. The export
  time is only written when passed (``exported_at``).

Import validates the whole document first (shape, types, ranges, enums, id format, text lengths;
plans through :func:`rollminder.rules.validate_plan`), then writes every row inside one
transaction with the ``put_*`` methods, which insert or replace by id: importing merges, and
importing the same file twice changes nothing (unchanged rows are not even rewritten). Any problem
raises :class:`~rollminder.errors.ImportFailed` naming the file and the first problem with its JSON
path, and nothing is changed. References between rows (a session's ``roller_id``, a visit's
``series_id``) are not required to resolve: a deleted roller leaves its sessions' ids behind, and
such an export must import again.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rollminder import rules
from rollminder.errors import ImportFailed, InvalidInput
from rollminder.model import (
    ALL_DIRECTIONS,
    REACTIONS,
    ZONES,
    ClinicianAnswer,
    Hold,
    Pause,
    Plan,
    Roller,
    Series,
    Session,
    Settings,
    Skip,
    Visit,
)
from rollminder.store import Store

FORMAT = "rollminder-export"
VERSION = 1

#: The kinds of rows, in the document and in the order they are written on import.
KINDS: tuple[str, ...] = (
    "plans", "sessions", "skips", "pauses", "rollers", "visits", "series", "holds", "clinician",
)  # fmt: skip
#: Kinds added after version 1 was released: an export without them still imports.
LATER_KINDS: frozenset[str] = frozenset({"holds", "clinician"})

MAX_NOTE = 2000  # notes and reasons
MAX_NAME = 200  # labels, clinic and series names (the app itself allows 120)
MAX_ZONE_NAME = 64
MAX_PROFILE = 100
MIN_YEAR = 1970
MAX_YEAR = 2200

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


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class KindCounts:
    """What an import did to one kind of row."""

    kind: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


@dataclass(frozen=True)
class ImportReport:
    source: str
    counts: tuple[KindCounts, ...]  # one per kind, in KINDS order
    settings_changed: bool = False

    def count(self, kind: str) -> KindCounts:
        for found in self.counts:
            if found.kind == kind:
                return found
        raise KeyError(kind)

    @property
    def added(self) -> int:
        return sum(c.added for c in self.counts)

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts)

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.counts)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.settings_changed)

    def summary(self) -> str:
        """One line for people, e.g. 'Imported backup.json: 3 added (2 sessions, 1 skip), ...'."""
        if not self.changed:
            rows = self.unchanged
            return (
                f"Nothing new in {self.source}: all {rows} row{'s' if rows != 1 else ''} "
                "were already here."
            )
        parts = []
        for what in ("added", "updated"):
            n = getattr(self, what)
            detail = ", ".join(
                _plural(getattr(c, what), c.kind) for c in self.counts if getattr(c, what)
            )
            parts.append(f"{n} {what} ({detail})" if n else f"0 {what}")
        parts.append(f"{self.unchanged} unchanged")
        settings = "; settings updated" if self.settings_changed else ""
        return f"Imported {self.source}: {', '.join(parts)}{settings}."


def _plural(n: int, kind: str) -> str:
    if n == 1:
        return f"1 {'series' if kind == 'series' else kind[:-1]}"
    return f"{n} {kind}"


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
        allowed = "\n\t" if self.lines else ""
        if any((c < " " and c not in allowed) or c == "\x7f" for c in value):
            raise _Bad(path, "contains control characters")
        return value


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
_NAME = _Text(MAX_NAME)

#: Each kind: the model class and its fields with their codecs (every dataclass field, in order).
_SCHEMA: dict[str, tuple[type[Any], dict[str, _Codec]]] = {
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
            "zones": _List(_Choice(ZONES)),
            "directions": _List(_Choice(ALL_DIRECTIONS)),
            "passes": _ANY_INT,
            "rest_hours": _ANY_INT,
            "start": _DATE_CODEC,
            "blackout_before_days": _ANY_INT,
            "blackout_after_days": _ANY_INT,
            "id": _ID_CODEC,
            "created_at": _INSTANT,
        },
    ),
    "sessions": (
        Session,
        {
            "start": _INSTANT,
            "minutes": _Float(0, 24 * 60, above=True),
            "zones": _List(_Choice(ZONES), least=1),
            "reaction": _Optional(_Choice(REACTIONS)),
            "note": _NOTE,
            "roller_id": _Optional(_ID_CODEC),
            "id": _ID_CODEC,
            "created_at": _INSTANT,
        },
    ),
    "skips": (
        Skip,
        {
            "slot": _INSTANT,
            "reason": _NOTE,
            "catch_up": _Bool(),
            "id": _ID_CODEC,
            "created_at": _INSTANT,
        },
    ),
    "pauses": (
        Pause,
        {
            "first": _DATE_CODEC,
            "last": _DATE_CODEC,
            "reason": _NOTE,
            "id": _ID_CODEC,
            "created_at": _INSTANT,
        },
    ),
    "rollers": (
        Roller,
        {
            "label": _NAME,
            "needle_mm": _Float(0, rules.MAX_NEEDLE_MM, above=True),
            "added": _DATE_CODEC,
            "first_use": _Optional(_DATE_CODEC),
            "initial_uses": _Int(0, 100_000),
            "retired": _Optional(_DATE_CODEC),
            "id": _ID_CODEC,
            "created_at": _INSTANT,
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
        },
    ),
    "series": (
        Series,
        {
            "name": _NAME,
            "count": _Int(1, 100),
            "spacing_weeks": _Int(1, 104),
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
    "roller_max_uses": _Int(1, 1000),
    "roller_max_days": _Int(1, 3650),
    "prep_minutes": _Int(0, 240),
    "session_check": _Int(0, 1),
}
#: Row fields added after version 1 first shipped, with the value an older export means.
_LATER_FIELDS: dict[str, dict[str, object]] = {"skips": {"catch_up": False}}

#: Settings added after the format first shipped: an older export may lack them (then default).
_SETTINGS_OPTIONAL = frozenset({"prep_minutes", "session_check"})


# ---------------------------------------------------------------- export


def _rows(store: Store, kind: str) -> list[Any]:
    """The store's rows of one kind, in export order (time, then id)."""
    if kind == "plans":
        # Stable: plans with the same created_at keep the store's version order.
        return sorted(store.plans(), key=lambda p: p.created_at)
    if kind == "sessions":
        return sorted(store.sessions(), key=lambda s: (s.start, s.id))
    if kind == "skips":
        return sorted(store.skips(), key=lambda s: (s.slot, s.id))
    if kind == "pauses":
        return sorted(store.pauses(), key=lambda p: (p.first, p.last, p.id))
    if kind == "rollers":
        return sorted(store.rollers(), key=lambda r: (r.added, r.created_at, r.id))
    if kind == "visits":
        return sorted(store.visits(), key=lambda v: (v.at, v.id))
    if kind == "series":
        return sorted(store.series(), key=lambda s: (s.created_at, s.id))
    if kind == "holds":
        return sorted(store.holds(), key=lambda h: (h.until, h.since, h.id))
    if kind == "clinician":
        return sorted(store.clinician_answers(), key=lambda a: (a.question, a.id))
    raise ValueError(kind)  # pragma: no cover


def _dump_row(fields: dict[str, _Codec], obj: object) -> dict[str, Any]:
    return {name: codec.dump(getattr(obj, name)) for name, codec in fields.items()}


def export_json(store: Store, *, exported_at: dt.datetime | None = None) -> str:
    """Everything of the store's profile as a byte-stable JSON document (see the module doc)."""
    settings = store.settings()
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "profile": store.profile,
        "settings": {name: getattr(settings, name) for name in _SETTINGS},
    }
    if exported_at is not None:
        doc["exported_at"] = _INSTANT.dump(exported_at)
    for kind in KINDS:
        _, fields = _SCHEMA[kind]
        doc[kind] = [_dump_row(fields, row) for row in _rows(store, kind)]
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Free text for a spreadsheet cell: a leading apostrophe stops it being read as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _minutes(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else repr(float(value))


def export_csv(store: Store) -> str:
    """Sessions and skips as one table (RFC 4180, CRLF line ends), sorted by time then id.

    ``local_start`` is the wall time in the current plan's zone (UTC without a plan); ``start`` is
    the exact UTC instant.
    """
    plan = store.plan()
    zone: dt.tzinfo = dt.UTC
    if plan is not None:
        try:
            zone = rules.check_zone(plan.tz)
        except InvalidInput:
            zone = dt.UTC
    labels = {r.id: r.label for r in store.rollers()}
    rows: list[tuple[dt.datetime, str, list[str]]] = []
    for s in store.sessions():
        roller = "" if s.roller_id is None else labels.get(s.roller_id, s.roller_id)
        cells = [
            "session",
            _INSTANT.dump(s.start),
            f"{s.start.astimezone(zone):%Y-%m-%d %H:%M}",
            _minutes(s.minutes),
            ";".join(s.zones),
            s.reaction or "",
            _cell(s.note),
            _cell(roller),
            "",
            s.id,
        ]
        rows.append((s.start, s.id, cells))
    for k in store.skips():
        local = f"{k.slot.astimezone(zone):%Y-%m-%d %H:%M}"
        cells = ["skip", _INSTANT.dump(k.slot), local, "", "", "", "", "", _cell(k.reason), k.id]
        rows.append((k.slot, k.id, cells))
    rows.sort(key=lambda row: (row[0], row[1]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(cells for _, _, cells in rows)
    return out.getvalue()


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class _Document:
    settings: Settings
    rows: dict[str, list[Any]]


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Bad("", f"the key {_show(key)} appears twice in one object")
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise _Bad("", f"{name} is not a number JSON allows")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _parse(text: str) -> Any:
    if not isinstance(text, str):
        raise _Bad("", "it is not text")
    if not text.strip():
        raise _Bad("", "it is empty")
    try:
        return json.loads(
            text.removeprefix("\ufeff"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constants,
        )
    except json.JSONDecodeError as exc:
        raise _Bad(
            "",
            f"it is not a rollminder JSON export (not valid JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno})",
        ) from None
    except RecursionError:
        raise _Bad("", "it is not a rollminder JSON export (nested too deeply)") from None
    except ValueError:  # e.g. a number with thousands of digits
        raise _Bad("", "it is not a rollminder JSON export (not valid JSON)") from None


def _object(value: object, path: str, keys: Iterable[str]) -> dict[str, Any]:
    """Check that ``value`` is an object with exactly ``keys``."""
    if not isinstance(value, dict):
        raise _Bad(path, "is not an object")
    wanted = list(keys)
    for key in wanted:
        if key not in value:
            raise _Bad(f"{path}.{key}" if path else key, "is missing")
    for key in value:
        if key not in wanted:
            where = f"{path}.{_key_text(key)}" if path else _key_text(key)
            raise _Bad(where, "is not a known field")
    return value


def _key_text(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,39}", key) else _show(key)


_TOP_KEYS = ("format", "version", "profile", "settings", *KINDS)


def _validate(doc: Any) -> _Document:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _Bad("", f'it is not a rollminder export (no "format": "{FORMAT}")')
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise _Bad("version", "is missing or not a whole number")
    if version > VERSION:
        raise _Bad(
            "",
            f"it was written by a newer rollminder (export version {version}; this one reads "
            f"version {VERSION}): upgrade rollminder to import it",
        )
    if version != VERSION:
        raise _Bad("version", f"is {version}; only version {VERSION} exists")
    keys = _TOP_KEYS + (("exported_at",) if "exported_at" in doc else ())
    doc = {**doc, **{kind: [] for kind in LATER_KINDS if kind not in doc}}
    _object(doc, "", keys)
    _Text(MAX_PROFILE, empty=False, lines=False).load(doc["profile"], "profile")
    if "exported_at" in doc:
        _INSTANT.load(doc["exported_at"], "exported_at")
    given = doc["settings"] if isinstance(doc["settings"], dict) else {}
    wanted = [k for k in _SETTINGS if k in given or k not in _SETTINGS_OPTIONAL]
    raw_settings = _object(doc["settings"], "settings", wanted)
    settings = Settings(
        **{
            name: codec.load(raw_settings[name], f"settings.{name}")
            for name, codec in _SETTINGS.items()
            if name in raw_settings
        }
    )
    rows: dict[str, list[Any]] = {}
    for kind in KINDS:
        cls, fields = _SCHEMA[kind]
        items = doc[kind]
        if not isinstance(items, list):
            raise _Bad(kind, "is not a list")
        seen: dict[str, int] = {}
        loaded = []
        for i, item in enumerate(items):
            path = f"{kind}[{i}]"
            given = item if isinstance(item, dict) else {}
            later = _LATER_FIELDS.get(kind, {})
            raw = _object(item, path, [f for f in fields if f in given or f not in later])
            raw = {**{f: v for f, v in later.items() if f not in raw}, **raw}
            values = {
                name: codec.load(raw[name], f"{path}.{name}") for name, codec in fields.items()
            }
            obj = cls(**values)
            _check_row(kind, obj, path)
            if obj.id in seen:
                raise _Bad(f"{path}.id", f"repeats the id of {kind}[{seen[obj.id]}]")
            seen[obj.id] = i
            loaded.append(obj)
        if kind == "clinician":
            questions = [a.question for a in loaded]
            for i, q in enumerate(questions):
                if q in questions[:i]:
                    raise _Bad(f"{kind}[{i}].question", "is answered twice")
        rows[kind] = loaded
    return _Document(settings=settings, rows=rows)


def _check_row(kind: str, obj: Any, path: str) -> None:
    """Rules across fields of one row."""
    if kind == "plans":
        try:
            rules.validate_plan(obj)
        except InvalidInput as exc:
            raise _Bad(path, f"is not a valid plan: {exc.message.rstrip('.')}") from None
    elif kind == "pauses" and obj.last < obj.first:
        raise _Bad(f"{path}.last", "is before its first day")
    elif kind == "holds" and obj.until <= obj.since:
        raise _Bad(f"{path}.until", "is not after its since")


_READERS: dict[str, Callable[[Store], list[Any]]] = {
    "plans": lambda s: s.plans(),
    "sessions": lambda s: s.sessions(),
    "skips": lambda s: s.skips(),
    "pauses": lambda s: s.pauses(),
    "rollers": lambda s: s.rollers(),
    "visits": lambda s: s.visits(),
    "series": lambda s: s.series(),
    "holds": lambda s: s.holds(),
    "clinician": lambda s: s.clinician_answers(),
}

#: How each kind of exported row is written back into a store.
WRITERS: dict[str, Callable[[Store, Any], None]] = {
    "plans": lambda s, row: s.put_plan(row),
    "sessions": lambda s, row: s.put_session(row),
    "skips": lambda s, row: s.put_skip(row),
    "pauses": lambda s, row: s.put_pause(row),
    "rollers": lambda s, row: s.put_roller(row),
    "visits": lambda s, row: s.put_visit(row),
    "series": lambda s, row: s.put_series(row),
    "holds": lambda s, row: s.put_hold(row),
    "clinician": lambda s, row: s.put_clinician_answer(row),
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def import_json(store: Store, text: str, *, source: str) -> ImportReport:
    """Validate the whole document, then merge it into the store in one transaction.

    Raises :class:`ImportFailed` ("Cannot import SOURCE: PATH PROBLEM. Nothing was changed.") for
    any problem in the document; storage errors (:class:`~rollminder.errors.StorageError`) pass
    through, and the transaction leaves the store unchanged then too.
    """
    name = _one_line(str(source))[:200] or "the file"
    try:
        document = _validate(_parse(text))
    except _Bad as bad:
        raise ImportFailed(f"Cannot import {name}: {bad}. Nothing was changed.") from None
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:  # defensive
        raise ImportFailed(
            f"Cannot import {name}: it is not a rollminder export ({type(exc).__name__}). "
            "Nothing was changed."
        ) from None

    counts: list[KindCounts] = []
    with store.transaction():
        for kind in KINDS:
            existing = {row.id: row for row in _READERS[kind](store)}
            added = updated = unchanged = 0
            by_question = {a.question: a for a in existing.values()} if kind == "clinician" else {}
            for row in document.rows[kind]:
                mine = by_question.get(getattr(row, "question", ""))
                if mine is not None and mine.id != row.id:
                    # One answer per question: the imported answer replaces ours, in our row.
                    row = dataclasses.replace(row, id=mine.id, created_at=mine.created_at)
                old = existing.get(row.id)
                if old is None:
                    added += 1
                elif old == row:
                    unchanged += 1
                    continue
                else:
                    updated += 1
                WRITERS[kind](store, row)
            counts.append(KindCounts(kind, added, updated, unchanged))
        settings_changed = store.settings() != document.settings
        if settings_changed:
            store.put_settings(document.settings)
    return ImportReport(source=name, counts=tuple(counts), settings_changed=settings_changed)
