"""The store contract: what every implementation of :class:`rollminder.store.Store` must do.

This module holds no implementation. ``tests/test_store_contract.py`` imports every test here and
runs it once per entry of its ``BACKENDS`` list (the memory store, the SQLite store); a new store
(PostgreSQL, say) passes the same suite by adding one function that makes its :class:`Backend`
and one entry to that list.

The tests use three fixtures: ``backend`` (given by the runner module), ``make_store`` (a store of
a profile on the backend's one database: call it twice for two stores on the same data, or with
two profiles) and ``store`` (the default profile's).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rollminder.errors import StorageError
from rollminder.model import (
    ClinicianAnswer,
    Hold,
    Pause,
    Plan,
    Roller,
    Routine,
    Series,
    Session,
    Settings,
    Skip,
    UndoStep,
    Visit,
)
from rollminder.remind.records import ChannelConfig, ChannelStatus, Delivery, Snooze
from rollminder.store import Store, iter_all, roles

UTC = dt.UTC
NY = ZoneInfo("America/New_York")
T0 = dt.datetime(2026, 11, 2, 21, 5, tzinfo=UTC)


# -- the harness ----------------------------------------------------------------------------------


@dataclass
class Backend:
    """How the suite reaches one implementation.

    ``open(profile)`` gives a new store of ``profile`` on the backend's one database (a second call
    gives a second store on the same data). ``from_backup(path, profile)`` gives a store of
    ``profile`` reading a copy written by ``backup_now(path)``. Every store opened through
    :meth:`make` is closed after the test.
    """

    open: Callable[[str], Store]
    from_backup: Callable[[Path, str], Store]
    #: False where a store may read only its own profile's rows (PostgreSQL's row-level
    #: security): ``backup_now`` then copies that profile alone.
    whole_database_backup: bool = True
    opened: list[Store] = field(default_factory=list)

    def make(self, profile: str = "default") -> Store:
        store = self.open(profile)
        self.opened.append(store)
        return store

    def restore(self, path: Path, profile: str = "default") -> Store:
        store = self.from_backup(path, profile)
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            store.close()


MakeStore = Callable[..., Store]


@pytest.fixture
def make_store(backend: Backend) -> Iterator[MakeStore]:
    yield backend.make
    backend.close_all()


@pytest.fixture
def store(make_store: MakeStore) -> Store:
    return make_store()


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def a_session(hours: float = 0, **changes: Any) -> Session:
    fields: dict[str, Any] = {
        "start": at(hours), "minutes": 5.0, "zones": ("cheeks",), "created_at": T0,
    }  # fmt: skip
    fields.update(changes)
    return Session(**fields)


def a_plan(**changes: Any) -> Plan:
    fields: dict[str, Any] = {
        "needle_mm": 0.5, "sessions": 1, "every_weeks": 2, "weekdays": (2,),
        "time": dt.time(21, 5), "tz": "Europe/Paris", "minutes": 7.5,
        "zones": ("forehead", "cheeks"), "directions": ("vertical", "horizontal"), "passes": 6,
        "rest_hours": 72, "start": dt.date(2026, 11, 1), "created_at": T0,
    }  # fmt: skip
    fields.update(changes)
    return Plan(**fields)


def a_claim(owner: str = "host:1:a", slot: str = "2026-11-26T20:00Z", **changes: Any) -> Delivery:
    fields: dict[str, Any] = {
        "slot": slot, "kind": "session", "channel": "c1", "state": "claimed", "due_at": T0,
        "claimed_at": T0, "owner": owner,
    }  # fmt: skip
    fields.update(changes)
    return Delivery(**fields)


def a_channel(name: str = "phone", **changes: Any) -> ChannelConfig:
    fields: dict[str, Any] = {
        "name": name, "url": "json://x", "masked": "json://x", "kind": "json", "created_at": T0,
    }  # fmt: skip
    fields.update(changes)
    return ChannelConfig(**fields)


# -- every kind of record -------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of record: how to write it, list it, and (if the store can) delete it."""

    name: str
    put: Callable[[Store, Any], None]
    rows: Callable[[Store], list[Any]]
    delete: Callable[[Store, Any], bool] | None = None
    key: Callable[[Any], Any] = lambda row: row.id


KINDS = [
    Kind("plans", lambda s, r: s.put_plan(r), lambda s: s.plans()),
    Kind("sessions", lambda s, r: s.put_session(r), lambda s: s.sessions(),
         lambda s, r: s.delete_session(r.id)),
    Kind("skips", lambda s, r: s.put_skip(r), lambda s: s.skips(),
         lambda s, r: s.delete_skip(r.id)),
    Kind("pauses", lambda s, r: s.put_pause(r), lambda s: s.pauses(),
         lambda s, r: s.delete_pause(r.id)),
    Kind("rollers", lambda s, r: s.put_roller(r), lambda s: s.rollers(),
         lambda s, r: s.delete_roller(r.id)),
    Kind("visits", lambda s, r: s.put_visit(r), lambda s: s.visits(),
         lambda s, r: s.delete_visit(r.id)),
    Kind("series", lambda s, r: s.put_series(r), lambda s: s.series(),
         lambda s, r: s.delete_series(r.id)),
    Kind("holds", lambda s, r: s.put_hold(r), lambda s: s.holds(),
         lambda s, r: s.delete_hold(r.id)),
    Kind("clinician", lambda s, r: s.put_clinician_answer(r), lambda s: s.clinician_answers()),
    Kind("channels", lambda s, r: s.put_channel(r), lambda s: s.channels(),
         lambda s, r: s.delete_channel(r.id)),
    Kind("channel_statuses", lambda s, r: s.put_channel_status(r),
         lambda s: list(s.channel_statuses().values()), key=lambda r: r.channel),
    Kind("deliveries", lambda s, r: s.put_delivery(r), lambda s: s.deliveries(),
         lambda s, r: s.delete_delivery(r.slot, r.kind, r.channel),
         key=lambda r: (r.slot, r.kind, r.channel)),
    Kind("snoozes", lambda s, r: s.put_snooze(r), lambda s: s.snoozes(),
         key=lambda r: (r.slot, r.n)),
    Kind("undo_steps", lambda s, r: s.put_undo_step(r), lambda s: s.undo_steps(),
         lambda s, r: s.delete_undo_step(r.id)),
    Kind("routines", lambda s, r: s.put_routine(r), lambda s: s.routines(),
         lambda s, r: s.delete_routine(r.id)),
]  # fmt: skip
KIND = {kind.name: kind for kind in KINDS}
DELETABLE = [kind for kind in KINDS if kind.delete is not None]

# Text that breaks naive encodings: quotes, SQL, backslashes, controls, combining marks, RTL,
# CJK, emoji (outside the BMP), a zero-width joiner sequence.
UNICODE = (
    "tingly; 'quoted' \"text\" ✓ \\ '); DROP TABLE sessions; --\n\té e\u0301 שלום 日本 🙂 👩‍🔬"
)
LONG = (UNICODE + " ") * 1500  # about 100 KB of UTF-8
BIG_INT = 2**31 - 1  # the contract promises at least 32-bit integers
BIG_FLOAT = 1.7976931348623157e308
FAR = dt.datetime.max.replace(tzinfo=UTC)
EARLY = dt.datetime.min.replace(tzinfo=UTC)


def typical() -> dict[str, Any]:
    """One row of every kind, every field set to a non-default value, instants in New York time
    with microseconds (they must come back equal, in UTC)."""
    ny = dt.datetime(2026, 3, 8, 3, 30, 15, 123456, tzinfo=NY)  # just after the DST gap
    later = ny + dt.timedelta(minutes=20)
    return {
        "plans": a_plan(time=dt.time(6, 30, 15), blackout_before_days=3, blackout_after_days=21,
                        id="plan-1", created_at=ny, routine="routine-1"),
        "sessions": Session(start=ny, minutes=12.25, zones=("neck", "chest"), reaction="mild",
                            note=UNICODE, roller_id="roller-1", tz="America/New_York",
                            id="session-1", created_at=later, routine="routine-1"),
        "skips": Skip(slot=ny, reason="travel ✈", catch_up=True, id="skip-1", created_at=ny,
                      routine="routine-1"),
        "pauses": Pause(first=dt.date(2026, 12, 20), last=dt.date(2027, 1, 3), reason="holidays",
                        id="pause-1", created_at=ny, areas=("face", "thighs")),
        "rollers": Roller(label="Blue 0.5", needle_mm=0.5, added=dt.date(2026, 10, 1),
                          first_use=dt.date(2026, 10, 2), initial_uses=3,
                          retired=dt.date(2026, 12, 31), id="roller-1", created_at=ny,
                          routine="routine-1"),
        "visits": Visit(at=ny, clinic="Dr. Lee", note="first", series_id="series-1",
                        id="visit-1", created_at=ny, areas=("cheeks",)),
        "series": Series(name="Clinic RF", count=3, spacing_weeks=6, id="series-1",
                         created_at=ny),
        "holds": Hold(since=ny, until=later, reason="retinoid", question="retinoid", id="hold-1",
                      created_at=ny, areas=("arms",)),
        "clinician": ClinicianAnswer(question="pregnancy", yes=True, answered_at=ny,
                                     id="answer-1", created_at=later),
        "channels": ChannelConfig(name="phone", url="ntfy://secret@host/topic",
                                  masked="ntfy://***@host/topic", kind="ntfy", id="channel-1",
                                  created_at=ny),
        "channel_statuses": ChannelStatus("channel-1", failures=2, last_error="HTTP 500 ✗",
                                          last_error_at=ny, last_sent_at=later, retry_at=later),
        "deliveries": Delivery("2026-03-08T08:30:15Z", "prep", "channel-1", "recorded", ny, ny,
                               "host:42:abc", sent_at=later, recorded_at=later, late=True,
                               attempts=3),
        "snoozes": Snooze("2026-03-08T08:30:15Z", 2, later, created_at=ny),
        "undo_steps": UndoStep(action="delete", changes='[{"kind": "sessions", "before": '
                               '{"note": "✓"}, "after": null}]', id="undo-1", created_at=ny),
        "routines": Routine(name="body ✓", id="routine-1", created_at=ny),
    }  # fmt: skip


def emptiest() -> dict[str, Any]:
    """Empty strings and tuples, zeros, None where allowed, the earliest instants and dates."""
    day = dt.date.min
    return {
        "plans": a_plan(needle_mm=0.0, sessions=0, every_weeks=0, weekdays=(), time=dt.time(0, 0),
                        tz="", minutes=0.0, zones=(), directions=(), passes=0, rest_hours=0,
                        start=day, blackout_before_days=0, blackout_after_days=0, id="",
                        created_at=EARLY),
        "sessions": Session(start=EARLY, minutes=0.0, zones=(), reaction=None, note="",
                            roller_id=None, id="", created_at=EARLY),
        "skips": Skip(slot=EARLY, reason="", id="", created_at=EARLY),
        "pauses": Pause(first=day, last=day, reason="", id="", created_at=EARLY),
        "rollers": Roller(label="", needle_mm=0.0, added=day, first_use=None, initial_uses=0,
                          retired=None, id="", created_at=EARLY),
        "visits": Visit(at=EARLY, clinic="", note="", series_id=None, id="", created_at=EARLY),
        "series": Series(name="", count=0, spacing_weeks=0, id="", created_at=EARLY),
        "holds": Hold(since=EARLY, until=EARLY, reason="", question="", id="", created_at=EARLY),
        "clinician": ClinicianAnswer(question="", yes=False, answered_at=EARLY, id="",
                                     created_at=EARLY),
        "channels": ChannelConfig(name="", url="", masked="", kind="", id="", created_at=EARLY),
        "channel_statuses": ChannelStatus(""),
        "deliveries": Delivery("", "", "", "claimed", EARLY, EARLY, "", attempts=0),
        "snoozes": Snooze("", 0, EARLY, created_at=EARLY),
        "undo_steps": UndoStep(action="", changes="", id="", created_at=EARLY),
        "routines": Routine(name="", id="", created_at=EARLY),
    }  # fmt: skip


def largest() -> dict[str, Any]:
    """Long unicode text, the largest integers and floats, the latest instants and dates."""
    day, t = dt.date.max, dt.time(23, 59, 59, 999999)
    tup = tuple(LONG[i : i + 50] for i in range(0, 5000, 50))
    return {
        "plans": a_plan(needle_mm=BIG_FLOAT, sessions=BIG_INT, every_weeks=BIG_INT,
                        weekdays=(0, 1, 2, 3, 4, 5, 6), time=t, tz=LONG, minutes=BIG_FLOAT,
                        zones=tup, directions=tup, passes=BIG_INT, rest_hours=BIG_INT, start=day,
                        blackout_before_days=BIG_INT, blackout_after_days=BIG_INT, id=LONG,
                        created_at=FAR),
        "sessions": Session(start=FAR, minutes=BIG_FLOAT, zones=tup, reaction=LONG, note=LONG,
                            roller_id=LONG, id=LONG, created_at=FAR),
        "skips": Skip(slot=FAR, reason=LONG, id=LONG, created_at=FAR),
        "pauses": Pause(first=day, last=day, reason=LONG, id=LONG, created_at=FAR),
        "rollers": Roller(label=LONG, needle_mm=BIG_FLOAT, added=day, first_use=day,
                          initial_uses=BIG_INT, retired=day, id=LONG, created_at=FAR),
        "visits": Visit(at=FAR, clinic=LONG, note=LONG, series_id=LONG, id=LONG, created_at=FAR),
        "series": Series(name=LONG, count=BIG_INT, spacing_weeks=BIG_INT, id=LONG,
                         created_at=FAR),
        "holds": Hold(since=FAR, until=FAR, reason=LONG, question=LONG, id=LONG, created_at=FAR),
        "clinician": ClinicianAnswer(question=LONG, yes=True, answered_at=FAR, id=LONG,
                                     created_at=FAR),
        "channels": ChannelConfig(name=LONG, url=LONG, masked=LONG, kind=LONG, id=LONG,
                                  created_at=FAR),
        "channel_statuses": ChannelStatus(LONG, failures=BIG_INT, last_error=LONG,
                                          last_error_at=FAR, last_sent_at=FAR, retry_at=FAR),
        "deliveries": Delivery(LONG, LONG, LONG, "recorded", FAR, FAR, LONG, sent_at=FAR,
                               recorded_at=FAR, late=True, attempts=BIG_INT),
        "snoozes": Snooze(LONG, BIG_INT, FAR, created_at=FAR),
        "undo_steps": UndoStep(action=LONG, changes=LONG, id=LONG, created_at=FAR),
        "routines": Routine(name=LONG, id=LONG, created_at=FAR),
    }  # fmt: skip


ROW_SETS = {"typical": typical, "emptiest": emptiest, "largest": largest}
TYPICAL_SETTINGS = Settings(roller_max_uses=3, roller_max_days=30, prep_minutes=0, session_check=0)


def put_all(store: Store, rows: dict[str, Any]) -> None:
    for kind in KINDS:
        kind.put(store, rows[kind.name])


def everything(store: Store) -> dict[str, Any]:
    """Every row and value of the profile, of every kind."""
    found: dict[str, Any] = {kind.name: kind.rows(store) for kind in KINDS}
    found["settings"] = store.settings()
    found["reminder_state"] = store.reminder_state("daemon")
    found["secret"] = store.secret("password")
    return found


NOTHING: dict[str, Any] = {
    **{kind.name: [] for kind in KINDS},
    "settings": Settings(),
    "reminder_state": None,
    "secret": None,
}


def fill(store: Store) -> None:
    """One of everything: a row of every kind, settings, a reminder state value, a secret."""
    put_all(store, typical())
    store.put_settings(TYPICAL_SETTINGS)
    store.put_reminder_state("daemon", '{"pid": 1}')
    store.put_secret("password", "hash ✓")


# -- round trips ----------------------------------------------------------------------------------


def assert_same(returned: Any, original: Any, where: str) -> None:
    """Equal, of the same types field by field; instants in UTC."""
    assert type(returned) is type(original), where
    assert returned == original, where
    for f in dataclasses.fields(returned):
        value, expected = getattr(returned, f.name), getattr(original, f.name)
        assert type(value) is type(expected), (where, f.name)
        if isinstance(value, dt.datetime):
            assert value.tzinfo is UTC, (where, f.name)
            assert value == expected.astimezone(UTC), (where, f.name)


@pytest.mark.parametrize("row_set", list(ROW_SETS))
def test_every_field_of_every_kind_round_trips(make_store: MakeStore, row_set: str) -> None:
    rows = ROW_SETS[row_set]()
    put_all(make_store(), rows)
    reader = make_store()  # a second store on the same database: nothing comes from a cache
    for kind in KINDS:
        [back] = kind.rows(reader)
        assert_same(back, rows[kind.name], f"{row_set} {kind.name}")


def test_the_typical_rows_use_no_default_values() -> None:
    """Guards the round trip: a field left at its default would round-trip by accident."""
    for name, row in typical().items():
        for f in dataclasses.fields(row):
            if f.default is not dataclasses.MISSING:
                assert getattr(row, f.name) != f.default, (name, f.name)


def test_the_row_sets_cover_every_kind_the_store_lists() -> None:
    listing = {name for name in dir(roles.Store) if not name.startswith("_")}
    lists = {
        "plans", "sessions", "skips", "pauses", "rollers", "visits", "series", "holds",
        "clinician_answers", "channels", "channel_statuses", "deliveries", "snoozes",
        "undo_steps", "routines",
    }  # fmt: skip
    assert lists <= listing
    assert len(KINDS) == len(lists)
    for make in ROW_SETS.values():
        assert set(make()) == set(KIND)


def test_the_store_has_every_member_of_every_role(store: Store) -> None:
    members = {name for name in dir(roles.Store) if not name.startswith("_")}
    assert sorted(name for name in members if not hasattr(store, name)) == []


def test_plan_time_is_kept_to_the_minute_and_the_second(store: Store) -> None:
    store.put_plan(a_plan(time=dt.time(21, 5), id="a", created_at=at(0)))
    store.put_plan(a_plan(time=dt.time(7, 0, 30), id="b", created_at=at(1)))
    assert [p.time for p in store.plans()] == [dt.time(21, 5), dt.time(7, 0, 30)]


def test_lists_come_back_as_tuples(store: Store) -> None:
    store.put_session(a_session(zones=["chin", "neck"]))
    store.put_plan(a_plan(weekdays=[0, 3], zones=["chin"], directions=["vertical"]))
    assert store.sessions()[0].zones == ("chin", "neck")
    plan = store.plan()
    assert plan is not None
    assert (plan.weekdays, plan.zones, plan.directions) == ((0, 3), ("chin",), ("vertical",))


NAIVE = dt.datetime(2026, 11, 26, 20, 0)
NAIVE_CALLS: dict[str, Callable[[Store], object]] = {
    "put_plan": lambda s: s.put_plan(a_plan(created_at=NAIVE)),
    "put_session": lambda s: s.put_session(a_session(start=NAIVE)),
    "put_skip": lambda s: s.put_skip(Skip(slot=NAIVE, reason="r", created_at=T0)),
    "put_visit": lambda s: s.put_visit(Visit(at=NAIVE, created_at=T0)),
    "put_hold": lambda s: s.put_hold(Hold(since=T0, until=NAIVE, reason="r", created_at=T0)),
    "put_clinician_answer": lambda s: s.put_clinician_answer(
        ClinicianAnswer(question="q", yes=True, answered_at=NAIVE, created_at=T0)
    ),
    "put_channel": lambda s: s.put_channel(a_channel(created_at=NAIVE)),
    "put_channel_status": lambda s: s.put_channel_status(ChannelStatus("c", retry_at=NAIVE)),
    "claim_delivery": lambda s: s.claim_delivery(a_claim(due_at=NAIVE)),
    "put_delivery": lambda s: s.put_delivery(a_claim(sent_at=NAIVE)),
    "put_snooze": lambda s: s.put_snooze(Snooze("k", 1, NAIVE, created_at=T0)),
    "sessions(since)": lambda s: s.sessions(since=NAIVE),
    "sessions(until)": lambda s: s.sessions(until=NAIVE),
    "skips(since)": lambda s: s.skips(since=NAIVE),
    "skips(until)": lambda s: s.skips(until=NAIVE),
    "last_session(before)": lambda s: s.last_session(before=NAIVE),
    "deliveries(since)": lambda s: s.deliveries(since=NAIVE),
}


@pytest.mark.parametrize("call", list(NAIVE_CALLS))
def test_naive_datetimes_are_refused(store: Store, call: str) -> None:
    with pytest.raises(ValueError, match="aware"):
        NAIVE_CALLS[call](store)
    assert everything(store) == NOTHING


# -- sort orders and ranges -----------------------------------------------------------------------


def test_sessions_are_sorted_by_start_ties_in_insertion_order(store: Store) -> None:
    for s in (a_session(48, id="late"), a_session(24, id="tie-1"), a_session(0, id="early"),
              a_session(24, id="tie-2")):  # fmt: skip
        store.put_session(s)
    assert [s.id for s in store.sessions()] == ["early", "tie-1", "tie-2", "late"]


def test_since_is_inclusive_and_until_exclusive(store: Store) -> None:
    for h in range(5):
        store.put_session(a_session(h, id=f"s{h}"))
        store.put_skip(Skip(slot=at(h), reason="r", id=f"k{h}", created_at=T0))
        store.put_delivery(a_claim(slot=f"slot-{h}", due_at=at(h)))

    def ids(rows: list[Session] | list[Skip]) -> list[str]:
        return [r.id for r in rows]

    assert ids(store.sessions(since=at(1), until=at(3))) == ["s1", "s2"]
    assert ids(store.sessions(since=at(3))) == ["s3", "s4"]
    assert ids(store.sessions(until=at(1))) == ["s0"]
    assert ids(store.sessions(since=at(2), until=at(2))) == []
    assert ids(store.skips(since=at(1), until=at(3))) == ["k1", "k2"]
    assert ids(store.skips(since=at(4))) == ["k4"]
    assert ids(store.skips(until=at(0))) == []
    assert [d.slot for d in store.deliveries(since=at(3))] == ["slot-3", "slot-4"]
    assert len(store.deliveries()) == 5
    # The same instants given in another zone select the same rows.
    ny_since, ny_until = at(1).astimezone(NY), at(3).astimezone(NY)
    assert ids(store.sessions(since=ny_since, until=ny_until)) == ["s1", "s2"]
    assert ids(store.skips(since=ny_since, until=ny_until)) == ["k1", "k2"]
    assert [d.slot for d in store.deliveries(since=at(3).astimezone(NY))] == ["slot-3", "slot-4"]
    # Microseconds count: one microsecond past a start excludes it.
    tick = dt.timedelta(microseconds=1)
    assert ids(store.sessions(since=at(1) + tick, until=at(3))) == ["s2"]
    assert ids(store.sessions(since=at(1), until=at(3) + tick)) == ["s1", "s2", "s3"]
    assert [d.slot for d in store.deliveries(since=at(3) + tick)] == ["slot-4"]


def test_last_session_before_is_exclusive(store: Store) -> None:
    assert store.last_session() is None
    for h, name in ((0, "a"), (10, "b"), (10, "c"), (20, "d")):
        store.put_session(a_session(h, id=name))
    last = store.last_session()
    assert last is not None and last.id == "d"
    before_d = store.last_session(before=at(20))
    assert before_d is not None and before_d.id == "c"  # tie at 10 h: the later insertion
    before_b = store.last_session(before=at(10).astimezone(NY))
    assert before_b is not None and before_b.id == "a"
    assert store.last_session(before=at(0)) is None


def test_every_list_is_sorted_as_documented(store: Store) -> None:
    d = dt.date(2026, 11, 1)
    days = [d + dt.timedelta(days=n) for n in range(12)]
    store.put_pause(Pause(first=days[9], last=days[10], id="p2", created_at=T0))
    store.put_pause(Pause(first=days[0], last=days[1], id="p1", created_at=T0))
    store.put_roller(Roller(label="b", needle_mm=0.5, added=d, id="r2", created_at=at(5)))
    store.put_roller(Roller(label="c", needle_mm=0.5, added=d, id="r3", created_at=at(9)))
    store.put_roller(Roller(label="a", needle_mm=0.5, added=d, id="r1", created_at=at(1)))
    store.put_roller(Roller(label="z", needle_mm=0.5, added=d - dt.timedelta(days=1), id="r0",
                            created_at=at(99)))  # fmt: skip
    store.put_visit(Visit(at=at(30), id="v2", created_at=T0))
    store.put_visit(Visit(at=at(3), id="v1", created_at=T0))
    store.put_series(Series(name="b", count=2, spacing_weeks=4, id="x2", created_at=at(8)))
    store.put_series(Series(name="a", count=2, spacing_weeks=4, id="x1", created_at=at(2)))
    store.put_hold(Hold(since=at(0), until=at(50), reason="r", id="h3", created_at=T0))
    store.put_hold(Hold(since=at(5), until=at(10), reason="r", id="h2", created_at=T0))
    store.put_hold(Hold(since=at(1), until=at(10), reason="r", id="h1", created_at=T0))
    for n, question in enumerate(("rosacea", "bleeding", "pregnancy")):
        store.put_clinician_answer(ClinicianAnswer(question=question, yes=True, answered_at=at(0),
                                                   id=f"a{n}", created_at=T0))  # fmt: skip
    store.put_channel(a_channel("late", id="c2", created_at=at(9)))
    store.put_channel(a_channel("early", id="c1", created_at=at(1)))
    store.put_delivery(a_claim(slot="b", due_at=at(2)))
    store.put_delivery(a_claim(slot="a", due_at=at(7)))
    store.put_delivery(a_claim(slot="c", due_at=at(1)))
    store.put_snooze(Snooze("s2", 1, at(1), created_at=T0))
    store.put_snooze(Snooze("s1", 2, at(2), created_at=T0))
    store.put_snooze(Snooze("s1", 1, at(9), created_at=T0))
    assert [p.id for p in store.pauses()] == ["p1", "p2"]
    assert [r.id for r in store.rollers()] == ["r0", "r1", "r2", "r3"]
    assert [v.id for v in store.visits()] == ["v1", "v2"]
    assert [s.id for s in store.series()] == ["x1", "x2"]
    assert [h.id for h in store.holds()] == ["h1", "h2", "h3"]
    assert [a.question for a in store.clinician_answers()] == ["bleeding", "pregnancy", "rosacea"]
    assert [c.id for c in store.channels()] == ["c1", "c2"]
    assert [d.slot for d in store.deliveries()] == ["c", "b", "a"]
    assert [(z.slot, z.n) for z in store.snoozes()] == [("s1", 1), ("s1", 2), ("s2", 1)]


# -- writes ---------------------------------------------------------------------------------------


def _tied(kind: Kind, row: Any, name: str) -> Any:
    """Another row of ``kind`` with the same sort key as ``row`` but its own key."""
    if kind.name == "channel_statuses":
        return dataclasses.replace(row, channel=name)
    if kind.name in ("deliveries", "snoozes"):
        return dataclasses.replace(row, slot=name)
    changes: dict[str, Any] = {"id": name}
    if kind.name in ("channels", "routines"):
        changes["name"] = name
    if kind.name == "clinician":
        changes["question"] = name
    return dataclasses.replace(row, **changes)


def _edited(kind: Kind, row: Any) -> Any:
    """``row`` with a field its replacement must change (one that put_* does replace)."""
    text = {"plans": "tz", "sessions": "note", "skips": "reason", "pauses": "reason",
            "rollers": "label", "visits": "note", "series": "name", "holds": "reason",
            "clinician": None, "channels": "masked", "channel_statuses": "last_error",
            "deliveries": "owner", "snoozes": None, "undo_steps": "changes",
            "routines": "name"}[kind.name]  # fmt: skip
    if kind.name == "clinician":
        return dataclasses.replace(row, yes=not row.yes)
    if kind.name == "snoozes":
        return dataclasses.replace(row, until=row.until + dt.timedelta(minutes=5))
    assert text is not None
    return dataclasses.replace(row, **{text: "edited ✓"})


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_put_replaces_by_key_and_keeps_the_place(make_store: MakeStore, kind: Kind) -> None:
    store = make_store()
    first = typical()[kind.name]
    second = _tied(kind, first, "second")
    kind.put(store, first)
    kind.put(store, second)
    kind.put(store, _edited(kind, first))
    for view in (store, make_store()):
        rows = kind.rows(view)
        assert [kind.key(r) for r in rows] == [kind.key(first), kind.key(second)]
        assert rows[0] == _edited(kind, first)
        assert rows[1] == second


def test_session_by_id_and_count(store: Store) -> None:
    store.put_session(a_session(5, id="first"))
    store.put_session(a_session(5, id="first", note="edited", minutes=9.0))
    assert store.count_sessions() == 1
    found = store.session("first")
    assert found is not None and (found.minutes, found.note) == (9.0, "edited")
    assert store.session("missing") is None


@pytest.mark.parametrize("kind", DELETABLE, ids=lambda k: k.name)
def test_delete_returns_whether_a_row_was_deleted(store: Store, kind: Kind) -> None:
    assert kind.delete is not None
    row = typical()[kind.name]
    other = _tied(kind, row, "other")
    kind.put(store, row)
    kind.put(store, other)
    assert kind.delete(store, row) is True
    assert kind.delete(store, row) is False
    assert kind.rows(store) == [other]


def test_count_sessions_by_roller(store: Store) -> None:
    assert store.count_sessions() == 0
    for i in range(3):
        store.put_session(a_session(i, roller_id="blue"))
    store.put_session(a_session(10, roller_id="red"))
    store.put_session(a_session(11))
    assert store.count_sessions() == 5
    assert store.count_sessions("blue") == 3
    assert store.count_sessions("red") == 1
    assert store.count_sessions("green") == 0


def test_plan_versions_newest_is_current(store: Store) -> None:
    assert store.plan() is None and store.plans() == []
    v2 = a_plan(needle_mm=0.5, id="v2", created_at=at(10))
    v1 = a_plan(needle_mm=0.25, id="v1", created_at=at(0))
    store.put_plan(v2)
    store.put_plan(v1)  # inserted later but older
    assert store.plan() == v2
    assert [p.id for p in store.plans()] == ["v1", "v2"]
    tie = a_plan(needle_mm=0.75, id="v3", created_at=at(10))
    store.put_plan(tie)
    assert store.plan() == tie  # same created_at: the later insertion is current
    assert [p.id for p in store.plans()] == ["v1", "v2", "v3"]
    store.put_plan(dataclasses.replace(v1, minutes=3.0))  # replaces by id: no new version
    assert [p.id for p in store.plans()] == ["v1", "v2", "v3"]
    assert store.plans()[0].minutes == 3.0
    assert store.plan() == tie


def test_settings_default_and_round_trip(make_store: MakeStore) -> None:
    store = make_store()
    assert store.settings() == Settings()
    store.put_settings(TYPICAL_SETTINGS)
    assert make_store().settings() == TYPICAL_SETTINGS
    store.put_settings(Settings(roller_max_uses=8))
    assert make_store().settings() == Settings(roller_max_uses=8)


# -- transactions ---------------------------------------------------------------------------------


class Boom(Exception):
    pass


def test_transaction_commits_as_one_and_reads_inside_see_the_writes(make_store: MakeStore) -> None:
    store = make_store()
    with store.transaction():
        fill(store)
        assert store.count_sessions() == 1
        assert store.secret("password") == "hash ✓"
    assert everything(make_store()) == everything(store)
    assert everything(store) != NOTHING


def test_a_block_that_raises_rolls_back_every_kind_of_write(make_store: MakeStore) -> None:
    store = make_store()
    store.put_session(a_session(0, id="kept"))
    store.put_channel(a_channel("kept", id="kept"))
    before = everything(store)
    with pytest.raises(Boom), store.transaction():
        fill(store)
        store.put_session(a_session(0, id="kept", note="changed"))
        assert store.delete_channel("kept") is True
        assert store.claim_delivery(a_claim(slot="new"))
        assert store.delete_skip("none") is False
        raise Boom
    for view in (store, make_store()):
        assert everything(view) == before


def test_nested_transactions_join_the_outer_one(store: Store) -> None:
    with pytest.raises(Boom), store.transaction():
        with store.transaction():
            store.put_session(a_session(1, id="inner"))
            store.put_secret("token", "inner")
        store.put_session(a_session(2, id="outer"))
        raise Boom
    assert store.sessions() == []  # the inner block was undone with the outer one
    assert store.secret("token") is None


def test_a_failed_inner_block_caught_by_the_outer_one_is_undone_alone(store: Store) -> None:
    with store.transaction():
        store.put_session(a_session(1, id="outer"))
        with pytest.raises(Boom), store.transaction():
            store.put_session(a_session(2, id="inner"))
            store.put_reminder_state("k", "inner")
            raise Boom
        store.put_session(a_session(3, id="after"))
    assert [s.id for s in store.sessions()] == ["outer", "after"]
    assert store.reminder_state("k") is None


def test_a_store_keeps_working_after_a_rollback(store: Store) -> None:
    with pytest.raises(Boom), store.transaction():
        store.put_session(a_session(1))
        raise Boom
    store.put_session(a_session(2, id="later"))
    assert [s.id for s in store.sessions()] == ["later"]


def test_a_refused_write_inside_a_block_can_be_caught(store: Store) -> None:
    store.put_channel(a_channel("taken", id="c1"))
    with store.transaction():
        store.put_session(a_session(1, id="kept"))
        with pytest.raises(StorageError), store.transaction():
            store.put_channel(a_channel("taken", id="c2"))
    assert [s.id for s in store.sessions()] == ["kept"]
    assert [c.id for c in store.channels()] == ["c1"]


# -- the reminder ledger --------------------------------------------------------------------------


def test_the_first_claim_wins_and_a_second_is_refused(make_store: MakeStore) -> None:
    store, other = make_store(), make_store()  # two processes on one database
    assert store.claim_delivery(a_claim("host:1:a")) is True
    assert other.claim_delivery(a_claim("host:2:b")) is False
    assert store.claim_delivery(a_claim("host:1:a")) is False  # not even by the same owner
    [row] = other.deliveries()
    assert (row.owner, row.state, row.attempts) == ("host:1:a", "claimed", 1)
    # Another kind or channel of the same slot is another key.
    assert other.claim_delivery(a_claim("host:2:b", kind="prep")) is True
    assert other.claim_delivery(a_claim("host:2:b", channel="c2")) is True
    assert len(store.deliveries()) == 3


def test_a_claim_is_taken_over_only_from_its_owner_while_claimed(store: Store) -> None:
    store.claim_delivery(a_claim("host:1:a", late=False))
    later = T0 + dt.timedelta(minutes=1)
    taker = a_claim("host:2:b", claimed_at=later, due_at=later, late=True)
    assert store.claim_delivery(taker, replacing="host:9:z") is False  # not the owner
    assert store.claim_delivery(a_claim(slot="nothing"), replacing="host:1:a") is False
    assert store.deliveries(since=later) == []
    assert store.claim_delivery(taker, replacing="host:1:a") is True
    [row] = store.deliveries()
    assert (row.owner, row.claimed_at, row.due_at, row.late, row.attempts) == (
        "host:2:b", later, later, True, 2,
    )  # fmt: skip
    assert store.claim_delivery(taker, replacing="host:1:a") is False  # no longer its owner
    sent = dataclasses.replace(row, state="sent", sent_at=later)
    store.put_delivery(sent)
    assert store.claim_delivery(a_claim("host:3:c"), replacing="host:2:b") is False  # not claimed
    assert store.deliveries() == [sent]


def test_put_delivery_moves_the_state_and_keeps_the_claim(store: Store) -> None:
    claim = a_claim("host:1:a", late=True)
    store.claim_delivery(claim)
    later = T0 + dt.timedelta(hours=1)
    store.put_delivery(dataclasses.replace(claim, state="recorded", sent_at=later,
                                           recorded_at=later, owner="host:2:b", due_at=later,
                                           claimed_at=later, late=False, attempts=9))  # fmt: skip
    [row] = store.deliveries()
    assert row == dataclasses.replace(
        claim, state="recorded", sent_at=later, recorded_at=later, owner="host:2:b"
    )
    assert store.delete_delivery(claim.slot, claim.kind, claim.channel) is True
    assert store.delete_delivery(claim.slot, claim.kind, claim.channel) is False
    assert store.deliveries() == []


def test_a_delivery_state_is_claimed_sent_or_recorded(store: Store) -> None:
    for state in ("claimed", "sent", "recorded"):
        store.put_delivery(a_claim(slot=state, state=state))
    with pytest.raises(StorageError):
        store.put_delivery(a_claim(slot="other", state="lost"))
    with pytest.raises(StorageError):
        store.claim_delivery(a_claim(slot="other", state=""))
    assert [d.state for d in store.deliveries()] == ["claimed", "sent", "recorded"]


def test_channel_names_are_unique(store: Store) -> None:
    assert store.has_channels() is False
    store.put_channel(a_channel("phone", id="c1", created_at=T0))
    assert store.has_channels() is True
    with pytest.raises(StorageError):
        store.put_channel(a_channel("phone", id="c2"))
    assert [c.id for c in store.channels()] == ["c1"]
    store.put_channel(a_channel("laptop", id="c1", created_at=T0))  # a rename
    store.put_channel(a_channel("phone", id="c2", created_at=at(1)))  # the name is free again
    assert [(c.id, c.name) for c in store.channels()] == [("c1", "laptop"), ("c2", "phone")]


def test_routine_names_are_unique_per_profile(make_store: MakeStore) -> None:
    store = make_store()
    store.put_routine(Routine(name="face", id="r1", created_at=T0))
    with pytest.raises(StorageError):
        store.put_routine(Routine(name="face", id="r2", created_at=at(1)))
    assert [r.id for r in store.routines()] == ["r1"]
    store.put_routine(Routine(name="body", id="r2", created_at=at(1)))
    store.put_routine(Routine(name="cheeks", id="r1", created_at=T0))  # a rename
    store.put_routine(Routine(name="face", id="r3", created_at=at(2)))  # the name is free again
    assert [(r.id, r.name) for r in store.routines()] == [
        ("r1", "cheeks"),
        ("r2", "body"),
        ("r3", "face"),
    ]
    make_store("other").put_routine(Routine(name="face", id="r1", created_at=T0))
    assert [r.name for r in make_store("other").routines()] == ["face"]


def test_deleting_a_channel_deletes_its_status_only(store: Store) -> None:
    store.put_channel(a_channel("a", id="c1"))
    store.put_channel(a_channel("b", id="c2"))
    store.put_channel_status(ChannelStatus("c1", failures=2, retry_at=T0))
    store.put_channel_status(ChannelStatus("c2", failures=1))
    store.put_channel_status(ChannelStatus("desktop", last_sent_at=T0))  # the implicit channel
    assert store.channel_statuses()["c1"].failures == 2
    store.put_channel_status(ChannelStatus("c1", failures=0))
    assert store.channel_statuses()["c1"] == ChannelStatus("c1")
    assert store.delete_channel("c1") is True
    assert store.delete_channel("c1") is False
    assert set(store.channel_statuses()) == {"c2", "desktop"}
    assert [c.id for c in store.channels()] == ["c2"]
    assert store.delete_channel("c2") and store.has_channels() is False


def test_a_snooze_moves_and_keeps_when_it_was_made(store: Store) -> None:
    store.put_snooze(Snooze("k", 1, T0, created_at=T0))
    store.put_snooze(Snooze("k", 2, at(2), created_at=at(1)))
    store.put_snooze(Snooze("k", 1, at(3), created_at=at(3)))
    assert store.snoozes() == [Snooze("k", 1, at(3), created_at=T0),
                               Snooze("k", 2, at(2), created_at=at(1))]  # fmt: skip


def test_reminder_state_values(store: Store) -> None:
    assert store.reminder_state("daemon") is None
    store.put_reminder_state("daemon", "{}")
    store.put_reminder_state("daemon", '{"a": 1}')
    store.put_reminder_state("other", "")
    assert store.reminder_state("daemon") == '{"a": 1}'
    assert store.reminder_state("other") == ""
    store.put_reminder_state("big", LONG)
    assert store.reminder_state("big") == LONG


# -- the pre-session check ------------------------------------------------------------------------


def test_one_clinician_answer_per_question(store: Store) -> None:
    first = ClinicianAnswer(question="pregnancy", yes=True, answered_at=T0, id="a1", created_at=T0)
    store.put_clinician_answer(first)
    store.put_clinician_answer(dataclasses.replace(first, yes=False))  # by id: a replacement
    with pytest.raises(StorageError):
        store.put_clinician_answer(dataclasses.replace(first, id="a2"))  # another row
    assert store.clinician_answers() == [dataclasses.replace(first, yes=False)]


# -- secrets --------------------------------------------------------------------------------------


def test_secrets(make_store: MakeStore) -> None:
    store = make_store()
    assert store.secret("password") is None
    store.put_secret("password", "hash ✓")
    store.put_secret("feed", "")
    store.put_secret("feed", LONG)
    assert make_store().secret("password") == "hash ✓"
    assert make_store().secret("feed") == LONG
    assert store.settings() == Settings()  # never part of the settings
    assert list(iter_all(store)) == []  # nor of the rows an export reads
    assert store.delete_secret("feed") is True
    assert store.delete_secret("feed") is False
    assert store.secret("feed") is None and store.secret("password") == "hash ✓"


def test_secrets_and_settings_do_not_overwrite_each_other(store: Store) -> None:
    for name in ("roller_max_uses", "session_check", "web:password"):
        store.put_secret(name, "s3cret")
    store.put_settings(TYPICAL_SETTINGS)
    assert store.secret("roller_max_uses") == "s3cret"
    assert store.settings() == TYPICAL_SETTINGS
    store.put_settings(Settings())
    assert store.secret("session_check") == "s3cret"


# -- maintenance: data stamps, backups, closing ---------------------------------------------------

WRITES: dict[str, Callable[[Store], object]] = {
    **{f"put {kind.name}": (lambda s, k=kind: k.put(s, typical()[k.name])) for kind in KINDS},
    "claim_delivery": lambda s: s.claim_delivery(a_claim()),
    "put_settings": lambda s: s.put_settings(TYPICAL_SETTINGS),
    "put_reminder_state": lambda s: s.put_reminder_state("k", "v"),
    "put_secret": lambda s: s.put_secret("k", "v"),
}
DELETES: dict[str, Callable[[Store], object]] = {
    **{f"delete {kind.name}": (lambda s, k=kind: k.delete(s, typical()[k.name]))
       for kind in DELETABLE},
    "delete_secret": lambda s: s.delete_secret("password"),
}  # fmt: skip
READS: list[Callable[[Store], object]] = [
    *(kind.rows for kind in KINDS),
    lambda s: s.plan(),
    lambda s: s.session("session-1"),
    lambda s: s.last_session(at(1)),
    lambda s: s.count_sessions("roller-1"),
    lambda s: s.sessions(at(0), at(9)),
    lambda s: s.skips(at(0), at(9)),
    lambda s: s.deliveries(at(0)),
    lambda s: s.has_channels(),
    lambda s: s.settings(),
    lambda s: s.reminder_state("daemon"),
    lambda s: s.secret("password"),
    lambda s: list(iter_all(s)),
]


@pytest.mark.parametrize("write", list(WRITES))
def test_the_data_stamp_moves_after_a_write(make_store: MakeStore, write: str) -> None:
    store, other = make_store(), make_store("other")
    before = store.data_stamp()
    WRITES[write](store)
    after = store.data_stamp()
    assert after != before
    theirs = other.data_stamp()
    WRITES[write](other)  # another profile's write moves its stamp (and SQLite's stamp of the
    assert other.data_stamp() != theirs  # file for every profile; PostgreSQL's is a profile's)


@pytest.mark.parametrize("delete", list(DELETES))
def test_the_data_stamp_moves_after_a_delete(store: Store, delete: str) -> None:
    fill(store)
    before = store.data_stamp()
    assert DELETES[delete](store) is True
    assert store.data_stamp() != before


def test_the_data_stamp_stays_while_only_reading(make_store: MakeStore) -> None:
    store = make_store()
    fill(store)
    stamp = store.data_stamp()
    for read in READS:
        read(store)
        read(make_store())  # nor when another store reads
        assert store.data_stamp() == stamp
    with store.transaction():
        store.sessions()
    assert store.data_stamp() == stamp


def test_the_data_stamp_moves_after_a_transaction_that_wrote(store: Store) -> None:
    stamp = store.data_stamp()
    with store.transaction():
        store.put_session(a_session())
        store.put_skip(Skip(slot=T0, reason="r", created_at=T0))
    assert store.data_stamp() != stamp


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_now_copies_every_profile(backend: Backend, tmp_path: Path) -> None:
    alice, bob = backend.make("alice"), backend.make("bob")
    fill(alice)
    bob.put_session(a_session(3, id="bobs"))
    bob.put_secret("password", "bob's")
    dest = tmp_path / "new-dir" / "copy.backup"
    alice.backup_now(dest)
    assert mode(dest) == 0o600
    assert mode(dest.parent) == 0o700
    alice.put_session(a_session(9, id="after the backup"))

    copy = backend.restore(dest, "alice")
    assert everything(copy) == everything(backend.make("alice")) | {
        "sessions": [typical()["sessions"]]
    }
    bobs = backend.restore(dest, "bob")
    if not backend.whole_database_backup:  # alice's store could not read a row of bob's
        assert everything(bobs) == NOTHING
        return
    assert [s.id for s in bobs.sessions()] == ["bobs"] and bobs.secret("password") == "bob's"

    again = tmp_path / "again.backup"  # (never replace a file a store has open)
    alice.backup_now(again)
    bob.backup_now(again)  # a second backup replaces the first
    assert [s.id for s in backend.restore(again, "alice").sessions()] == [
        "session-1", "after the backup"
    ]  # fmt: skip


def test_close_twice_and_a_closed_store_refuses_work(backend: Backend) -> None:
    store = backend.make()
    store.put_session(a_session(id="kept"))
    store.close()
    store.close()
    with pytest.raises(StorageError):
        store.sessions()
    with pytest.raises(StorageError):
        store.put_session(a_session())
    with pytest.raises(StorageError):
        store.data_stamp()
    assert [s.id for s in backend.make().sessions()] == ["kept"]


def test_profile_and_path(make_store: MakeStore) -> None:
    store = make_store("alice")
    assert store.profile == "alice"
    assert store.path is None or Path(store.path).exists()


# -- profiles -------------------------------------------------------------------------------------


def test_profiles_never_see_each_others_rows(make_store: MakeStore) -> None:
    alice, bob = make_store("alice"), make_store("bob")
    fill(alice)
    assert everything(bob) == NOTHING
    assert bob.plan() is None and bob.has_channels() is False
    assert bob.count_sessions() == 0 and bob.count_sessions("roller-1") == 0
    assert bob.last_session() is None and bob.session("session-1") is None
    for name, delete in DELETES.items():
        assert delete(bob) is False, name
    bob.put_settings(Settings())
    assert everything(alice) == everything(make_store("alice"))
    assert alice.settings() == TYPICAL_SETTINGS


def test_the_same_keys_in_two_profiles_are_two_rows(make_store: MakeStore) -> None:
    """Importing one export into two profiles must not move or overwrite rows; the same claim,
    channel name or question in two profiles is two rows."""
    alice, bob = make_store("alice"), make_store("bob")
    fill(alice)
    assert bob.claim_delivery(typical()["deliveries"]) is True  # alice holds the same key
    rows = {name: _edited(KIND[name], row) for name, row in typical().items()}
    put_all(bob, rows)
    bob.put_secret("password", "bob's")
    bob.put_reminder_state("daemon", "bob's")
    for kind in KINDS:
        assert kind.rows(alice) == [typical()[kind.name]], kind.name
        assert kind.rows(bob) == [rows[kind.name]], kind.name
    assert alice.secret("password") == "hash ✓"
    assert alice.reminder_state("daemon") == '{"pid": 1}'
    for name, delete in DELETES.items():
        assert delete(bob) is True, name
    assert everything(alice) == everything(make_store("alice")) != NOTHING
    assert len(list(iter_all(alice))) == 10


# -- the due index (issue 16) ---------------------------------------------------------------------


def test_the_due_index_is_replaced_whole_and_kept_per_profile(
    make_store: Callable[..., Store],
) -> None:
    a, b = make_store("default"), make_store("other")
    assert a.due_index() == {}
    at = dt.datetime(2026, 11, 25, 21, tzinfo=NY)
    a.put_due_index({"": at, "r2": at + dt.timedelta(hours=1)})
    b.put_due_index({"": at + dt.timedelta(days=1)})
    got = a.due_index()
    assert got == {"": at, "r2": at + dt.timedelta(hours=1)}
    assert all(v.tzinfo is not None and v.utcoffset() == dt.timedelta(0) for v in got.values())
    a.put_due_index({"r2": at})  # "" has nothing due any more
    assert a.due_index() == {"r2": at}
    assert b.due_index() == {"": at + dt.timedelta(days=1)}
    with pytest.raises(ValueError):
        a.put_due_index({"": dt.datetime(2026, 11, 25, 21)})
