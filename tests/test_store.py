"""The Store contract, run against both MemoryStore and SqliteStore."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rollminder.model import Pause, Plan, Roller, Series, Session, Settings, Skip, Visit
from rollminder.store import Store, iter_all
from rollminder.store.memory import MemoryDatabase, MemoryStore
from rollminder.store.sqlite import SqliteStore

UTC = dt.UTC
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
T0 = dt.datetime(2026, 11, 2, 21, 5, tzinfo=UTC)

MakeStore = Callable[..., Store]


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    """Opens a store on the same database each time (another profile, or the same one again)."""
    opened: list[Store] = []
    database = MemoryDatabase()

    def make(profile: str = "default") -> Store:
        store: Store
        if request.param == "memory":
            store = MemoryStore(profile, database=database)
        else:
            store = SqliteStore.open(tmp_path / "rollminder.db", profile=profile, now=NOW)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: MakeStore) -> Store:
    return make_store()


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def a_session(hours: float = 0, **changes: object) -> Session:
    fields: dict[str, object] = {"start": at(hours), "minutes": 5.0, "zones": ("cheeks",)}
    fields.update(changes)
    return Session(**{"created_at": T0, **fields})  # type: ignore[arg-type]


def a_plan(**changes: object) -> Plan:
    fields: dict[str, object] = {
        "needle_mm": 0.5,
        "sessions": 1,
        "every_weeks": 2,
        "weekdays": (2,),
        "time": dt.time(21, 5),
        "tz": "Europe/Paris",
        "minutes": 7.5,
        "zones": ("forehead", "cheeks"),
        "directions": ("vertical", "horizontal"),
        "passes": 6,
        "rest_hours": 72,
        "start": dt.date(2026, 11, 1),
    }
    fields.update(changes)
    return Plan(**{"created_at": T0, **fields})  # type: ignore[arg-type]


def every_kind() -> list[object]:
    """One row of every kind (in iter_all order), every field set to a non-default value,
    instants in New York time with microseconds (they must come back equal, in UTC)."""
    ny = dt.datetime(2026, 3, 8, 3, 30, 15, 123456, tzinfo=NY)  # just after the DST gap
    return [
        a_plan(
            time=dt.time(6, 30, 15),
            blackout_before_days=3,
            blackout_after_days=21,
            id="plan-1",
            created_at=ny,
        ),
        Session(
            start=ny,
            minutes=12.25,
            zones=("neck", "chest"),
            reaction="mild",
            note="tingly; 'quoted' \"text\" ✓",
            roller_id="roller-1",
            id="session-1",
            created_at=ny + dt.timedelta(minutes=20),
        ),
        Skip(slot=ny, reason="travel", catch_up=True, id="skip-1", created_at=ny),
        Pause(
            first=dt.date(2026, 12, 20),
            last=dt.date(2027, 1, 3),
            reason="holidays",
            id="pause-1",
            created_at=ny,
        ),
        Roller(
            label="Blue 0.5",
            needle_mm=0.5,
            added=dt.date(2026, 10, 1),
            first_use=dt.date(2026, 10, 2),
            initial_uses=3,
            retired=dt.date(2026, 12, 31),
            id="roller-1",
            created_at=ny,
        ),
        Visit(
            at=ny, clinic="Dr. Lee", note="first", series_id="series-1", id="visit-1", created_at=ny
        ),
        Series(name="Clinic RF", count=3, spacing_weeks=6, id="series-1", created_at=ny),
    ]


def put_any(store: Store, row: object) -> None:
    putters: dict[type, Callable[[object], None]] = {
        Plan: store.put_plan,  # type: ignore[dict-item]
        Session: store.put_session,  # type: ignore[dict-item]
        Skip: store.put_skip,  # type: ignore[dict-item]
        Pause: store.put_pause,  # type: ignore[dict-item]
        Roller: store.put_roller,  # type: ignore[dict-item]
        Series: store.put_series,  # type: ignore[dict-item]
        Visit: store.put_visit,  # type: ignore[dict-item]
    }
    putters[type(row)](row)


def delete_any(store: Store, row: object) -> bool:
    deleters: dict[type, Callable[[str], bool]] = {
        Session: store.delete_session,
        Skip: store.delete_skip,
        Pause: store.delete_pause,
        Roller: store.delete_roller,
        Series: store.delete_series,
        Visit: store.delete_visit,
    }
    return deleters[type(row)](row.id)  # type: ignore[attr-defined]


# -- round trip -----------------------------------------------------------------------------------


def test_every_field_of_every_kind_round_trips(make_store: MakeStore) -> None:
    rows = every_kind()
    writer = make_store()
    for row in rows:
        put_any(writer, row)
    reader = make_store()  # a second store on the same database: nothing comes from a cache
    back = list(iter_all(reader))

    assert back == rows
    for original, returned in zip(rows, back, strict=True):
        assert type(returned) is type(original)
        for f in dataclasses.fields(returned):  # type: ignore[arg-type]
            value, expected = getattr(returned, f.name), getattr(original, f.name)
            assert value == expected, f.name
            assert type(value) is type(expected), f.name
            if isinstance(value, dt.datetime):
                assert value.tzinfo is UTC, f.name
                assert value == expected.astimezone(UTC)
                assert value.utcoffset() == dt.timedelta(0)


def test_the_round_trip_test_uses_no_default_values() -> None:
    """Guards the test above: a field left at its default would round-trip by accident."""
    for row in every_kind():
        for f in dataclasses.fields(row):  # type: ignore[arg-type]
            if f.default is not dataclasses.MISSING:
                assert getattr(row, f.name) != f.default, (type(row).__name__, f.name)


def test_plan_time_is_kept_to_the_minute_and_the_second(store: Store) -> None:
    store.put_plan(a_plan(time=dt.time(21, 5), id="a", created_at=at(0)))
    store.put_plan(a_plan(time=dt.time(7, 0, 30), id="b", created_at=at(1)))
    assert [p.time for p in store.plans()] == [dt.time(21, 5), dt.time(7, 0, 30)]


def test_lists_come_back_as_tuples(store: Store) -> None:
    store.put_session(a_session(zones=["chin", "neck"]))
    assert store.sessions()[0].zones == ("chin", "neck")


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = dt.datetime(2026, 11, 26, 20, 0)
    with pytest.raises(ValueError, match="aware"):
        store.put_session(a_session(start=naive))
    with pytest.raises(ValueError, match="aware"):
        store.sessions(since=naive)
    with pytest.raises(ValueError, match="aware"):
        store.skips(until=naive)
    assert store.sessions() == []


# -- sorting and ranges ---------------------------------------------------------------------------


def test_sessions_are_sorted_by_start_ties_in_insertion_order(store: Store) -> None:
    late, tie_1, early, tie_2 = (
        a_session(48, id="late"),
        a_session(24, id="tie-1"),
        a_session(0, id="early"),
        a_session(24, id="tie-2"),
    )
    for s in (late, tie_1, early, tie_2):
        store.put_session(s)
    assert [s.id for s in store.sessions()] == ["early", "tie-1", "tie-2", "late"]


def test_since_is_inclusive_and_until_exclusive(store: Store) -> None:
    for h in range(5):
        store.put_session(a_session(h, id=f"s{h}"))
        store.put_skip(Skip(slot=at(h), reason="r", id=f"k{h}", created_at=T0))

    def ids(rows: list[Session] | list[Skip]) -> list[str]:
        return [r.id for r in rows]

    assert ids(store.sessions(since=at(1), until=at(3))) == ["s1", "s2"]
    assert ids(store.sessions(since=at(3))) == ["s3", "s4"]
    assert ids(store.sessions(until=at(1))) == ["s0"]
    assert ids(store.sessions(since=at(2), until=at(2))) == []
    assert ids(store.skips(since=at(1), until=at(3))) == ["k1", "k2"]
    assert ids(store.skips(since=at(4))) == ["k4"]
    # The same instants given in another zone select the same rows.
    ny_since, ny_until = at(1).astimezone(NY), at(3).astimezone(NY)
    assert ids(store.sessions(since=ny_since, until=ny_until)) == ["s1", "s2"]
    # Microseconds count: one microsecond past a start excludes it.
    assert ids(store.sessions(since=at(1) + dt.timedelta(microseconds=1), until=at(3))) == ["s2"]


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


def test_other_kinds_are_sorted(store: Store) -> None:
    d = dt.date(2026, 11, 1)
    store.put_pause(
        Pause(
            first=d + dt.timedelta(days=9), last=d + dt.timedelta(days=10), id="p2", created_at=T0
        )
    )
    store.put_pause(Pause(first=d, last=d + dt.timedelta(days=1), id="p1", created_at=T0))
    store.put_roller(Roller(label="b", needle_mm=0.5, added=d, id="r2", created_at=at(5)))
    store.put_roller(Roller(label="c", needle_mm=0.5, added=d, id="r3", created_at=at(9)))
    store.put_roller(Roller(label="a", needle_mm=0.5, added=d, id="r1", created_at=at(1)))
    store.put_roller(
        Roller(label="z", needle_mm=0.5, added=d - dt.timedelta(days=1), id="r0", created_at=at(99))
    )
    store.put_visit(Visit(at=at(30), id="v2", created_at=T0))
    store.put_visit(Visit(at=at(3), id="v1", created_at=T0))
    store.put_series(Series(name="b", count=2, spacing_weeks=4, id="x2", created_at=at(8)))
    store.put_series(Series(name="a", count=2, spacing_weeks=4, id="x1", created_at=at(2)))
    assert [p.id for p in store.pauses()] == ["p1", "p2"]
    assert [r.id for r in store.rollers()] == ["r0", "r1", "r2", "r3"]
    assert [v.id for v in store.visits()] == ["v1", "v2"]
    assert [s.id for s in store.series()] == ["x1", "x2"]


# -- writes ---------------------------------------------------------------------------------------


def test_put_replaces_by_id_and_keeps_the_place(store: Store) -> None:
    store.put_session(a_session(5, id="first"))
    store.put_session(a_session(5, id="second"))
    store.put_session(a_session(5, id="first", note="edited", minutes=9.0))
    assert [(s.id, s.note) for s in store.sessions()] == [("first", "edited"), ("second", "")]
    assert store.count_sessions() == 2
    found = store.session("first")
    assert found is not None and found.minutes == 9.0
    assert store.session("missing") is None


@pytest.mark.parametrize("row", every_kind()[1:], ids=lambda r: type(r).__name__)
def test_delete_returns_whether_a_row_was_deleted(store: Store, row: object) -> None:
    put_any(store, row)
    other = dataclasses.replace(row, id="other")  # type: ignore[type-var]
    put_any(store, other)
    assert delete_any(store, row) is True
    assert delete_any(store, row) is False
    assert [r.id for r in iter_all(store)] == ["other"]  # type: ignore[attr-defined]


def test_count_sessions_by_roller(store: Store) -> None:
    for i in range(3):
        store.put_session(a_session(i, roller_id="blue"))
    store.put_session(a_session(10, roller_id="red"))
    store.put_session(a_session(11))
    assert store.count_sessions() == 5
    assert store.count_sessions("blue") == 3
    assert store.count_sessions("red") == 1
    assert store.count_sessions("green") == 0


# -- transactions ---------------------------------------------------------------------------------


class Boom(Exception):
    pass


def test_transaction_commits_as_one(make_store: MakeStore) -> None:
    store = make_store()
    with store.transaction():
        store.put_session(a_session(1, id="a"))
        store.put_skip(Skip(slot=at(2), reason="r", id="k", created_at=T0))
        assert store.count_sessions() == 1  # reads inside see the writes
    again = make_store()
    assert [s.id for s in again.sessions()] == ["a"]
    assert [k.id for k in again.skips()] == ["k"]


def test_transaction_rolls_back_on_exception(make_store: MakeStore) -> None:
    store = make_store()
    store.put_session(a_session(0, id="kept"))
    with pytest.raises(Boom), store.transaction():
        store.put_session(a_session(1, id="new"))
        store.put_session(a_session(0, id="kept", note="changed"))
        assert store.delete_skip("none") is False
        store.put_plan(a_plan())
        store.put_settings(Settings(roller_max_uses=3))
        raise Boom
    for view in (store, make_store()):
        assert [(s.id, s.note) for s in view.sessions()] == [("kept", "")]
        assert view.plan() is None
        assert view.settings() == Settings()


def test_nested_transactions_join_the_outer_one(store: Store) -> None:
    with pytest.raises(Boom), store.transaction():
        with store.transaction():
            store.put_session(a_session(1, id="inner"))
        store.put_session(a_session(2, id="outer"))
        raise Boom
    assert store.sessions() == []  # the inner block was undone with the outer one


def test_a_failed_inner_block_caught_by_the_outer_one_is_undone_alone(store: Store) -> None:
    with store.transaction():
        store.put_session(a_session(1, id="outer"))
        with pytest.raises(Boom), store.transaction():
            store.put_session(a_session(2, id="inner"))
            raise Boom
        store.put_session(a_session(3, id="after"))
    assert [s.id for s in store.sessions()] == ["outer", "after"]


def test_a_store_keeps_working_after_a_rollback(store: Store) -> None:
    with pytest.raises(Boom), store.transaction():
        store.put_session(a_session(1))
        raise Boom
    store.put_session(a_session(2, id="later"))
    assert [s.id for s in store.sessions()] == ["later"]


# -- plans and settings ---------------------------------------------------------------------------


def test_plan_versions(store: Store) -> None:
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
    fixed = dataclasses.replace(v1, minutes=3.0)
    store.put_plan(fixed)  # replaces by id: no new version
    assert [p.id for p in store.plans()] == ["v1", "v2", "v3"]
    assert store.plans()[0].minutes == 3.0


def test_settings_default_and_round_trip(make_store: MakeStore) -> None:
    store = make_store()
    assert store.settings() == Settings()
    store.put_settings(Settings(roller_max_uses=12, roller_max_days=60))
    assert make_store().settings() == Settings(roller_max_uses=12, roller_max_days=60)
    store.put_settings(Settings(roller_max_uses=8))
    assert make_store().settings() == Settings(roller_max_uses=8, roller_max_days=90)


# -- profiles -------------------------------------------------------------------------------------


def test_profiles_see_only_their_own_rows(make_store: MakeStore) -> None:
    alice, bob = make_store("alice"), make_store("bob")
    for row in every_kind():
        put_any(alice, row)
    alice.put_settings(Settings(roller_max_uses=4))
    bob.put_session(a_session(3, id="bobs"))

    assert list(iter_all(bob)) == [bob.session("bobs")]
    assert bob.plan() is None
    assert bob.settings() == Settings()
    assert bob.count_sessions() == 1 and bob.count_sessions("roller-1") == 0
    assert bob.last_session() is not None and bob.last_session().id == "bobs"  # type: ignore[union-attr]
    assert bob.delete_session("session-1") is False
    assert len(list(iter_all(alice))) == len(every_kind())
    assert alice.session("bobs") is None
    assert alice.settings() == Settings(roller_max_uses=4)


def test_the_same_id_in_two_profiles_are_two_rows(make_store: MakeStore) -> None:
    """Importing one export into two profiles must not move or overwrite rows."""
    alice, bob = make_store("alice"), make_store("bob")
    alice.put_session(a_session(1, id="same", note="alice"))
    bob.put_session(a_session(2, id="same", note="bob"))
    assert [s.note for s in alice.sessions()] == ["alice"]
    assert [s.note for s in bob.sessions()] == ["bob"]
    assert bob.delete_session("same") is True
    assert [s.note for s in alice.sessions()] == ["alice"]
