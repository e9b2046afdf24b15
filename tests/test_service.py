"""Use cases over the in-memory store, with a clock the test moves."""

from __future__ import annotations

import datetime as _dt
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rollminder.errors import (
    Conflict,
    InvalidInput,
    NoPlan,
    NotFound,
    PlanRefused,
    RollminderError,
)
from rollminder.model import Pause
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

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
    with pytest.raises(NoPlan, match="No plan yet"):
        Rollminder(MemoryStore(), clock).next()


def test_plan_change_keeps_start_and_new_needle_brings_its_defaults(
    app: Rollminder, clock: Clock
) -> None:
    clock.set(2026, 12, 10)
    plan = app.set_plan(needle_mm=0.5)
    assert plan.start == dt.date(2026, 11, 25)
    # Issue 11: the new routine keeps the first of the person's days (Mon of Mon, Thu), not Sunday.
    assert (plan.sessions, plan.rest_hours, plan.weekdays) == (1, 168, (0,))
    assert plan.time == dt.time(21) and plan.tz == "Europe/Berlin"
    assert len(app.store.plans()) == 2 and app.plan() == plan


def test_rest_warning_and_duplicate(app: Rollminder, clock: Clock) -> None:
    clock.set(2026, 11, 27, 22)
    app.log_session(at=dt.datetime(2026, 11, 26, 21, tzinfo=TZ))
    logged = app.log_session(at=dt.datetime(2026, 11, 27, 21, tzinfo=TZ))
    assert any(
        "less than 2 days from the session of Thu 26 Nov 2026 21:00" in w for w in logged.warnings
    )
    with pytest.raises(Conflict, match="Fri 27 Nov 2026 21:00 is already logged"):
        app.log_session(at=dt.datetime(2026, 11, 27, 21, tzinfo=TZ))
    with pytest.raises(InvalidInput, match="future"):
        app.log_session(at=dt.datetime(2026, 11, 28, 21, tzinfo=TZ))
    assert len(app.history()) == 2


def test_rest_warning_names_the_nearest_session(app: Rollminder, clock: Clock) -> None:
    clock.set(2026, 11, 30, 12)
    app.log_session(at=dt.datetime(2026, 11, 27, 21, tzinfo=TZ))
    app.log_session(at=dt.datetime(2026, 11, 29, 9, tzinfo=TZ))
    logged = app.log_session(at=dt.datetime(2026, 11, 30, 9, tzinfo=TZ))
    assert [w for w in logged.warnings if "less than" in w] == [
        "This was less than 2 days from the session of Sun 29 Nov 2026 09:00: the plan asks "
        "for more rest."
    ]


def test_roller_wear_by_uses_and_by_age(app: Rollminder, clock: Clock) -> None:
    roller, previous = app.add_roller(label="face")
    assert previous is None and app.current_roller() == roller
    assert not app.roller_wear(roller.id).nearly_worn  # new: 10 uses and 90 days left
    for i in range(9):
        clock.now = dt.datetime(2026, 11, 26, 22, tzinfo=TZ) + dt.timedelta(days=2 * i)
        app.log_session()
    wear = app.roller_wear(roller.id)
    assert (wear.uses, wear.uses_left, wear.replace_now) == (9, 1, False)
    assert wear.nearly_worn  # one use left
    clock.set(2026, 12, 14, 22)
    logged = app.log_session()
    assert any("replace your roller" in w for w in logged.warnings)
    old, _ = app.add_roller(label="old", first_use=dt.date(2026, 8, 1), initial_uses=2)
    wear = app.roller_wear(old.id)
    assert wear.replace_now and "days since first use" in wear.reason
    assert not wear.nearly_worn  # due now is more than "nearly"
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
    # The reason is optional (issue #11).
    assert app.skip(slot=dt.datetime(2026, 11, 30, 21, tzinfo=TZ)).reason == ""


# ------------------------------------------------------------------ one transaction per write


class Recording:
    """A store that records each call and the transaction it ran in (None: outside any)."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner = inner
        self.depth = 0
        self.tx = 0
        self.calls: list[tuple[str, int | None]] = []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if not self.depth:
            self.tx += 1
        self.depth += 1
        try:
            with self.inner.transaction():
                yield
        finally:
            self.depth -= 1

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, self.tx if self.depth else None))
            return attr(*args, **kwargs)

        return call if callable(attr) else attr


def test_every_write_checks_and_writes_in_one_transaction(clock: Clock) -> None:
    store = Recording(MemoryStore())
    app = Rollminder(store, clock)

    def check(use_case: Callable[[], object], reads: str) -> None:
        store.calls.clear()
        use_case()
        writes = {tx for name, tx in store.calls if name.startswith(("put_", "delete_"))}
        assert writes and None not in writes and len(writes) == 1, store.calls
        # what the use case checks before it writes is read inside that same transaction
        assert (reads, writes.pop()) in store.calls, store.calls

    # (the routine's view reads the plan versions: its own; issue 12)
    check(lambda: app.set_plan(needle_mm=0.25, tz="Europe/Berlin"), "plans")
    check(lambda: app.set_plan(minutes=4), "plans")
    check(lambda: app.set_settings(roller_max_uses=12), "settings")
    check(lambda: app.add_roller(label="face"), "rollers")
    check(lambda: app.add_roller(label="new"), "rollers")
    check(lambda: app.retire_roller(), "rollers")
    check(lambda: app.log_session(), "sessions")
    check(lambda: app.skip(reason="flare"), "skips")
    check(lambda: app.pause(dt.date(2026, 12, 1), dt.date(2026, 12, 3)), "pauses")
    check(lambda: app.pause(dt.date(2026, 11, 25), dt.date(2026, 11, 25)), "pauses")
    check(lambda: app.resume(), "pauses")
    series = app.add_series(name="Face", count=4, spacing_weeks=5)
    check(lambda: app.add_series(name="Neck", count=4, spacing_weeks=5), "put_series")
    check(lambda: app.add_visit(at=clock.now, series_ref=series.id), "visits")
    check(lambda: app.delete_visit(app.visits()[0].id), "visits")
    check(lambda: app.cancel_pause(app.pauses()[0].id), "pauses")
    check(lambda: app.delete_entry(app.history()[0].id), "sessions")


# ------------------------------------------------------------------ plan changes


def test_a_new_plan_starts_today_in_its_own_zone(clock: Clock) -> None:
    # Thursday 00:30 in Berlin is still Wednesday in UTC: the plan starts on Thursday, and
    # Wednesday's slot (before the plan) is neither due nor missed.
    clock.set(2026, 11, 26, 0, 30)
    app = Rollminder(MemoryStore(), clock)
    plan = app.set_plan(needle_mm=0.25, sessions=2, weekdays=(0, 2), tz="Europe/Berlin")
    assert plan.start == dt.date(2026, 11, 26)
    stats = app.stats()
    assert (stats.missed, stats.adherence_4w) == (0, None)


def test_set_plan_merging(app: Rollminder, clock: Clock) -> None:
    clock.set(2026, 12, 1)
    # A new needle with chosen days: its other defaults, the chosen days.
    plan = app.set_plan(needle_mm=0.5, weekdays=(5,))
    assert (plan.sessions, plan.weekdays, plan.rest_hours) == (1, (5,), 168)
    # Back to a short needle asking for 3 a week: Saturday stays, two days spread around it
    # (issue 11: the person's days are kept), rest chosen.
    plan = app.set_plan(needle_mm=0.25, sessions=3, rest_hours=24)
    assert (plan.sessions, plan.weekdays, plan.rest_hours) == (3, (0, 2, 5), 24)
    # The same needle again changes nothing else; a zone change keeps the start.
    plan = app.set_plan(needle_mm=0.25, tz="America/New_York")
    assert (plan.sessions, plan.rest_hours, plan.tz) == (3, 24, "America/New_York")
    assert plan.start == dt.date(2026, 11, 25)
    # 0.75 mm: every 3 weeks, one day: the first of the person's (issue 11).
    plan = app.set_plan(needle_mm=0.75)
    assert (plan.sessions, plan.every_weeks, plan.weekdays, plan.rest_hours) == (1, 3, (0,), 504)
    # A refused change leaves the plan as it was.
    with pytest.raises(PlanRefused):
        app.set_plan(needle_mm=0.25, sessions=5)
    assert app.plan() == plan


@pytest.mark.parametrize(
    "choices",
    [
        {"colour": "blue"},
        {"minutes": "3"},
        {"sessions": 2.5},
        {"sessions": True},
        {"weekdays": "mon"},
        {"time": "21:00"},
        {"tz": 5},
        {"zones": "cheeks"},
        {"needle_mm": "0.25"},
        {"start": dt.datetime(2026, 11, 25, 10, tzinfo=TZ)},
    ],
)
def test_set_plan_refuses_unknown_or_mistyped_choices(
    app: Rollminder, choices: dict[str, object]
) -> None:
    before = app.plan()
    with pytest.raises(InvalidInput):
        app.set_plan(**choices)
    assert app.plan() == before
    with pytest.raises(InvalidInput):
        Rollminder(MemoryStore(), app.clock).set_plan(**{"needle_mm": 0.25, **choices})


def test_stats_judge_past_weeks_by_the_plan_then(clock: Clock) -> None:
    # Once a week on Sundays for 4 weeks, then twice a week: still 100 %, not 50 %.
    app = Rollminder(MemoryStore(), clock)
    app.set_plan(needle_mm=0.5, tz="Europe/Berlin")
    for week in range(4):
        clock.now = dt.datetime(2026, 11, 29, 21, 5, tzinfo=TZ) + dt.timedelta(weeks=week)
        app.log_session()
    clock.set(2026, 12, 21, 9)
    app.set_plan(needle_mm=0.25, sessions=2)
    stats = app.stats()
    assert (stats.kept, stats.missed, stats.adherence_4w, stats.current_streak) == (4, 0, 1, 4)


# ------------------------------------------------------------------ faces pass odd values


NAIVE = dt.datetime(2026, 11, 25, 9)


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.log_session(at=NAIVE),
        lambda a: a.log_session(at="yesterday"),
        lambda a: a.log_session(minutes="3"),
        lambda a: a.log_session(minutes=float("nan")),
        lambda a: a.log_session(zones=[3]),
        lambda a: a.log_session(note=5),
        lambda a: a.log_session(roller_id=7),
        lambda a: a.skip(slot=NAIVE, reason="x"),
        lambda a: a.skip(slot=dt.datetime(9999, 12, 31, 23, tzinfo=TZ), reason="x"),
        lambda a: a.skip(slot=dt.datetime(2027, 12, 31, 23, tzinfo=TZ), reason="x"),
        lambda a: a.skip(catch_up="yes"),  # type: ignore[arg-type]
        lambda a: a.log_session(second_today="yes"),  # type: ignore[arg-type]
        lambda a: a.slot_history(since="monday"),  # type: ignore[arg-type]
        lambda a: a.history(since=NAIVE),
        lambda a: a.skips(since=NAIVE),
        lambda a: a.pause(dt.datetime(2026, 12, 1, tzinfo=TZ), dt.date(2026, 12, 3)),
        lambda a: a.pause(dt.date(2026, 12, 1), "2026-12-03"),
        lambda a: a.pause(dt.date(9999, 12, 30), dt.date(9999, 12, 31)),
        lambda a: a.add_visit(at=NAIVE),
        lambda a: a.add_visit(at=dt.datetime(1, 1, 1, tzinfo=TZ)),
        lambda a: a.add_visit(at=dt.datetime(2026, 12, 16, 10, tzinfo=TZ), clinic=5),
        lambda a: a.add_roller(needle_mm="0.25"),
        lambda a: a.add_roller(initial_uses="3"),
        lambda a: a.add_roller(first_use=dt.datetime(2026, 11, 1, tzinfo=TZ)),
        lambda a: a.add_series(name="x", count="5", spacing_weeks=6),
        lambda a: a.set_settings(roller_max_uses="10"),
        lambda a: a.set_settings(colour=3),
        lambda a: a.delete_entry(None),
        lambda a: a.retire_roller(5),
        lambda a: a.next("3"),
    ],
)
def test_odd_values_give_one_line_errors(
    app: Rollminder, call: Callable[[Rollminder], object]
) -> None:
    with pytest.raises(RollminderError) as err:
        call(app)
    assert "\n" not in str(err.value)


def test_a_note_of_none_is_an_empty_note(app: Rollminder) -> None:
    assert app.log_session(note=None).session.note == ""  # type: ignore[arg-type]


# ------------------------------------------------------------------ log, rollers, series, pauses


def test_a_session_in_a_clinic_blackout_warns(app: Rollminder, clock: Clock) -> None:
    app.add_visit(at=dt.datetime(2026, 12, 16, 10, tzinfo=TZ), clinic="Derm")
    clock.set(2026, 12, 10, 21)
    logged = app.log_session()
    assert any("clinic visit of Wed 16 Dec 2026" in w for w in logged.warnings)
    clock.set(2026, 12, 31, 21)
    assert not app.log_session().warnings


def test_a_late_logged_session_keeps_the_roller_of_its_day(app: Rollminder, clock: Clock) -> None:
    old, _ = app.add_roller(label="old", first_use=dt.date(2026, 11, 1))
    clock.set(2026, 11, 27, 10)
    new, _ = app.add_roller(label="new")
    # Yesterday's session, logged after the new roller came: it was done with the old one.
    logged = app.log_session(at=dt.datetime(2026, 11, 26, 21, tzinfo=TZ))
    assert logged.session.roller_id == old.id
    assert app.roller_wear(new.id).uses == 0 and app.roller_wear(new.id).age_days is None
    clock.set(2026, 11, 30, 22)
    assert app.log_session().session.roller_id == new.id


def test_history_logged_before_any_roller_goes_to_the_first(clock: Clock) -> None:
    app = Rollminder(MemoryStore(), clock)
    app.set_plan(needle_mm=0.25, tz="Europe/Berlin")
    roller, _ = app.add_roller(label="face")
    logged = app.log_session(at=dt.datetime(2026, 11, 2, 21, tzinfo=TZ))
    assert logged.session.roller_id == roller.id
    app.retire_roller()
    clock.set(2026, 11, 26, 22)
    assert app.log_session().session.roller_id is None  # none in use now


def test_a_roller_used_before_it_was_added_ages_from_then(app: Rollminder, clock: Clock) -> None:
    # Added on 25 Nov with 5 earlier uses (first use unknown), used again on 26 Nov: its age
    # counts from 25 Nov at the latest, not from the first session logged here.
    roller, _ = app.add_roller(label="face", initial_uses=5)
    clock.set(2026, 11, 26, 22)
    app.log_session()
    clock.set(2027, 2, 24, 10)  # 91 days after it was added
    wear = app.roller_wear(roller.id)
    assert (wear.uses, wear.age_days, wear.replace_now) == (6, 91, True)


def test_series_booking_window_spacing_and_overdue(app: Rollminder, clock: Clock) -> None:
    usual = app.add_series(name="Face", count=5, spacing_weeks=5)
    wide = app.add_series(name="Scars", count=3, spacing_weeks=8)
    app.add_visit(at=dt.datetime(2026, 11, 20, 10, tzinfo=TZ), series_ref=usual.id)
    app.add_visit(at=dt.datetime(2026, 11, 21, 10, tzinfo=TZ), series_ref=wide.id)
    first, second = app.series_status()
    assert (first.book_from, first.book_until) == (dt.date(2026, 12, 18), dt.date(2027, 1, 1))
    # Spaced 8 weeks by the clinic: not from 4 weeks, but in the week 8 weeks on.
    assert (second.book_from, second.book_until) == (dt.date(2027, 1, 16), dt.date(2027, 1, 22))
    # Nothing booked and the window gone by: book now, not in the past.
    clock.set(2027, 2, 1)
    first, _ = app.series_status()
    assert first.book_from == first.book_until == dt.date(2027, 2, 1)


def test_resume_ends_overlapping_pauses(app: Rollminder, clock: Clock) -> None:
    # Overlapping pauses can come from an import; resuming must leave today free.
    app.store.put_pause(
        Pause(first=dt.date(2026, 11, 20), last=dt.date(2026, 12, 5), created_at=T0)
    )
    app.store.put_pause(
        Pause(first=dt.date(2026, 11, 24), last=dt.date(2026, 12, 10), created_at=T0)
    )
    assert app.next()[0].name == "paused"
    assert app.resume() is not None
    assert not any(p.covers(dt.date(2026, 11, 25)) for p in app.pauses())
    assert app.next()[0].name != "paused"


def test_a_new_period_or_the_same_count_keeps_the_persons_days(app: Rollminder) -> None:
    assert app.set_plan(weekdays=(1, 4)).weekdays == (1, 4)
    assert app.set_plan(sessions=2).weekdays == (1, 4)  # the same count: Tue and Fri stay
    # A new count keeps Tue and Fri and adds the day that spreads the week most (issue 11).
    assert app.set_plan(sessions=3, rest_hours=24).weekdays == (1, 4, 6)
    app.set_plan(needle_mm=0.75, weekdays=(6,))
    plan = app.set_plan(every_weeks=4)
    assert (plan.every_weeks, plan.weekdays) == (4, (6,))  # Sunday stays


def test_draft_plan_validates_without_saving(app: Rollminder) -> None:
    draft = app.draft_plan(needle_mm=0.5)
    assert (draft.sessions, draft.weekdays, draft.rest_hours) == (1, (0,), 168)  # Mon of Mon, Thu
    assert app.plan().needle_mm == 0.25 and len(app.store.plans()) == 1
    with pytest.raises(PlanRefused):
        app.draft_plan(needle_mm=0.5, sessions=2)


def test_done_from_a_reminder_twice_is_one_session(app: Rollminder, clock: Clock) -> None:
    """A desktop button and a phone link (or one tapped twice) log one session, not two."""
    clock.set(2026, 11, 26, 21)
    first = app.log_from_reminder()
    clock.set(2026, 11, 26, 22, 59)
    with pytest.raises(Conflict, match="Already logged: a session at 21:00"):
        app.log_from_reminder()
    assert [s.id for s in app.history()] == [first.session.id]
    clock.set(2026, 11, 28, 21)  # two days later: a new session
    assert len({app.log_from_reminder().session.id, first.session.id}) == 2
