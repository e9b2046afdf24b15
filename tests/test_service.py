"""Use cases over the in-memory store, with a clock the test moves."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from rollminder.errors import Conflict, InvalidInput, NoPlan, NotFound
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore

TZ = ZoneInfo("Europe/Berlin")


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> None:
        self.now = dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 11, 25, 10, tzinfo=TZ))


@pytest.fixture
def app(clock: Clock) -> Rollminder:
    app = Rollminder(MemoryStore(), clock)
    app.set_plan(needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin")
    return app


def test_needs_a_plan(clock: Clock) -> None:
    with pytest.raises(NoPlan, match="rollminder setup"):
        Rollminder(MemoryStore(), clock).next()


def test_plan_change_keeps_start_and_new_needle_brings_its_defaults(
    app: Rollminder, clock: Clock
) -> None:
    clock.set(2026, 12, 10)
    plan = app.set_plan(needle_mm=0.5)
    assert plan.start == dt.date(2026, 11, 25)
    assert (plan.sessions, plan.rest_hours, plan.weekdays) == (1, 168, (6,))
    assert plan.time == dt.time(21) and plan.tz == "Europe/Berlin"
    assert len(app.store.plans()) == 2 and app.plan() == plan


def test_rest_warning_and_duplicate(app: Rollminder, clock: Clock) -> None:
    clock.set(2026, 11, 27, 22)
    app.log_session(at=dt.datetime(2026, 11, 26, 21, tzinfo=TZ))
    logged = app.log_session(at=dt.datetime(2026, 11, 27, 21, tzinfo=TZ))
    assert any("less than 48 h" in w for w in logged.warnings)
    with pytest.raises(Conflict):
        app.log_session(at=dt.datetime(2026, 11, 27, 21, tzinfo=TZ))
    with pytest.raises(InvalidInput, match="future"):
        app.log_session(at=dt.datetime(2026, 11, 28, 21, tzinfo=TZ))
    assert len(app.history()) == 2


def test_roller_wear_by_uses_and_by_age(app: Rollminder, clock: Clock) -> None:
    roller, previous = app.add_roller(label="face")
    assert previous is None and app.current_roller() == roller
    for i in range(9):
        clock.now = dt.datetime(2026, 11, 26, 22, tzinfo=TZ) + dt.timedelta(days=2 * i)
        app.log_session()
    wear = app.roller_wear(roller.id)
    assert (wear.uses, wear.uses_left, wear.replace_now) == (9, 1, False)
    clock.set(2026, 12, 14, 22)
    logged = app.log_session()
    assert any("replace your roller" in w for w in logged.warnings)
    old, _ = app.add_roller(label="old", first_use=dt.date(2026, 8, 1), initial_uses=2)
    wear = app.roller_wear(old.id)
    assert wear.replace_now and "days since first use" in wear.reason
    assert app.roller_wear(roller.id).roller.retired == dt.date(2026, 12, 14)


def test_resume_ends_or_removes_the_pause(app: Rollminder, clock: Clock) -> None:
    app.pause(dt.date(2026, 11, 25), dt.date(2026, 12, 5))
    clock.set(2026, 11, 28)
    ended = app.resume()
    assert ended is not None and app.pauses()[0].last == dt.date(2026, 11, 27)
    app.pause(dt.date(2026, 11, 28), dt.date(2026, 11, 30))
    app.resume()
    assert len(app.pauses()) == 1
    assert app.resume() is None


def test_prefix_ids(app: Rollminder) -> None:
    v = app.add_visit(at=dt.datetime(2026, 12, 16, 10, tzinfo=TZ))
    with pytest.raises(InvalidInput, match="at least 4"):
        app.delete_visit(v.id[:2])
    with pytest.raises(NotFound):
        app.delete_visit("ffffffff" if not v.id.startswith("ffff") else "00000000")
    assert app.delete_visit(v.id[:8]).id == v.id and app.visits() == []


def test_series_booking_window(app: Rollminder, clock: Clock) -> None:
    s = app.add_series(name="Face", count=2, spacing_weeks=6)
    first = app.series_status()[0]
    assert first.remaining == 2 and first.book_from == dt.date(2026, 11, 25)
    app.add_visit(at=dt.datetime(2026, 11, 20, 10, tzinfo=TZ), series_ref=s.id)
    status = app.series_status()[0]
    assert (status.done, status.remaining) == (1, 1)
    assert (status.book_from, status.book_until) == (dt.date(2026, 12, 18), dt.date(2027, 1, 1))
    app.add_visit(at=dt.datetime(2027, 1, 1, 10, tzinfo=TZ), series_ref=s.id)
    status = app.series_status()[0]
    assert status.next_visit is not None and status.book_from is None
    with pytest.raises(InvalidInput):
        app.add_series(name="x", count=0, spacing_weeks=6)


def test_skip_defaults_to_the_next_slot(app: Rollminder) -> None:
    skip = app.skip(reason="travel")
    assert skip.slot == dt.datetime(2026, 11, 26, 21, tzinfo=TZ)
    with pytest.raises(InvalidInput):
        app.skip(reason="   ")
