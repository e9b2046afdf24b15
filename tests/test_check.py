"""The pre-session check: stop answers, holds in the schedule, clinician notes (issue 4).

The worked plan: 0.25 mm, Mon and Thu at 21:00 in Berlin, 48 h rest, made Wed 25 Nov 2026; the
last session Thu 26 Nov 21:00.
"""

from __future__ import annotations

import datetime as _dt
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollminder import schedule
from rollminder.errors import InvalidInput
from rollminder.model import Hold, Log, Session
from rollminder.rules import CLINICIAN_QUESTIONS, STOP_QUESTIONS, make_plan
from rollminder.service import CheckOutcome, Rollminder
from rollminder.store.memory import MemoryStore
from tests.conftest import Runner

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

TZ = ZoneInfo("Europe/Berlin")


def at(d: int, hh: int, mm: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, d, hh, mm, tzinfo=TZ)


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(at(25, 10))


@pytest.fixture
def app(clock: Clock) -> Rollminder:
    app = Rollminder(MemoryStore(), clock)
    app.set_plan(needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin")
    clock.now = at(26, 21, 30)
    app.log_session(at=at(26, 21))
    return app


def next_start(app: Rollminder) -> dt.datetime:
    _, slots = app.next(1)
    return slots[0].start


# ------------------------------------------------------------------ stop answers


# Only the questions that hold nothing: since issue 11 a dated question answered yes without a date
# holds its full interval from now (tests/test_check_unknown_time.py), so its retry is not the
# next day's catch-up.
@pytest.mark.parametrize(
    "question", [q for q in STOP_QUESTIONS if q.hold_hours is None], ids=lambda q: q.key
)
def test_every_stop_answer_blocks_the_session_and_records_the_skip(
    app: Rollminder, clock: Clock, question: object
) -> None:
    clock.now = at(30, 20)  # Monday, an hour before the slot
    assert next_start(app) == at(30, 21)
    key = question.key  # type: ignore[attr-defined]
    outcome = app.run_check({q.key: q.key == key for q in STOP_QUESTIONS})
    assert not outcome.ok
    assert outcome.stopped_by == key
    assert outcome.skip is not None and outcome.skip.slot == at(30, 21)
    assert outcome.skip.reason == question.reason  # type: ignore[attr-defined]
    assert [k.reason for k in app.skips()] == [question.reason]  # type: ignore[attr-defined]
    assert len(app.history()) == 1  # nothing logged as done
    assert outcome.hold_until is None  # no date given: no hold
    # The retry: the next day (48 h after Thursday's session, 48 h before the next Thursday).
    assert outcome.next_slot is not None
    assert (outcome.next_slot.start, outcome.next_slot.kind) == (at(1, 21, month=12), "catch-up")
    assert next_start(app) == at(1, 21, month=12)


def test_only_the_first_yes_stops_and_counts(app: Rollminder, clock: Clock) -> None:
    clock.now = at(30, 20)
    outcome = app.run_check({"sun": True, "skin": True, "peel": False})
    assert outcome.stopped_by == "skin"  # the questions' order, not the mapping's
    assert len(app.skips()) == 1


def test_all_no_changes_nothing(app: Rollminder, clock: Clock) -> None:
    clock.now = at(30, 20)
    before = (app.skips(), app.store.holds(), app.history())
    outcome = app.run_check({q.key: False for q in STOP_QUESTIONS})
    assert outcome == CheckOutcome(True, None, None, None, None)
    assert app.run_check({}).ok  # unanswered counts as no
    assert (app.skips(), app.store.holds(), app.history()) == before


def test_a_stop_on_a_day_without_a_slot_skips_nothing(app: Rollminder, clock: Clock) -> None:
    clock.now = at(28, 10)  # Saturday: the next slot is Monday's
    outcome = app.run_check({"skin": True})
    assert not outcome.ok and outcome.skip is None
    assert app.skips() == []
    assert outcome.next_slot is not None and outcome.next_slot.start == at(30, 21)


def test_a_stop_before_todays_slot_is_due_skips_it(app: Rollminder, clock: Clock) -> None:
    clock.now = at(30, 9)  # Monday morning: the slot is at 21:00, not due yet
    outcome = app.run_check({"sun": True})
    assert outcome.skip is not None and outcome.skip.slot == at(30, 21)


# ------------------------------------------------------------------ holds


def test_a_retinoid_date_blocks_until_48_hours_have_passed(app: Rollminder, clock: Clock) -> None:
    clock.now = at(28, 23)  # Saturday night, no slot today
    # Used at 22:00: Monday's 21:00 slot would be 47 h after it: blocked.
    outcome = app.run_check({"retinoid": True}, {"retinoid": at(28, 22)})
    assert not outcome.ok and outcome.stopped_by == "retinoid" and outcome.skip is None
    assert outcome.hold_until == at(30, 22)
    assert outcome.next_slot is not None and outcome.next_slot.start == at(1, 21, month=12)
    [hold] = app.store.holds()
    assert (hold.since, hold.until, hold.question) == (at(28, 22), at(30, 22), "retinoid")
    assert hold.reason == "retinoid in the last 48 hours"
    clock.now = at(30, 21, 30)  # Monday, after the slot's time: held, not due
    status, _ = app.next(1)
    assert status.name == "held" and status.until == at(30, 22)


def test_a_slot_exactly_48_hours_after_the_retinoid_is_allowed(
    app: Rollminder, clock: Clock
) -> None:
    clock.now = at(28, 23)
    outcome = app.run_check({"retinoid": True}, {"retinoid": at(28, 21)})
    assert not outcome.ok and outcome.hold_until == at(30, 21)
    assert outcome.next_slot is not None and outcome.next_slot.start == at(30, 21)
    assert outcome.next_slot.kind == "planned"


def test_a_dated_yes_whose_interval_has_passed_does_not_stop(app: Rollminder, clock: Clock) -> None:
    clock.now = at(30, 20)
    outcome = app.run_check({"retinoid": True}, {"retinoid": at(27, 20)})  # 72 h ago
    assert outcome.ok
    assert app.skips() == [] and app.store.holds() == []


def test_a_peel_holds_30_days_and_no_slot_falls_inside(app: Rollminder, clock: Clock) -> None:
    clock.now = at(30, 20)
    outcome = app.run_check({"peel": True}, {"peel": at(29, 12)})
    assert outcome.hold_until == at(29, 12) + dt.timedelta(days=30)
    slots = app.next(5)[1]
    assert all(s.start >= at(29, 12, month=12) for s in slots)


def test_a_held_slot_is_not_missed_in_the_figures(app: Rollminder, clock: Clock) -> None:
    clock.now = at(28, 23)
    app.run_check({"retinoid": True}, {"retinoid": at(28, 22)})  # holds Monday's slot
    clock.now = at(7, 10, month=12)  # the next Monday: the week of 30 Nov is over
    plan = app.plan()
    log = app.log_for(plan, app.now(), full=True)
    week = next(t for t in schedule.tally(plan, log, clock.now) if t.first == dt.date(2026, 11, 30))
    assert week.complete and week.missed == 1  # Thursday was not rolled: missed
    assert week.quota == 1  # Monday was held: not due, not missed


def test_hold_dates_are_checked(app: Rollminder, clock: Clock) -> None:
    clock.now = at(30, 20)
    with pytest.raises(InvalidInput, match="future"):
        app.run_check({"retinoid": True}, {"retinoid": at(1, 20, month=12)})
    with pytest.raises(InvalidInput, match="zone"):
        app.run_check({"retinoid": True}, {"retinoid": dt.datetime(2026, 11, 29, 20)})
    assert app.skips() == [] and app.store.holds() == []


def test_bad_answers_are_refused(app: Rollminder, clock: Clock) -> None:
    with pytest.raises(InvalidInput, match="no check question 'acne'"):
        app.run_check({"acne": True})
    with pytest.raises(InvalidInput, match="yes or no"):
        app.run_check({"skin": "yes"})  # type: ignore[dict-item]
    assert app.skips() == []


def test_holds_covers_is_half_open() -> None:
    hold = Hold(since=at(1, 0), until=at(3, 0), reason="r", created_at=T0)
    assert hold.covers(at(1, 0)) and hold.covers(at(2, 23, 59))
    assert not hold.covers(at(3, 0)) and not hold.covers(at(30, 23, month=10))


# ------------------------------------------------------------------ clinician questions


def test_clinician_yes_answers_become_standing_notes(app: Rollminder, clock: Clock) -> None:
    assert app.clinician_notes() == [] and app.clinician_answers() == {}
    app.set_clinician_answers(
        {q.key: q.key in ("keloid", "pregnancy") for q in CLINICIAN_QUESTIONS}
    )
    notes = app.clinician_notes()
    assert notes == [
        "Pregnant or breastfeeding: ask a clinician before rolling.",
        "Tendency to keloid scars: ask a clinician before rolling.",
    ]
    app.set_clinician_answers({"pregnancy": False})  # the others keep theirs
    assert app.clinician_notes() == ["Tendency to keloid scars: ask a clinician before rolling."]
    assert len(app.store.clinician_answers()) == len(CLINICIAN_QUESTIONS)  # one per question
    with pytest.raises(InvalidInput, match="no clinician question"):
        app.set_clinician_answers({"skin": True})


# ------------------------------------------------------------------ the CLI


def test_check_from_a_pipe(planned: Runner) -> None:
    monday = "2026-11-30T20:00+01:00"
    result = planned("check", stdin="n\nn\nn\nn\nn\nn\n", now=monday)
    assert result.code == 0 and "All clear" in result.out
    result = planned("check", stdin="n\ny\n", now=monday)
    assert result.code == 1
    assert "Don't roll today: sunburn or strong sun in the last 24 hours." in result.out
    assert "Skipped the session of Mon 30 Nov 21:00" in result.out
    assert "Next session: Tue 1 Dec 21:00 (catch-up)." in result.out
    skips = planned("history", "--skips", "--json", now=monday).json()
    assert [k["reason"] for k in skips if k["type"] == "skip"] == [
        "sunburn or strong sun in the last 24 hours"
    ]


def test_check_with_a_retinoid_date_from_a_pipe(planned: Runner) -> None:
    result = planned("check", stdin="n\nn\ny 2026-11-28 22:00\n", now="2026-11-28T23:00+01:00")
    assert result.code == 1
    assert "No rolling until Mon 30 Nov 22:00." in result.out
    status = planned("status", now="2026-11-30T21:30+01:00")
    assert "No rolling until Mon 30 Nov 22:00: retinoid in the last 48 hours." in status.out


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("maybe\n", "Answer the check question 'skin' with y or n, not 'maybe'"),
        ("n\n", "No answer to the check question 'sun' on standard input"),
        ("n\nn\ny next year\n", "Could not read"),
    ],
)
def test_bad_check_input_is_one_line_and_changes_nothing(
    planned: Runner, stdin: str, message: str
) -> None:
    before = planned("export").out
    result = planned("check", stdin=stdin, now="2026-11-30T20:00+01:00")
    assert result.code == 1
    assert message in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert planned("export").out == before


def test_settings_explain_and_switch_the_session_check(planned: Runner) -> None:
    result = planned("settings")
    assert "Session check: on" in result.out and "--session-check 0" in result.out
    assert planned("settings", "--session-check", "0").code == 0
    assert planned("settings", "--json").json()["session_check"] == 0
    assert "Session check: off" in planned("settings").out
    bad = planned("settings", "--session-check", "2")
    assert bad.code == 2 and bad.err.count("\n") == 1


def test_next_shows_the_standing_notes(planned: Runner, home: object) -> None:
    from rollminder.env import Env

    env = Env(home=home, clock=lambda: at(25, 10))  # type: ignore[arg-type]
    store = env.open_store()
    try:
        Rollminder(store, env.now).set_clinician_answers({"bleeding": True})
    finally:
        store.close()
    result = planned("next")
    assert (
        "Note: Bleeding disorder or blood thinners: ask a clinician before rolling." in result.out
    )


# ------------------------------------------------------------------ holds, property-tested

BASE = dt.datetime(2026, 11, 2, 0, 0, tzinfo=TZ)


@st.composite
def logs_with_holds(draw: st.DrawFn) -> tuple[Log, dt.datetime]:
    hours = st.integers(0, 24 * 70)
    sessions = sorted({BASE + dt.timedelta(hours=h) for h in draw(st.lists(hours, max_size=8))})
    holds = []
    for since_h, length in draw(
        st.lists(
            st.tuples(hours, st.sampled_from([1, 12, 47, 48, 49, 24 * 30, 24 * 91])), max_size=4
        )
    ):
        since = BASE + dt.timedelta(hours=since_h)
        holds.append(
            Hold(since=since, until=since + dt.timedelta(hours=length), reason="r", created_at=T0)
        )
    log = Log(
        sessions=tuple(
            Session(start=s, minutes=3, zones=("chin",), created_at=T0) for s in sessions
        ),
        holds=tuple(sorted(holds, key=lambda h: h.until)),
    )
    now = BASE + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 80)))
    return log, now


PLAN = make_plan(
    needle_mm=0.25,
    start=dt.date(2026, 11, 2),
    weekdays=(0, 3),
    time=dt.time(21),
    tz="Europe/Berlin",
    created_at=T0,
)


@settings(max_examples=150, deadline=None)
@given(logs_with_holds())
def test_no_slot_ever_falls_inside_a_hold(case: tuple[Log, dt.datetime]) -> None:
    log, now = case
    slots = schedule.upcoming(PLAN, log, now, 6)
    for slot in slots:
        assert not any(h.covers(slot.start) for h in log.holds), slot
    starts = [s.start for s in slots]
    assert starts == sorted(set(starts))
    state = schedule.status(PLAN, log, now)
    if state.name == "held":
        assert state.until is not None and state.until > now
        assert any(h.covers(now) for h in log.holds)
        assert state.next is None or state.next.start >= state.until
    for period in schedule.tally(PLAN, log, now):
        p = period
        assert min(p.quota, p.due, p.done, p.skipped, p.missed) >= 0
        assert p.due <= p.quota <= PLAN.sessions
        assert p.missed + min(p.done, p.due) + p.skipped == p.due


def test_setup_explains_the_session_check(rm: Runner) -> None:
    from tests.conftest import SETUP

    result = rm(*SETUP)
    assert result.code == 0
    assert "asks six short safety questions" in result.out
    assert "rollminder settings --session-check 0" in result.out
    assert "rollminder check --clinician" in result.out  # no terminal: not asked here


def test_a_hold_given_by_mistake_can_be_lifted(planned: Runner) -> None:
    saturday = "2026-11-28T23:00+01:00"
    assert planned("check", stdin="n\nn\nn\nn\nn\ny 2026-11-28 20:00\n", now=saturday).code == 1
    listed = planned("check", "--holds", now=saturday)
    assert "until Sun 28 Nov 2027 20:00  fillers in the area in the last 12 months" in listed.out
    hold_id = listed.out.split()[0]
    assert "No rolling until" in planned("status", now=saturday).out
    lifted = planned("check", "--lift", hold_id, now=saturday)
    assert lifted.code == 0 and "Lifted the hold" in lifted.out
    assert "No holds" in planned("check", "--holds", now=saturday).out
    assert "No rolling until" not in planned("status", now=saturday).out
    missing = planned("check", "--lift", hold_id, now=saturday)
    assert missing.code == 1 and "No hold with id" in missing.err
