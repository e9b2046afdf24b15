"""Export: the JSON document (everything, byte-stable) and the CSV table (sessions and skips)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

from rollminder import rules
from rollminder.errors import InvalidInput
from rollminder.store import Store
from rollminder.transfer.codecs import (
    _INSTANT,
    _SCHEMA,
    _SETTINGS,
    CSV_COLUMNS,
    FORMAT,
    KINDS,
    VERSION,
    _Codec,
)

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
    if kind == "routines":  # in the profile's order: the first routine first
        return store.routines()
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
        # clinic_zone only when set: the shape of an export without it stays as it was.
        "settings": {
            name: getattr(settings, name)
            for name in _SETTINGS
            if name != "clinic_zone" or settings.clinic_zone
        },
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

    ``local_start`` is a session's wall time in the zone it was done in, a skip's in the current
    plan's zone (UTC without a plan); ``start`` is the exact UTC instant.
    """
    plan = store.plan()
    zone = ZoneInfo("UTC")
    if plan is not None:
        try:
            zone = rules.check_zone(plan.tz)
        except InvalidInput:
            zone = ZoneInfo("UTC")
    labels = {r.id: r.label for r in store.rollers()}
    rows: list[tuple[dt.datetime, str, list[str]]] = []
    for s in store.sessions():
        roller = "" if s.roller_id is None else labels.get(s.roller_id, s.roller_id)
        cells = [
            "session",
            _INSTANT.dump(s.start),
            f"{s.local_start(zone.key):%Y-%m-%d %H:%M}",
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
