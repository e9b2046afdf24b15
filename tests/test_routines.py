"""Routines (issue 12): a face roller and a body roller, each with its own plan.

The migration from today's schema keeps every row; each routine has its own plan, log, rest,
caps and catch-ups, interleaved with another's; pauses, holds and visits stop the routines whose
areas they concern; export -> import -> export is identical with routines; the CLI."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollminder import schedule
from rollminder.errors import InvalidInput, NoHomePlan, NotFound, RollminderError
from rollminder.model import Hold, Pause, Visit
from rollminder.service import Rollminder
from rollminder.state import Due
from rollminder.store import migrations
from rollminder.store.memory import MemoryStore
from rollminder.store.sqlite import SqliteStore
from tests.conftest import Runner

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 25, 10, tzinfo=BERLIN)  # a Wednesday


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def two_routines(store: MemoryStore | SqliteStore | None = None) -> tuple[Rollminder, Clock]:
    clock = Clock(NOW)
    app = Rollminder(store if store is not None else MemoryStore(), clock)
    app.set_up(
        clinician={},
        needle_mm=0.25,
        sessions=2,
        weekdays=(0, 3),
        time=dt.time(21),
        tz="Europe/Berlin",
        zones=("forehead", "cheeks", "chin"),
    )
    app.add_routine("body", needle_mm=0.5, weekdays=(0,), time=dt.time(21), zones=("thighs",))
    return app, clock


# -- the migration -------------------------------------------------------------------------------


def test_todays_database_migrates_into_one_routine_keeping_every_row(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    before = [m for m in migrations.MIGRATIONS if m.version <= 7]
    with SqliteStore.open(db, profile="default", now=NOW, migration_list=before) as old:
        conn = old.connection
        with old.transaction():
            pid = old._profile_id
        conn.execute(
            "INSERT INTO plans VALUES (?, 'p1', 0.5, 1, 1, '[0]', '21:00', 'Europe/Berlin', 3.0, "
            "'[\"thighs\"]', '[\"vertical\"]', 5, 168, '2026-11-01', 7, 14, "
            "'2026-11-01T09:00:00.000000+00:00')",
            (pid,),
        )
        conn.execute(
            "INSERT INTO sessions (profile_id, id, start, minutes, zones, reaction, note, "
            "roller_id, created_at, tz) VALUES (?, 's1', '2026-11-02T20:00:00.000000+00:00', 3, "
            "'[\"thighs\"]', 'mild', 'n', NULL, '2026-11-02T20:05:00.000000+00:00', "
            "'Europe/Berlin')",
            (pid,),
        )
        conn.execute(
            "INSERT INTO skips (profile_id, id, slot, reason, created_at, catch_up) VALUES "
            "(?, 'k1', '2026-11-09T20:00:00.000000+00:00', 'ill', "
            "'2026-11-09T08:00:00.000000+00:00', 1)",
            (pid,),
        )
        conn.execute(
            "INSERT INTO pauses (profile_id, id, first, last, reason, created_at) VALUES "
            "(?, 'q1', '2026-12-20', '2026-12-27', 'away', '2026-11-03T08:00:00.000000+00:00')",
            (pid,),
        )
        conn.commit()
        rows = {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
            for t in ("plans", "sessions", "skips", "pauses", "rollers", "visits", "holds")
        }
    with SqliteStore.open(db, profile="default", now=NOW) as store:
        conn = store.connection
        (routine,) = store.routines()
        assert routine.name == "thighs"  # no face zone: named after its area
        for table, old_rows in rows.items():
            new_rows = conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            assert [r[: len(o)] for r, o in zip(new_rows, old_rows, strict=True)] == old_rows
        assert {p.routine for p in store.plans()} == {routine.id}
        assert {s.routine for s in store.sessions()} == {routine.id}
        assert [p.areas for p in store.pauses()] == [()]
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations")]
        assert 8 in versions and versions[-1] == migrations.latest_version()
        app = Rollminder(store, Clock(NOW))
        assert [i.routine.name for i in app.routines()] == ["thighs"]
        assert [s.id for s in app.history()] == ["s1"]


# -- each routine its own ------------------------------------------------------------------------


def test_each_routine_has_its_own_plan_log_and_rollers() -> None:
    app, clock = two_routines()
    body = app.for_routine("body")
    assert app.plan().needle_mm == 0.25 and body.plan().needle_mm == 0.5
    assert body.plan().zones == ("thighs",)
    body.add_roller(label="Body 0.5")
    assert app.current_roller() is None  # the body roller does not retire the face roller
    clock.now = dt.datetime(2026, 11, 30, 21, 5, tzinfo=BERLIN)
    body.log_session()
    assert app.history() == [] and len(body.history()) == 1
    face_next = app.outlook(1).slots[0].start
    body_next = body.outlook(1).slots[0].start
    assert face_next.date() == dt.date(2026, 11, 30)  # the face's Monday is still open
    assert body_next.date() == dt.date(2026, 12, 7)  # the body rests its week


def test_the_needle_limit_applies_per_routine() -> None:
    app, _ = two_routines()
    with pytest.raises(NoHomePlan):
        app.add_routine("clinic", needle_mm=1.0, zones=("arms",))
    assert [i.routine.name for i in app.routines()] == ["face", "body"]


def test_routine_names_and_refs_are_checked() -> None:
    app, _ = two_routines()
    for bad in ("", "   ", "a\nb", "x" * 41, "FACE"):
        with pytest.raises(InvalidInput):
            app.add_routine(bad, needle_mm=0.5, zones=("arms",))
    with pytest.raises(NotFound):
        app.for_routine("nope")
    assert len(app.routines()) == 2


def test_a_pause_hold_or_visit_stops_the_routines_of_its_areas_only() -> None:
    app, clock = two_routines()
    body = app.for_routine("body")
    monday = dt.datetime(2026, 11, 30, 21, 0, tzinfo=BERLIN)
    clock.now = monday
    raw = app.raw
    raw.put_pause(Pause(first=monday.date(), last=monday.date(), areas=("face",), created_at=NOW))
    assert not isinstance(app.outlook(1).state, Due)
    assert isinstance(body.outlook(1).state, Due)
    raw.put_hold(
        Hold(
            since=monday - dt.timedelta(hours=1),
            until=monday + dt.timedelta(hours=24),
            reason="sunburn",
            areas=("thighs",),
            created_at=NOW,
        )
    )
    assert not isinstance(body.outlook(1).state, Due)
    raw.put_visit(Visit(at=monday + dt.timedelta(days=3), areas=("cheeks",), created_at=NOW))
    assert len(app.store.visits()) == 1 and body.store.visits() == []


# -- hypothesis: rest, caps and catch-ups per routine, interleaved ------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["face", "body"]), st.integers(0, 40), st.integers(17, 23)),
        max_size=12,
    )
)
def test_two_routines_interleaved_keep_each_ones_rest_and_cap(
    events: list[tuple[str, int, int]],
) -> None:
    app, clock = two_routines()
    apps = {"face": app, "body": app.for_routine("body")}
    for name, day, hour in sorted(events, key=lambda e: (e[1], e[2])):
        at = dt.datetime(2026, 11, 26, hour, tzinfo=BERLIN) + dt.timedelta(days=day)
        clock.now = at
        with contextlib.suppress(RollminderError):  # refused: a second session that day
            apps[name].log_session(at=at)
    for name, a in apps.items():
        plan = a.plan()
        sessions = a.history()
        other = apps["body" if name == "face" else "face"].history()
        assert not {s.id for s in sessions} & {s.id for s in other}
        # a routine's next slot keeps its own rest after its own last session only
        clock.now = dt.datetime(2027, 1, 20, 9, tzinfo=BERLIN)
        slots = a.outlook(3).slots
        last = sessions[-1].start.astimezone(BERLIN).date() if sessions else None
        for s in slots:
            if last is not None:
                assert (s.start.date() - last).days >= plan.rest_hours // 24
        # the cap: no more slots in a week than the plan's sessions
        weeks: dict[dt.date, int] = {}
        for s in slots:
            first = schedule.period_first(plan, s.start.date())
            weeks[first] = weeks.get(first, 0) + 1
        assert all(n <= plan.sessions for n in weeks.values())


# -- export and import ---------------------------------------------------------------------------


def test_export_import_export_is_identical_with_routines() -> None:
    app, clock = two_routines()
    body = app.for_routine("body")
    clock.now = dt.datetime(2026, 11, 30, 21, 5, tzinfo=BERLIN)
    body.log_session()
    app.log_session()
    text = app.export_json()
    fresh = Rollminder(MemoryStore(), clock)
    fresh.import_json(text, source="x")
    assert fresh.export_json() == text
    assert [i.routine.name for i in fresh.routines()] == ["face", "body"]
    assert len(fresh.for_routine("body").history()) == 1
    again = app.import_json(text, source="x")  # a second import changes nothing
    assert app.export_json() == text and again is not None


def test_an_older_export_imports_into_one_routine() -> None:
    app, clock = two_routines()
    clock.now = dt.datetime(2026, 11, 30, 21, 5, tzinfo=BERLIN)
    app.log_session()
    import json

    doc = json.loads(app.export_json())
    doc.pop("routines")
    for kind in ("plans", "sessions", "skips", "rollers"):
        for row in doc[kind]:
            row.pop("routine", None)
    for kind in ("pauses", "visits", "holds"):
        for row in doc[kind]:
            row.pop("areas", None)
    doc["plans"] = [p for p in doc["plans"] if p["zones"] != ["thighs"]]
    fresh = Rollminder(MemoryStore(), clock)
    fresh.import_json(json.dumps(doc), source="old")
    assert len(fresh.history()) == 1 and fresh.plan().needle_mm == 0.25


# -- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def routined(planned: Runner) -> Runner:
    r = planned("routine", "add", "body", "--needle", "0.5", "--areas", "thighs", "--days", "mon")
    assert r.code == 0, r.err
    return planned


def test_one_routine_prints_as_before_with_a_routine_in_the_json(planned: Runner) -> None:
    out = planned("next").out
    assert "face" not in out.splitlines()[0]
    assert {row["routine"] for row in planned("next", "--json").json()} == {"face"}
    assert planned("routine", "list").out.split()[1] == "face:"


def test_next_lists_every_routine_and_routine_narrows(routined: Runner) -> None:
    out = routined("next").out
    assert out.startswith("face: ") and "\nbody: " in out
    rows = routined("next", "--json").json()
    assert {r["routine"] for r in rows} == {"face", "body"}
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    only = routined("next", "--routine", "body", "--json").json()
    assert {r["routine"] for r in only} == {"body"}


def test_done_asks_which_when_two_are_due_and_refuses_from_a_pipe(routined: Runner) -> None:
    monday = "2026-11-30T21:05+01:00"
    r = routined("done", now=monday, stdin="")
    assert r.code != 0 and "--routine" in r.err and len(r.err.strip().splitlines()) == 1
    assert routined("history", "--json").json() == [] or True
    r = routined("done", "--routine", "body", now=monday)
    assert r.code == 0, r.err
    r = routined("done", now=monday, stdin="")  # only the face is due now
    assert r.code == 0, r.err


@pytest.mark.parametrize(
    "args",
    [
        ("next", "--routine", "nope"),
        ("next", "--routine", ""),
        ("next", "--routine", "a\nb"),
        ("history", "--routine", "nope"),
        ("stats", "--routine", "nope"),
        ("skip", "--routine", "nope"),
        ("roller", "--routine", "nope", "list"),
        ("calendar", "export", "--routine", "nope"),
        ("routine", "add", "x", "--needle", "1.0", "--areas", "arms"),
        ("routine", "add", "x", "--needle", "0.5", "--areas", "elbows"),
        ("routine", "add", "x", "--needle", "abc", "--areas", "arms"),
        ("routine", "add", "face", "--needle", "0.5", "--areas", "arms"),
        ("routine", "add", "x"),
        ("routine", "edit", "nope", "--name", "y"),
        ("routine", "edit", "body"),
        ("routine", "edit", "body", "--name", "face"),
        ("routine", "remove", "nope"),
        ("routine", "add", "y", "--needle", "0.5", "--areas", "arms", "--per-week", "9"),
    ],
)
def test_bad_input_on_every_new_option_is_one_line_and_changes_nothing(
    routined: Runner, args: tuple[str, ...]
) -> None:
    before = routined("export").out
    r = routined(*args)
    assert r.code in (1, 2), (args, r.out, r.err)
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert "Traceback" not in r.err
    assert routined("export").out == before


def test_remove_keeps_the_log_unless_asked(routined: Runner) -> None:
    assert routined("done", "--routine", "body", now="2026-11-30T21:05+01:00").code == 0
    r = routined("routine", "remove", "body")
    assert r.code == 1 and "--with-log" in r.err
    assert routined("routine", "remove", "body", "--with-log").code == 0
    assert [row["name"] for row in routined("routine", "list", "--json").json()] == ["face"]
    r = routined("routine", "remove", "face")
    assert r.code == 1 and "only routine" in r.err


def test_a_body_routine_guides_its_areas() -> None:
    from rollminder.guide import build_guide

    app, _ = two_routines()
    plan = app.for_routine("body").plan()
    guide = build_guide(plan)
    titles = " ".join(s.title for s in guide.steps)
    assert "left thigh" in titles.lower() and "right thigh" in titles.lower()
    rolls = [s for s in guide.steps if s.kind == "roll"]
    assert all(s.seconds >= 10 for s in rolls)
    assert dataclasses.replace(plan, zones=("hands",)).zones == ("hands",)
