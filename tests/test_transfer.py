"""Export and import: the JSON shape, byte-stable round trips, merging, refusals, and CSV."""

from __future__ import annotations

import copy
import csv
import dataclasses
import datetime as _dt
import datetime as dt
import io
import json
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollminder import limits, transfer
from rollminder.errors import ImportFailed, StorageError
from rollminder.model import (
    ALL_DIRECTIONS,
    REACTIONS,
    TRAVEL_FIELDS,
    ZONES,
    Pause,
    Plan,
    Roller,
    Series,
    Session,
    Settings,
    Skip,
    Visit,
)
from rollminder.rules import make_plan
from rollminder.store import Store
from rollminder.store.memory import MemoryStore
from rollminder.store.sqlite import SqliteStore
from rollminder.transfer import (
    CSV_COLUMNS,
    KINDS,
    ImportReport,
    export_csv,
    export_json,
    import_json,
)

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
MODELS: dict[str, type[Any]] = {
    "plans": Plan,
    "sessions": Session,
    "skips": Skip,
    "pauses": Pause,
    "rollers": Roller,
    "visits": Visit,
    "series": Series,
}


def ids() -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"{n:032x}"


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=UTC)


def fill(store: Store) -> None:
    """A small, realistic log, written out of time order."""
    next_id = ids()
    created = utc(2026, 11, 1, 8)
    plan = make_plan(needle_mm=0.25, start=dt.date(2026, 11, 2), tz="Europe/Berlin", created_at=T0)
    store.put_plan(dataclasses.replace(plan, id=next(next_id), created_at=created))
    roller = Roller(
        label="Pink roller, 0.25 mm",
        needle_mm=0.25,
        added=dt.date(2026, 11, 1),
        first_use=dt.date(2026, 11, 2),
        id=next(next_id),
        created_at=created,
    )
    store.put_roller(roller)
    series = Series(name="Clinic", count=4, spacing_weeks=5, id=next(next_id), created_at=created)
    store.put_series(series)
    store.put_session(
        Session(
            start=dt.datetime(2026, 11, 5, 21, 0, tzinfo=BERLIN),
            minutes=3,
            zones=("forehead", "cheeks"),
            reaction="mild",
            note="Décolleté skipped; a bit red, then fine",
            roller_id=roller.id,
            id=next(next_id),
            created_at=utc(2026, 11, 5, 21),
        )
    )
    store.put_session(
        Session(
            start=dt.datetime(2026, 11, 2, 21, 5, tzinfo=BERLIN),
            minutes=2.5,
            zones=("chin",),
            id=next(next_id),
            created_at=utc(2026, 11, 2, 21),
        )
    )
    store.put_skip(
        Skip(
            slot=utc(2026, 11, 9, 20), reason="skin irritated", id=next(next_id), created_at=created
        )
    )
    store.put_pause(
        Pause(
            first=dt.date(2026, 12, 20),
            last=dt.date(2027, 1, 3),
            reason="holidays",
            id=next(next_id),
            created_at=created,
        )
    )
    store.put_visit(
        Visit(
            at=utc(2026, 12, 10, 9),
            clinic="Hautarztpraxis",
            note="first of four",
            series_id=series.id,
            id=next(next_id),
            created_at=created,
        )
    )
    store.put_settings(Settings(roller_max_uses=12, roller_max_days=80))


@pytest.fixture
def full() -> MemoryStore:
    store = MemoryStore()
    fill(store)
    return store


# ---------------------------------------------------------------- export_json


def test_export_shape(full: MemoryStore) -> None:
    text = export_json(full)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    doc = json.loads(text)
    assert doc["format"] == "rollminder-export"
    assert doc["version"] == 1
    assert doc["profile"] == "default"
    assert "exported_at" not in doc
    assert doc["settings"] == {
        "roller_max_uses": 12,
        "roller_max_days": 80,
        "prep_minutes": 15,
        "session_check": 1,
    }
    assert set(doc) == {"format", "version", "profile", "settings", *KINDS}
    for kind, cls in MODELS.items():
        names = {f.name for f in dataclasses.fields(cls)}
        assert doc[kind], kind
        for row in doc[kind]:
            assert set(row) == names, kind  # every field, including id and created_at
    session = doc["sessions"][0]
    # Sorted by time: the 2 Nov session comes first although it was stored second.
    assert session["start"] == "2026-11-02T20:05:00+00:00"
    assert session["minutes"] == 2.5
    assert session["zones"] == ["chin"]
    assert session["reaction"] is None and session["roller_id"] is None
    later = doc["sessions"][1]
    assert later["minutes"] == 3.0 and isinstance(later["minutes"], float)
    plan = doc["plans"][0]
    assert plan["time"] == "21:00" and plan["start"] == "2026-11-02"
    assert plan["weekdays"] == [0, 3] and plan["directions"] == list(ALL_DIRECTIONS)
    assert doc["pauses"][0]["first"] == "2026-12-20"
    assert doc["rollers"][0]["retired"] is None


def test_export_text_conventions(full: MemoryStore) -> None:
    text = export_json(full)
    assert "Décolleté" in text  # ensure_ascii=False
    assert '\n  "format": "rollminder-export",\n' in text  # indent=2
    keys = list(json.loads(text))
    assert keys == sorted(keys)
    assert '"minutes": 3.0' in text  # floats stay floats whatever the store returns


def test_export_time_only_when_passed(full: MemoryStore) -> None:
    at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
    doc = json.loads(export_json(full, exported_at=at))
    assert doc["exported_at"] == "2026-11-25T09:00:00+00:00"
    # And such a file imports.
    assert import_json(MemoryStore(), export_json(full, exported_at=at), source="x").added == 8


def test_export_is_byte_stable_whatever_the_insertion_order() -> None:
    one, two = MemoryStore(), MemoryStore()
    fill(one)
    fill(two)
    # Rewrite two's sessions in reverse order: same data, other insertion order.
    sessions = two.sessions()
    for s in sessions:
        two.delete_session(s.id)
    for s in reversed(sessions):
        two.put_session(s)
    assert export_json(one) == export_json(two)
    assert export_json(one) == export_json(one)


def test_schema_covers_every_model_field() -> None:
    for kind, cls in MODELS.items():
        model_fields = [f.name for f in dataclasses.fields(cls)]
        assert sorted(transfer._SCHEMA[kind][1]) == sorted(model_fields), kind
        assert transfer._SCHEMA[kind][0] is cls
    # A travel is where the person is now, not a setting to carry to another install.
    carried = [f.name for f in dataclasses.fields(Settings) if f.name not in TRAVEL_FIELDS]
    assert sorted(transfer._SETTINGS) == sorted(carried)


def test_empty_store_exports_and_imports() -> None:
    text = export_json(MemoryStore())
    doc = json.loads(text)
    assert all(doc[kind] == [] for kind in KINDS)
    report = import_json(MemoryStore(), text, source="empty.json")
    assert report.added == report.updated == report.unchanged == 0
    assert not report.changed


# ---------------------------------------------------------------- import_json: merging


def test_round_trip_into_a_fresh_store(full: MemoryStore) -> None:
    text = export_json(full)
    fresh = MemoryStore()
    report = import_json(fresh, text, source="backup.json")
    assert report.added == 8 and report.updated == 0 and report.unchanged == 0
    assert report.settings_changed
    assert report.count("sessions").added == 2
    assert report.summary() == (
        "Imported backup.json: 8 added (1 plan, 2 sessions, 1 skip, 1 pause, 1 roller, 1 visit, "
        "1 series), 0 updated, 0 unchanged; settings updated."
    )
    assert export_json(fresh) == text
    assert fresh.sessions() == full.sessions()
    assert fresh.plan() == full.plan()
    assert fresh.settings() == Settings(roller_max_uses=12, roller_max_days=80)


def test_importing_twice_changes_nothing(full: MemoryStore) -> None:
    text = export_json(full)
    report = import_json(full, text, source="backup.json")
    assert not report.changed
    assert report.unchanged == 8 and report.added == report.updated == 0
    assert report.summary() == "Nothing new in backup.json: all 8 rows were already here."
    assert export_json(full) == text


def test_import_of_changed_settings_only(full: MemoryStore) -> None:
    text = export_json(full)
    full.put_settings(Settings())
    report = import_json(full, text, source="b.json")
    assert report.changed and report.settings_changed
    assert report.summary() == "Imported b.json: 0 added, 0 updated, 8 unchanged; settings updated."
    assert full.settings() == Settings(roller_max_uses=12, roller_max_days=80)


def test_import_merges_by_id(full: MemoryStore) -> None:
    text = export_json(full)
    target = MemoryStore()
    fill(target)
    # One row changed locally, one extra local row, one row missing locally.
    first = target.sessions()[0]
    target.put_session(dataclasses.replace(first, note="edited here"))
    extra = Skip(slot=utc(2026, 11, 20, 20), reason="travel", id="f" * 32, created_at=NOW)
    target.put_skip(extra)
    target.delete_visit(target.visits()[0].id)
    report = import_json(target, text, source="b.json")
    assert report.count("sessions") == transfer.KindCounts("sessions", 0, 1, 1)
    assert report.count("visits") == transfer.KindCounts("visits", 1, 0, 0)
    assert report.count("skips") == transfer.KindCounts("skips", 0, 0, 1)
    assert report.summary() == (
        "Imported b.json: 1 added (1 visit), 1 updated (1 session), 6 unchanged."
    )
    assert target.session(first.id) == first  # the file's version wins
    assert extra in target.skips()  # rows only here are kept
    assert len(target.visits()) == 1


def test_import_into_another_profile_keeps_both(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "r.db", profile="default", now=NOW) as mine:
        fill(mine)
        text = export_json(mine)
        with SqliteStore.open(tmp_path / "r.db", profile="partner", now=NOW) as theirs:
            report = import_json(theirs, text, source="mine.json")
            assert report.added == 8
            assert export_json(theirs) == text.replace('"default"', '"partner"')
        assert export_json(mine) == text


def test_round_trip_through_sqlite(tmp_path: Path, full: MemoryStore) -> None:
    text = export_json(full)
    with SqliteStore.open(tmp_path / "a.db", profile="default", now=NOW) as db:
        assert import_json(db, text, source="x").added == 8
        assert export_json(db) == text
        assert not import_json(db, text, source="x").changed
    with SqliteStore.open(tmp_path / "a.db", profile="default", now=NOW) as db:
        assert export_json(db) == text


def test_plan_history_keeps_the_current_plan_on_ties() -> None:
    """Two plan versions with the same created_at: the later-inserted one stays current."""
    store = MemoryStore()
    base = make_plan(needle_mm=0.25, start=dt.date(2026, 11, 2), tz="Europe/Berlin", created_at=T0)
    older = dataclasses.replace(base, id="b" * 32, created_at=NOW)
    newer = dataclasses.replace(base, id="a" * 32, created_at=NOW, minutes=4)
    store.put_plan(older)
    store.put_plan(newer)
    assert store.plan() == newer
    text = export_json(store)
    fresh = MemoryStore()
    import_json(fresh, text, source="x")
    assert fresh.plan() == newer
    assert export_json(fresh) == text


class FailingStore(MemoryStore):
    """Fails on the first visit written, after plans, sessions, ... were written."""

    def put_visit(self, visit: Visit) -> None:
        raise StorageError("disk full")


def test_a_failing_write_leaves_the_store_unchanged(full: MemoryStore) -> None:
    text = export_json(full)
    target = FailingStore()
    target.put_session(
        Session(start=utc(2026, 10, 1, 20), minutes=3, zones=("neck",), id="e" * 32, created_at=NOW)
    )
    before = export_json(target)
    with pytest.raises(StorageError):
        import_json(target, text, source="x")
    assert export_json(target) == before  # the sessions written before the failure are gone


# ---------------------------------------------------------------- import_json: refusals


def valid_doc() -> dict[str, Any]:
    store = MemoryStore()
    fill(store)
    doc: dict[str, Any] = json.loads(export_json(store))
    return doc


Mutation = Callable[[dict[str, Any]], Any]


def setter(path: str, value: Any) -> Mutation:
    """Set ``value`` at a path like ``sessions.0.start`` (a copy of the document is changed)."""

    def mutate(doc: dict[str, Any]) -> Any:
        *head, last = path.split(".")
        node: Any = doc
        for part in head:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
        return doc

    return mutate


def deleter(path: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> Any:
        *head, last = path.split(".")
        node: Any = doc
        for part in head:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]
        return doc

    return mutate


def duplicate_session(doc: dict[str, Any]) -> Any:
    doc["sessions"].append(copy.deepcopy(doc["sessions"][0]))
    return doc


BAD_DOCS: list[tuple[str, Mutation, str]] = [
    ("format", setter("format", "something-else"), 'it is not a rollminder export (no "format"'),
    ("no format", deleter("format"), "it is not a rollminder export"),
    ("newer", setter("version", 2), "written by a newer rollminder (export version 2"),
    ("version 0", setter("version", 0), "version is 0; only version 1 exists"),
    ("version text", setter("version", "1"), "version is missing or not a whole number"),
    ("version bool", setter("version", True), "version is missing or not a whole number"),
    ("missing kind", deleter("skips"), "skips is missing"),
    ("missing profile", deleter("profile"), "profile is missing"),
    ("unknown key", setter("extra", 1), "extra is not a known field"),
    ("kind not list", setter("sessions", {}), "sessions is not a list"),
    ("row not object", setter("sessions.1", []), "sessions[1] is not an object"),
    ("missing field", deleter("sessions.1.start"), "sessions[1].start is missing"),
    ("extra field", setter("sessions.1.mood", "ok"), "sessions[1].mood is not a known field"),
    (
        "bad instant",
        setter("sessions.1.start", "yesterday"),
        "sessions[1].start is not an ISO 8601 instant",
    ),
    (
        "naive instant",
        setter("sessions.1.start", "2026-11-02T20:05:00"),
        "sessions[1].start is not an ISO 8601 instant",
    ),
    (
        "instant number",
        setter("sessions.0.created_at", 1764000000),
        "sessions[0].created_at is not an ISO 8601 instant",
    ),
    (
        "old instant",
        setter("visits.0.at", "1800-01-01T00:00:00+00:00"),
        "visits[0].at is not an instant between 1970 and 2200",
    ),
    ("minutes text", setter("sessions.0.minutes", "3"), "sessions[0].minutes is not a number"),
    ("minutes bool", setter("sessions.0.minutes", True), "sessions[0].minutes is not a number"),
    (
        "a day-long session",
        setter("sessions.0.minutes", 1440),
        "sessions[0].minutes must be more than 0 and at most 120",
    ),
    (
        "minutes zero",
        setter("sessions.0.minutes", 0),
        "sessions[0].minutes must be more than 0 and at most 120",
    ),
    ("minutes huge", setter("sessions.0.minutes", 1e9), "sessions[0].minutes must be more than 0"),
    (
        "zone",
        setter("sessions.0.zones", ["elbow"]),
        "sessions[0].zones[0] is not one of forehead, cheeks",
    ),
    ("no zones", setter("sessions.0.zones", []), "sessions[0].zones must have 1 to 50 items"),
    ("zones text", setter("sessions.0.zones", "forehead"), "sessions[0].zones is not a list"),
    (
        "zone twice",
        setter("sessions.0.zones", ["chin", "chin"]),
        "sessions[0].zones lists an item twice",
    ),
    (
        "reaction",
        setter("sessions.0.reaction", "meh"),
        "sessions[0].reaction is not one of none, mild",
    ),
    (
        "long note",
        setter("sessions.0.note", "x" * 2001),
        "sessions[0].note is too long (at most 2000 characters)",
    ),
    (
        "note NUL",
        setter("sessions.0.note", "a\x00b"),
        "sessions[0].note contains control characters",
    ),
    ("note number", setter("sessions.0.note", 5), "sessions[0].note is not text"),
    (
        "bad id",
        setter("sessions.0.id", "xyz"),
        "sessions[0].id is not an id (32 lower-case hex digits)",
    ),
    ("upper id", setter("sessions.0.id", "A" * 32), "sessions[0].id is not an id"),
    ("null id", setter("sessions.0.id", None), "sessions[0].id is not an id"),
    ("roller id", setter("sessions.0.roller_id", 5), "sessions[0].roller_id is not an id"),
    ("same id", duplicate_session, "sessions[2].id repeats the id of sessions[0]"),
    ("needle", setter("plans.0.needle_mm", 1.5), "plans[0] is not a valid plan: Needles of 1.0 mm"),
    (
        "rest",
        setter("plans.0.rest_hours", 2),
        "plans[0] is not a valid plan: 0.25 mm needles need at least 1 day",
    ),
    (
        "tz",
        setter("plans.0.tz", "Mars/Olympus"),
        "plans[0] is not a valid plan: Unknown time zone 'Mars/Olympus'",
    ),
    (
        "tz path",
        setter("plans.0.tz", "../../etc/passwd"),
        "plans[0] is not a valid plan: Unknown time zone",
    ),
    ("plan time", setter("plans.0.time", "25:00"), "plans[0].time is not a time of day (HH:MM)"),
    (
        "plan time offset",
        setter("plans.0.time", "21:00+01:00"),
        "plans[0].time is not a time of day",
    ),
    (
        "plan weekday",
        setter("plans.0.weekdays", [0, 9]),
        "plans[0] is not a valid plan: Weekdays must be distinct",
    ),
    (
        "plan direction",
        setter("plans.0.directions", ["zigzag"]),
        "plans[0].directions[0] is not one of vertical",
    ),
    (
        "plan sessions float",
        setter("plans.0.sessions", 2.0),
        "plans[0].sessions is not a whole number",
    ),
    (
        "pause order",
        setter("pauses.0.last", "2026-12-01"),
        "pauses[0].last is before its first day",
    ),
    (
        "pause date",
        setter("pauses.0.first", "2026-13-01"),
        "pauses[0].first is not an ISO 8601 date (YYYY-MM-DD)",
    ),
    (
        "pause week date",
        setter("pauses.0.first", "2026-W50-3"),
        "pauses[0].first is not an ISO 8601 date",
    ),
    (
        "roller needle",
        setter("rollers.0.needle_mm", 0),
        "rollers[0].needle_mm must be more than 0 and at most 3",
    ),
    (
        "roller uses",
        setter("rollers.0.initial_uses", 1.5),
        "rollers[0].initial_uses is not a whole number",
    ),
    (
        "roller uses bool",
        setter("rollers.0.initial_uses", False),
        "rollers[0].initial_uses is not a whole number",
    ),
    (
        "roller uses big",
        setter("rollers.0.initial_uses", 10**30),
        "rollers[0].initial_uses is not between 0 and 1000",
    ),
    (
        "long label",
        setter("rollers.0.label", "L" * 121),
        "rollers[0].label is too long (at most 120 characters)",
    ),
    (
        "label newline",
        setter("rollers.0.label", "a\rb"),
        "rollers[0].label contains control characters",
    ),
    ("series count", setter("series.0.count", 0), "series[0].count is not between 1 and 12"),
    ("visit series", setter("visits.0.series_id", "nope"), "visits[0].series_id is not an id"),
    (
        "settings",
        setter("settings.roller_max_uses", 0),
        "settings.roller_max_uses is not between 1 and 1000",
    ),
    ("settings key", setter("settings.colour", "red"), "settings.colour is not a known field"),
    ("no settings", deleter("settings.roller_max_days"), "settings.roller_max_days is missing"),
    ("settings list", setter("settings", []), "settings is not an object"),
    ("profile", setter("profile", ""), "profile is empty"),
    ("exported_at", setter("exported_at", "soon"), "exported_at is not an ISO 8601 instant"),
    ("odd key", setter("sessions.0.no\nte", 1), "sessions[0].'no\\nte' is not a known field"),
]


@pytest.fixture
def target() -> MemoryStore:
    """A store with other data in it, to show a refused import changes nothing."""
    store = MemoryStore()
    store.put_session(
        Session(start=utc(2026, 10, 1, 20), minutes=3, zones=("neck",), id="e" * 32, created_at=NOW)
    )
    store.put_settings(Settings(roller_max_uses=5, roller_max_days=30))
    return store


def refused(store: Store, text: str, source: str = "backup.json") -> str:
    before = export_json(store)
    with pytest.raises(ImportFailed) as info:
        import_json(store, text, source=source)
    assert export_json(store) == before
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(f"Cannot import {' '.join(source.split())}: ")
    assert message.endswith(". Nothing was changed.")
    return message


@pytest.mark.parametrize(("name", "mutate", "fragment"), BAD_DOCS, ids=[b[0] for b in BAD_DOCS])
def test_bad_documents_are_refused(
    target: MemoryStore, name: str, mutate: Mutation, fragment: str
) -> None:
    text = json.dumps(mutate(valid_doc()))
    message = refused(target, text)
    assert fragment in message, message


def test_the_brief_example_message(target: MemoryStore) -> None:
    doc = valid_doc()
    doc["sessions"] = [copy.deepcopy(doc["sessions"][0]) for _ in range(4)]
    for i, row in enumerate(doc["sessions"]):
        row["id"] = f"{i + 1:032x}"
    doc["sessions"][3]["start"] = "not a time"
    assert refused(target, json.dumps(doc)) == (
        "Cannot import backup.json: sessions[3].start is not an ISO 8601 instant with a UTC "
        "offset. Nothing was changed."
    )


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    + zlib.compress(b"\x00" * 64)
)

FOREIGN: list[tuple[str, str, str]] = [
    ("empty", "", "it is empty"),
    ("blank", " \n\t ", "it is empty"),
    ("png", PNG.decode("latin-1"), "it is not a rollminder JSON export (not valid JSON"),
    ("nul bytes", "\x00\x00\x00", "not valid JSON"),
    ("text", "hello", "not valid JSON: Expecting value at line 1 column 1"),
    ("truncated", '{"format": "rollminder-export", "version": 1, "plans": [', "not valid JSON"),
    ("deep list", "[" * 100_000 + "]" * 100_000, "it is not a rollminder"),
    ("deep object", '{"a":' * 50_000 + "1" + "}" * 50_000, "it is not a rollminder"),
    ("null", "null", 'it is not a rollminder export (no "format"'),
    ("list", "[]", 'it is not a rollminder export (no "format"'),
    ("number", "42", "it is not a rollminder export"),
    ("string", '"rollminder-export"', "it is not a rollminder export"),
    ("other app", '{"format": "todo-export", "items": []}', "it is not a rollminder export"),
    ("NaN", '{"format": "rollminder-export", "version": NaN}', "NaN is not a number JSON allows"),
    ("dup key", '{"format": "rollminder-export", "format": "x"}', "the key 'format' appears twice"),
    (
        "huge int",
        '{"format": "rollminder-export", "version": ' + "9" * 5000 + "}",
        "not valid JSON",
    ),
    ("csv", "type,start,local_start\r\nsession,2026-11-02T20:05:00+00:00,x\r\n", "not valid JSON"),
]


@pytest.mark.parametrize(("name", "text", "fragment"), FOREIGN, ids=[f[0] for f in FOREIGN])
def test_foreign_files_are_refused(
    target: MemoryStore, name: str, text: str, fragment: str
) -> None:
    assert fragment in refused(target, text)


def test_infinite_number_is_refused(target: MemoryStore) -> None:
    text = json.dumps(valid_doc()).replace('"minutes": 2.5', '"minutes": 1e400', 1)
    assert "sessions[0].minutes is not a finite number" in refused(target, text)


def test_a_byte_order_mark_is_accepted(full: MemoryStore) -> None:
    report = import_json(MemoryStore(), "\ufeff" + export_json(full), source="bom.json")
    assert report.added == 8


def test_the_file_name_is_kept_on_one_line(target: MemoryStore) -> None:
    message = refused(target, "nope", source="my\nfile.json")
    assert message.startswith("Cannot import my file.json: ")


# ---------------------------------------------------------------- properties

hex_ids = st.uuids().map(lambda u: u.hex)
instants = st.datetimes(
    min_value=dt.datetime(1971, 1, 1),
    max_value=dt.datetime(2199, 1, 1),
    timezones=st.sampled_from(
        [UTC, BERLIN, ZoneInfo("America/New_York"), dt.timezone(dt.timedelta(hours=5, minutes=30))]
    ),
)
# Sessions and skips as done and skip take them: not ahead of the clock (the import checks that).
past_instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 2),
    max_value=dt.datetime(2026, 11, 1),
    timezones=st.sampled_from([UTC, BERLIN, ZoneInfo("America/New_York")]),
)
past_days = st.dates(dt.date(1971, 1, 1), dt.date(2026, 11, 1))
# A few fixed instants make ties in created_at likely (the order must survive them).
created = st.one_of(instants, st.sampled_from([utc(2026, 1, 1), utc(2026, 1, 2)]))
days = st.dates(dt.date(1971, 1, 1), dt.date(2199, 1, 1))
text_chars = st.characters(exclude_categories=("Cs", "Cc")).filter(
    lambda c: not limits.has_bad_chars(c)  # bidi overrides are refused as control characters
) | st.sampled_from("\n\t\"',=+-@")
# Notes up to the 2000-character limit (long ones built cheaply from a repeated piece).
long_notes = st.builds(lambda piece: (piece * 2000)[:2000], st.text(text_chars, min_size=1))
notes = st.text(text_chars, max_size=60) | long_notes
names = st.text(text_chars.filter(lambda c: c not in "\n\t"), max_size=30)  # one line
reasons = st.text(text_chars, max_size=60) | long_notes.map(lambda note: note[:480])
reals = st.floats(0.01, 120, allow_nan=False) | st.integers(1, 120)

plans = st.builds(
    lambda needle, start, tz, hour, minutes, id, at: dataclasses.replace(
        make_plan(
            needle_mm=needle,
            start=start,
            tz=tz,
            time=dt.time(hour, 30),
            minutes=minutes,
            created_at=T0,
        ),
        id=id,
        created_at=at,
    ),
    st.sampled_from([0.1, 0.2, 0.25, 0.5, 0.75]),
    days,
    st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    st.integers(0, 23),
    st.sampled_from([1, 2.5, 3, 30]),
    hex_ids,
    created,
)
sessions = st.builds(
    Session,
    start=past_instants,
    minutes=reals,
    zones=st.lists(st.sampled_from(ZONES), min_size=1, unique=True).map(tuple),
    reaction=st.none() | st.sampled_from(REACTIONS),
    note=notes,
    roller_id=st.none() | hex_ids,
    id=hex_ids,
    created_at=created,
)
skips = st.builds(Skip, slot=past_instants, reason=reasons, id=hex_ids, created_at=created)
pauses = st.builds(
    lambda a, n, reason, id, at: Pause(a, a + dt.timedelta(days=n), reason, id, created_at=at),
    days,
    st.integers(0, 366 * 2),
    reasons,
    hex_ids,
    created,
)
rollers = st.builds(
    Roller,
    label=names,
    needle_mm=st.floats(0.01, 3.0) | st.sampled_from([0.25, 1]),
    added=days,
    first_use=st.none() | past_days,
    initial_uses=st.integers(0, 1000),
    retired=st.none() | days,
    id=hex_ids,
    created_at=created,
)
series_rows = st.builds(
    Series,
    name=names,
    count=st.integers(1, 12),
    spacing_weeks=st.integers(1, 26),
    id=hex_ids,
    created_at=created,
)
visits = st.builds(
    Visit,
    at=instants,
    clinic=names,
    note=notes,
    series_id=st.none() | hex_ids,
    id=hex_ids,
    created_at=created,
)
settings_rows = st.builds(
    Settings, roller_max_uses=st.integers(1, 1000), roller_max_days=st.integers(1, 3650)
)


@st.composite
def logs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "plans": draw(st.lists(plans, max_size=3)),
        "sessions": draw(st.lists(sessions, max_size=6)),
        "skips": draw(st.lists(skips, max_size=3)),
        "pauses": draw(st.lists(pauses, max_size=2)),
        "rollers": draw(st.lists(rollers, max_size=2)),
        "visits": draw(st.lists(visits, max_size=2)),
        "series": draw(st.lists(series_rows, max_size=2)),
        "settings": draw(st.none() | settings_rows),
    }


def load(store: Store, log: dict[str, Any]) -> int:
    for kind in KINDS:
        for row in log.get(kind, []):
            transfer.WRITERS[kind](store, row)
    if log["settings"] is not None:
        store.put_settings(log["settings"])
    return sum(
        len(rows) for rows in json.loads(export_json(store)).values() if isinstance(rows, list)
    )


def check_round_trip(original: Store, fresh: Store, log: dict[str, Any]) -> None:
    rows = load(original, log)
    text = export_json(original)
    assert export_json(original) == text

    report = import_json(fresh, text, source="log.json")
    assert (report.added, report.updated, report.unchanged) == (rows, 0, 0)
    assert export_json(fresh) == text
    assert fresh.plan() == original.plan()
    assert fresh.settings() == original.settings()

    again = import_json(fresh, text, source="log.json")
    assert not again.changed
    assert again.unchanged == rows
    assert export_json(fresh) == text

    into_original = import_json(original, text, source="log.json")
    assert not into_original.changed
    assert export_json(original) == text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs())
def test_round_trip_property_memory(log: dict[str, Any]) -> None:
    check_round_trip(MemoryStore(), MemoryStore(), log)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs())
def test_round_trip_property_sqlite(log: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.db"
        with (
            SqliteStore.open(path, profile="default", now=NOW) as original,
            SqliteStore.open(path, profile="copy", now=NOW) as fresh,
        ):
            load(original, log)
            text = export_json(original)
            report = import_json(fresh, text, source="log.json")
            assert report.updated == report.unchanged == 0
            assert export_json(fresh) == text.replace('"profile": "default"', '"profile": "copy"')
            assert not import_json(fresh, text, source="log.json").changed
            # And across store kinds: sqlite -> memory gives the same text.
            memory = MemoryStore()
            import_json(memory, text, source="log.json")
            assert export_json(memory) == text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_random_json_is_refused(value: Any) -> None:
    store = MemoryStore()
    fill(store)
    refused(store, json.dumps(value), source="random.json")


def leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in leaf_paths(v, (*prefix, k))] or [prefix]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in leaf_paths(v, (*prefix, i))] or [prefix]
    return [prefix]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), value=json_values)
def test_one_changed_value_is_imported_or_refused_cleanly(data: st.DataObject, value: Any) -> None:
    doc = valid_doc()
    paths = [p for p in leaf_paths(doc) if p]
    path = data.draw(st.sampled_from(paths))
    node: Any = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    target = MemoryStore()
    target.put_settings(Settings(roller_max_uses=5, roller_max_days=30))
    before = export_json(target)
    try:
        report = import_json(target, json.dumps(doc), source="changed.json")
    except ImportFailed as exc:
        assert str(exc).startswith("Cannot import changed.json: ") and "\n" not in str(exc)
        assert export_json(target) == before
    else:
        assert isinstance(report, ImportReport)
        assert report.added == 8


# ---------------------------------------------------------------- export_csv


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_header_and_rows(full: MemoryStore) -> None:
    text = export_csv(full)
    assert text.endswith("\r\n")
    rows = read_csv(text)
    assert rows[0] == list(CSV_COLUMNS) == [
        "type", "start", "local_start", "minutes", "zones", "reaction", "note", "roller",
        "reason", "id",
    ]  # fmt: skip
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [r["type"] for r in body] == ["session", "session", "skip"]  # by time
    first, second, skip = body
    assert first == {
        "type": "session",
        "start": "2026-11-02T20:05:00+00:00",
        "local_start": "2026-11-02 21:05",  # the plan's zone, Berlin
        "minutes": "2.5",
        "zones": "chin",
        "reaction": "",
        "note": "",
        "roller": "",
        "reason": "",
        "id": f"{5:032x}",
    }
    assert second["zones"] == "forehead;cheeks"
    assert second["minutes"] == "3"
    assert second["reaction"] == "mild"
    assert second["roller"] == "Pink roller, 0.25 mm"  # the label, not the id
    assert second["note"] == "Décolleté skipped; a bit red, then fine"
    assert skip["reason"] == "skin irritated"
    assert skip["local_start"] == "2026-11-09 21:00"
    assert skip["minutes"] == skip["zones"] == skip["note"] == ""


def test_csv_without_a_plan_uses_utc() -> None:
    store = MemoryStore()
    store.put_session(
        Session(
            start=dt.datetime(2026, 7, 1, 21, 0, tzinfo=BERLIN),
            minutes=3,
            zones=("neck",),
            created_at=T0,
        )
    )
    row = read_csv(export_csv(store))[1]
    assert row[1] == "2026-07-01T19:00:00+00:00" and row[2] == "2026-07-01 19:00"


def test_csv_of_an_empty_store_is_the_header() -> None:
    assert export_csv(MemoryStore()) == ",".join(CSV_COLUMNS) + "\r\n"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_csv_guards_against_formulas(start: str) -> None:
    store = MemoryStore()
    evil = f'{start}HYPERLINK("http://x")'
    roller = Roller(
        label=f"{start}roller", needle_mm=0.25, added=dt.date(2026, 1, 1), created_at=T0
    )
    store.put_roller(roller)
    store.put_session(
        Session(
            start=utc(2026, 1, 2),
            minutes=3,
            zones=("neck",),
            note=evil,
            roller_id=roller.id,
            created_at=T0,
        )
    )
    store.put_skip(Skip(slot=utc(2026, 1, 3), reason=evil, created_at=T0))
    header, session, skip = read_csv(export_csv(store))
    assert session[header.index("note")] == "'" + evil
    assert session[header.index("roller")] == f"'{start}roller"
    assert skip[header.index("reason")] == "'" + evil
    # JSON keeps the text as it is.
    doc = json.loads(export_json(store))
    assert doc["sessions"][0]["note"] == evil and doc["skips"][0]["reason"] == evil


def test_csv_leaves_ordinary_text_alone() -> None:
    store = MemoryStore()
    store.put_session(
        Session(
            start=utc(2026, 1, 2),
            minutes=3,
            zones=("neck",),
            note="fine -> good, 5/5",
            created_at=T0,
        )
    )
    assert read_csv(export_csv(store))[1][6] == "fine -> good, 5/5"


def test_csv_quotes_commas_quotes_and_newlines() -> None:
    store = MemoryStore()
    note = 'red, then "fine"\nnext day: peeling'
    store.put_session(
        Session(start=utc(2026, 1, 2), minutes=3, zones=("neck",), note=note, created_at=T0)
    )
    text = export_csv(store)
    assert '"red, then ""fine""\npeeling' not in text  # (sanity of the expectation below)
    assert '"red, then ""fine""\nnext day: peeling"' in text
    rows = read_csv(text)
    assert len(rows) == 2 and rows[1][6] == note


def test_csv_sorts_sessions_and_skips_together() -> None:
    store = MemoryStore()
    store.put_skip(Skip(slot=utc(2026, 1, 5), reason="b", id="2" * 32, created_at=T0))
    store.put_session(
        Session(start=utc(2026, 1, 9), minutes=3, zones=("neck",), id="3" * 32, created_at=T0)
    )
    store.put_session(
        Session(start=utc(2026, 1, 1), minutes=3, zones=("neck",), id="4" * 32, created_at=T0)
    )
    store.put_skip(Skip(slot=utc(2026, 1, 9), reason="a", id="1" * 32, created_at=T0))
    got = [row[-1][0] for row in read_csv(export_csv(store))[1:]]
    assert got == ["4", "2", "1", "3"]  # by time, then id
