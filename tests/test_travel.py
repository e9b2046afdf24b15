"""Travel and time zones (issue #11, item 5; DOMAIN.md "Travel and time zones").

Sessions keep the zone they were done in: a change of the plan's zone never relabels history,
nor counts a session twice. ``rollminder travel --tz ZONE [--until DATE]`` makes slots and
reminders follow the plan's wall time where the person is, then return (``travel end``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollminder.errors import InvalidInput
from rollminder.remind import engine
from rollminder.service import Rollminder
from rollminder.store import migrations
from rollminder.store.memory import MemoryStore
from rollminder.store.sqlite import SqliteStore
from tests.conftest import Runner

BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")


def one_line_error(result: object) -> str:
    err = result.err  # type: ignore[attr-defined]
    assert result.code in (1, 2), err  # type: ignore[attr-defined]
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return str(err)


# -- history keeps each session's zone ------------------------------------------------------------


def test_a_new_plan_zone_does_not_relabel_history(planned: Runner) -> None:
    assert planned("done", "--at", "2026-11-26T21:05", now="2026-11-26T22:00+01:00").code == 0
    result = planned("plan", "set", "--tz", "New York", now="2026-11-27T10:00+01:00")
    assert result.code == 0, result.err
    assert planned("plan", "--json").json()["tz"] == "America/New_York"
    rows = planned("history", "--json", now="2026-11-27T10:00+01:00").json()
    assert [(r["start"], r["tz"]) for r in rows] == [("2026-11-26T21:05:00+01:00", "Europe/Berlin")]
    text = planned("history", now="2026-11-27T10:00+01:00").out
    assert "2026-11-26 21:05 CET" in text and "15:05" not in text


def test_a_zone_change_never_counts_a_session_twice(planned: Runner) -> None:
    for at in ("2026-11-26T21:00", "2026-11-30T21:00", "2026-12-03T21:00"):
        assert planned("done", "--at", at, now=f"{at}:00+01:00").code == 0
    before = planned("stats", "--json", now="2026-12-04T10:00+01:00").json()
    # Auckland is 12 hours ahead: every session's Berlin evening is the next morning there.
    assert planned("plan", "set", "--tz", "Auckland", now="2026-12-04T10:00+01:00").code == 0
    after = planned("stats", "--json", now="2026-12-04T10:00+01:00").json()
    assert before["sessions"] == after["sessions"] == 3
    assert after["kept"] <= 3 and before["kept"] == 3


def test_the_migration_gives_old_sessions_the_zone_they_were_shown_in(tmp_path: Path) -> None:
    db = tmp_path / "rollminder.db"
    t0 = "2026-01-01T00:00:00.000000+00:00"
    opened = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    old = migrations.MIGRATIONS[:4]
    with SqliteStore.open(db, profile="default", now=opened, migration_list=old) as store:
        with store.transaction():
            profile = store._profile_id
        conn = store.connection
        plan = (
            "INSERT INTO plans (profile_id, id, needle_mm, sessions, every_weeks, weekdays, "
            '"time", tz, minutes, zones, directions, passes, rest_hours, "start", '
            "blackout_before_days, blackout_after_days, created_at) VALUES "
            "(?, ?, 0.25, 2, 1, '[0, 3]', '21:00', ?, 3, '[\"cheeks\"]', "
            "'[\"vertical\"]', 5, 48, '2026-01-01', 1, 14, ?)"
        )
        conn.execute(plan, (profile, "p1", "Europe/Berlin", t0))
        conn.execute(plan, (profile, "p2", "Asia/Tokyo", "2026-03-01T00:00:00.000000+00:00"))
        session = (
            "INSERT INTO sessions (profile_id, id, start, minutes, zones, reaction, note, "
            "roller_id, created_at) VALUES (?, ?, ?, 3, '[\"cheeks\"]', NULL, '', NULL, ?)"
        )
        conn.execute(session, (profile, "s1", "2026-02-02T20:00:00.000000+00:00", t0))
        conn.execute(session, (profile, "s2", "2026-03-02T12:00:00.000000+00:00", t0))
    with SqliteStore.open(db, profile="default", now=opened) as store:
        zones = {s.id: s.tz for s in store.sessions()}
    assert zones == {"s1": "Europe/Berlin", "s2": "Asia/Tokyo"}
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("SELECT count(*) FROM sessions").fetchone() == (2,)
    finally:
        raw.close()


# -- travel -----------------------------------------------------------------------------------


def test_travel_moves_slots_to_the_zone_people_are_in_then_back(planned: Runner) -> None:
    result = planned("travel", "--tz", "New York", "--until", "2026-11-30")
    assert result.code == 0, result.err
    assert "New York" in result.out and "Mon 30 Nov" in result.out
    assert planned("travel", "--json").json() == {
        "tz": "America/New_York",
        "until": "2026-11-30",
        "home": "Europe/Berlin",
    }
    slots = planned("next", "--json", "-n", "2").json()
    # The plan's 21:00, in New York: Thu 26 Nov 21:00 EST (03:00 the next day in Berlin).
    assert [s["start"] for s in slots] == [
        "2026-11-26T21:00:00-05:00",
        "2026-11-30T21:00:00-05:00",
    ]
    # A session done there keeps New York's time in the history, after the return too.
    assert planned("done", "--at", "2026-11-26T21:10", now="2026-11-26T21:30-05:00").code == 0
    rows = planned("history", "--json", now="2026-12-02T10:00+01:00").json()
    assert [(r["start"], r["tz"]) for r in rows] == [
        ("2026-11-26T21:10:00-05:00", "America/New_York")
    ]
    assert "21:10 EST" in planned("history", now="2026-12-02T10:00+01:00").out
    # After its last day, the travel is over by itself: the slots are Berlin's again.
    back = planned("next", "--json", "-n", "1", now="2026-12-02T10:00+01:00").json()
    assert back[0]["start"] == "2026-12-03T21:00:00+01:00"
    assert planned("travel", "--json", now="2026-12-02T10:00+01:00").json() is None
    # The plan itself never changed.
    assert planned("plan", "--json").json()["tz"] == "Europe/Berlin"


def test_travel_end_returns_at_once(planned: Runner) -> None:
    assert planned("travel", "--tz", "Asia/Tokyo").code == 0
    assert "Tokyo" in planned("travel").out
    assert "times are Tokyo's" in planned("next").out
    assert "times are Tokyo's" in planned("plan").out
    assert planned("next", "--json", "-n", "1").json()[0]["start"].endswith("+09:00")
    result = planned("travel", "end")
    assert result.code == 0 and "Welcome back" in result.out and "Berlin" in result.out
    assert planned("next", "--json", "-n", "1").json()[0]["start"].endswith("+01:00")
    assert "No travel was on" in planned("travel", "end").out
    assert "No travel is on" in planned("travel").out


def test_rest_still_counts_in_days_across_a_travel(planned: Runner) -> None:
    # Monday's session in Berlin, then a flight to New York: Thursday's slot is still offered
    # at 21:00 there (Mon + 2 days of rest), not pushed by the six hours between the zones.
    assert planned("done", "--at", "2026-11-30T21:00", now="2026-11-30T21:10+01:00").code == 0
    assert planned("travel", "--tz", "New York", now="2026-12-01T10:00+01:00").code == 0
    slot = planned("next", "--json", "-n", "1", now="2026-12-01T10:00+01:00").json()[0]
    assert slot["start"] == "2026-12-03T21:00:00-05:00"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("travel", "--tz", "Atlantis"), "Unknown time zone"),
        (("travel", "--tz", "Germany"), "more than one time zone"),
        (("travel", "--tz", "Tokyo", "--until", "2026-11-01"), "already passed"),
        (("travel", "--tz", "Tokyo", "--until", "someday"), ""),
        (("travel", "--tz", "Tokyo", "--until", "2031-01-01"), "two years"),
        (("travel", "--until", "2026-12-01"), "Give the zone too"),
        (("travel", "--tz", "\udcff"), ""),
        (("travel", "--tz", "Tokyo", "end"), ""),
    ],
)
def test_bad_travel_input_is_one_line_and_changes_nothing(
    planned: Runner, args: tuple[str, ...], says: str
) -> None:
    before = planned("export").out
    err = one_line_error(planned(*args))
    assert says in err
    assert planned("export").out == before
    assert planned("travel", "--json").json() is None


def test_travel_needs_a_plan(rm: Runner) -> None:
    assert "No plan yet" in one_line_error(rm("travel", "--tz", "Tokyo"))
    assert "No plan yet" in one_line_error(rm("travel", "end"))


def test_travelling_to_the_plans_own_zone_is_no_travel(planned: Runner) -> None:
    assert planned("travel", "--tz", "Tokyo").code == 0
    result = planned("travel", "--tz", "Berlin")
    assert result.code == 0 and "own zone" in result.out
    assert planned("travel", "--json").json() is None


# -- reminders follow the travel ----------------------------------------------------------------


def _app(now: dt.datetime) -> tuple[Rollminder, list[dt.datetime]]:
    clock = [now]
    app = Rollminder(MemoryStore(), lambda: clock[0])
    app.set_plan(needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin")
    return app, clock


def test_reminders_follow_the_travel_zone() -> None:
    app, clock = _app(dt.datetime(2026, 11, 25, 10, tzinfo=BERLIN))
    app.start_travel("New York", dt.date(2026, 12, 6))
    due = [r for r in engine.compute(app, clock[0]) if r.kind == "session"]
    assert due[0].at == dt.datetime(2026, 11, 26, 21, tzinfo=NY)
    app.end_travel()
    due = [r for r in engine.compute(app, clock[0]) if r.kind == "session"]
    assert due[0].at == dt.datetime(2026, 11, 26, 21, tzinfo=BERLIN)


def test_sessions_logged_while_travelling_keep_that_zone() -> None:
    app, clock = _app(dt.datetime(2026, 11, 26, 20, tzinfo=NY))
    app.start_travel("America/New_York")
    logged = app.log_session(at=None)
    assert logged.session.tz == "America/New_York"
    app.end_travel()
    clock[0] = dt.datetime(2026, 11, 30, 21, 30, tzinfo=BERLIN)
    assert app.log_session(at=None).session.tz == "Europe/Berlin"
    assert [s.tz for s in app.history(None)] == ["America/New_York", "Europe/Berlin"]


ZONES = ["America/New_York", "Asia/Tokyo", "Pacific/Chatham", "America/Santiago", "UTC"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    days=st.integers(0, 40),
    until=st.none() | st.integers(0, 30),
)
def test_a_travel_round_trip_leaves_the_plan_and_export_as_they_were(
    zone: str, days: int, until: int | None
) -> None:
    app, clock = _app(dt.datetime(2026, 11, 25, 10, tzinfo=BERLIN))
    app.log_session(at=dt.datetime(2026, 11, 23, 21, tzinfo=BERLIN))
    before_plan, before = app.home_plan(), app.export_json()
    before_slots = [s.start for s in app.outlook().slots]
    clock[0] += dt.timedelta(days=days)
    last = (
        None
        if until is None
        else clock[0].astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=until)
    )
    app.start_travel(zone, last)
    assert app.plan().tz == zone and app.home_plan() == before_plan
    app.end_travel()
    clock[0] -= dt.timedelta(days=days)
    assert app.home_plan() == before_plan and app.plan() == before_plan
    assert app.export_json() == before
    assert [s.start for s in app.outlook().slots] == before_slots


def test_a_travel_cannot_end_before_it_starts() -> None:
    app, _ = _app(dt.datetime(2026, 11, 25, 10, tzinfo=BERLIN))
    with pytest.raises(InvalidInput, match="already passed"):
        app.start_travel("Tokyo", dt.date(2026, 11, 24))
    assert app.travel() is None
