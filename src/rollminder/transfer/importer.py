"""Import: validate the whole document, then merge it in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rollminder import limits, rules
from rollminder.errors import ImportFailed, InvalidInput
from rollminder.model import Settings
from rollminder.store import Store
from rollminder.transfer.codecs import (
    _INSTANT,
    _LATER_FIELDS,
    _SCHEMA,
    _SETTINGS,
    _SETTINGS_OPTIONAL,
    FORMAT,
    KINDS,
    LATER_KINDS,
    MAX_PROFILE,
    VERSION,
    _Bad,
    _Text,
)
from rollminder.transfer.report import ImportReport, KindCounts

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


def _validate(doc: Any, now: dt.datetime) -> _Document:
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
            _check_row(kind, obj, path, now)
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


def _check_row(kind: str, obj: Any, path: str, now: dt.datetime) -> None:
    """Rules across fields of one row, and the limits of the command the row stands for (done,
    skip, pause, roller add), so an import can bring nothing the app itself would refuse."""
    if kind == "sessions":
        try:
            limits.session_start(obj.start, now)
        except InvalidInput as exc:
            raise _Bad(f"{path}.start", f"is refused: {exc.message.rstrip('.')}") from None
    elif kind == "skips" and obj.slot > now + limits.SKIP_AHEAD:
        raise _Bad(f"{path}.slot", "is more than a year ahead (skip takes at most a year)")
    elif kind == "pauses" and (obj.last - obj.first).days > limits.PAUSE_DAYS:
        raise _Bad(f"{path}.last", "makes the pause longer than two years")
    elif kind == "rollers" and obj.first_use is not None and obj.first_use > _tomorrow(now):
        raise _Bad(f"{path}.first_use", "is in the future")
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
    "routines": lambda s: s.routines(),
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
    "routines": lambda s, row: s.put_routine(row),
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


def _tomorrow(now: dt.datetime) -> dt.date:
    """The latest local day anywhere on Earth at ``now`` (a roller's first use is a day)."""
    return (now.astimezone(dt.UTC) + dt.timedelta(days=1)).date()


def _one_line(text: str) -> str:
    return " ".join(limits.shown(text).split())


#: The largest file the CLI imports (an export of 10 years of sessions is about 2 MB).
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def read_export(path: os.PathLike[str] | str, *, most: int = MAX_IMPORT_BYTES) -> str:
    """The text of an export file: a regular file of at most ``most`` bytes, UTF-8.

    Anything else (a FIFO, which would block forever, a device, a folder, a larger file, bytes
    that are not UTF-8) raises :class:`ImportFailed` in one line naming the file. The file is
    opened without blocking and checked on the open descriptor, so it cannot be swapped for a
    FIFO between the check and the read.
    """
    name = _one_line(os.fsdecode(path))[:200] or "the file"
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ImportFailed(
            f"Cannot read {name}: {exc.strerror or exc}. Nothing was changed."
        ) from exc
    except ValueError:  # a NUL in the name
        raise ImportFailed(f"Cannot read {name}: no such file. Nothing was changed.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ImportFailed(
                f"Cannot import {name}: it is not a regular file (only an export file can be "
                "imported). Nothing was changed."
            )
        if info.st_size > most:
            raise ImportFailed(
                f"Cannot import {name}: it is larger than {most // (1024 * 1024)} MB. "
                "Nothing was changed."
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(most + 1)
    except OSError as exc:
        raise ImportFailed(
            f"Cannot read {name}: {exc.strerror or exc}. Nothing was changed."
        ) from exc
    finally:
        os.close(fd)
    if len(raw) > most:  # it grew after the check
        raise ImportFailed(
            f"Cannot import {name}: it is larger than {most // (1024 * 1024)} MB. "
            "Nothing was changed."
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFailed(
            f"Cannot import {name}: it is not a rollminder JSON export (not text). "
            "Nothing was changed."
        ) from None


def import_json(
    store: Store, text: str, *, source: str, now: dt.datetime | None = None
) -> ImportReport:
    """Validate the whole document, then merge it into the store in one transaction.

    Raises :class:`ImportFailed` ("Cannot import SOURCE: PATH PROBLEM. Nothing was changed.") for
    any problem in the document; storage errors (:class:`~rollminder.errors.StorageError`) pass
    through, and the transaction leaves the store unchanged then too.

    ``now`` (default: the system clock) bounds what may lie ahead: a session no later than
    ``done`` allows, a skip at most a year ahead.
    """
    name = _one_line(str(source))[:200] or "the file"
    now = dt.datetime.now(dt.UTC) if now is None else now
    try:
        document = _validate(_parse(text), now)
    except _Bad as bad:
        raise ImportFailed(f"Cannot import {name}: {bad}. Nothing was changed.") from None
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:  # defensive
        raise ImportFailed(
            f"Cannot import {name}: it is not a rollminder export ({type(exc).__name__}). "
            "Nothing was changed."
        ) from None

    counts: list[KindCounts] = []
    same_routine: dict[str, str] = {}  # an imported routine's id -> ours of the same name
    with store.transaction():
        for kind in KINDS:
            existing = {row.id: row for row in _READERS[kind](store)}
            added = updated = unchanged = 0
            by_question = {a.question: a for a in existing.values()} if kind == "clinician" else {}
            if kind == "routines":
                by_question = {r.name: r for r in existing.values()}
            for row in document.rows[kind]:
                if kind == "routines":
                    mine = by_question.get(row.name)
                    if mine is not None and mine.id != row.id:
                        # One routine per name: the imported rows join ours of that name.
                        same_routine[row.id] = mine.id
                        row = dataclasses.replace(row, id=mine.id, created_at=mine.created_at)
                elif getattr(row, "routine", "") in same_routine:
                    row = dataclasses.replace(row, routine=same_routine[row.routine])
                mine = by_question.get(getattr(row, "question", "")) if kind != "routines" else None
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
