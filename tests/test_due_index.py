"""The due index (issue 16): each routine's next reminder instant, recomputed by every kind of
write that can move it and by each delivery pass. The property: after any sequence of writes
(plans, routines, sessions, skips, pauses, holds lifted, visits, snoozes, settings, travel,
channels) and passes, the stored index equals a full recomputation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollminder.errors import RollminderError
from rollminder.remind import due, engine
from rollminder.remind.channels import ChannelError
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore
from rollminder.store.sqlite import SqliteStore

BERLIN = ZoneInfo("Europe/Berlin")


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Fake:
    def __init__(self) -> None:
        self.failing = False
        self.got = 0

    def send(self, title: str, body: str, *, slot: str = "") -> None:
        if self.failing:
            raise ChannelError("HTTP 500")
        self.got += 1


def _world(store: MemoryStore | SqliteStore | None = None) -> tuple[Rollminder, Clock]:
    clock = Clock(dt.datetime(2026, 11, 25, 10, tzinfo=BERLIN))
    app = Rollminder(store if store is not None else MemoryStore(), clock)
    return app, clock


def _pass(app: Rollminder, fake: Fake) -> None:
    """A delivery pass as a worker runs it: the index put back once at its end."""
    configs = app.active_channels(lambda: False)
    with due.quiet(app, refresh=False):
        engine.run_pass(app, configs, channel_for=lambda c: fake)
    due.refresh(app)


def _write(app: Rollminder, clock: Clock, op: str, n: int, fake: Fake) -> None:
    now = clock.now.astimezone(BERLIN)
    match op:
        case "plan":
            app.set_plan(
                needle_mm=0.25,
                sessions=2,
                weekdays=(n % 7, (n + 3) % 7),
                time=dt.time(18 + n % 5, 15 * (n % 4)),
                tz="Europe/Berlin",
                zones=("forehead", "cheeks"),
            )
        case "routine":
            app.add_routine(
                f"thighs{n % 3}", needle_mm=0.5, weekdays=(n % 7,), time=dt.time(20, 30),
                zones=("thighs",),
            )  # fmt: skip
        case "done":
            app.log_session(at=clock.now, minutes=5)
        case "skip":
            app.skip(reason="tired")
        case "pause":
            day = now.date() + dt.timedelta(days=n % 4)
            app.pause(day, day + dt.timedelta(days=n % 3))
        case "resume":
            app.resume()
        case "visit":
            app.add_visit(at=clock.now + dt.timedelta(days=1 + n % 5, hours=n % 7))
        case "snooze":
            engine.snooze(app, 10 + n % 50)
        case "settings":
            app.set_settings(prep_minutes=5 + n % 40)
        case "travel":
            app.start_travel("America/New_York" if n % 2 else "Asia/Tokyo")
        case "channel":
            app.add_channel(f"json://127.0.0.1:9/p{n}", f"c{n}")
        case "unchannel":
            names = [c.name for c in app.list_channels()]
            if names:
                app.remove_channel(names[n % len(names)])
        case "fail":
            fake.failing = not fake.failing
        case "pass":
            _pass(app, fake)


OPS = st.sampled_from(
    ["plan", "routine", "done", "skip", "pause", "resume", "visit", "snooze", "settings",
     "travel", "channel", "unchannel", "fail", "pass", "pass"]
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(OPS, st.integers(0, 50), st.integers(0, 60 * 30)), min_size=1, max_size=14)
)
def test_the_index_equals_a_full_recomputation_after_any_writes(
    steps: list[tuple[str, int, int]],
) -> None:
    app, clock = _world()
    fake = Fake()
    written = clock.now  # when the data last changed: the index is computed then
    for op, n, minutes in steps:
        clock.now += dt.timedelta(minutes=minutes)
        stamp = app.store.data_stamp()
        try:
            _write(app, clock, op, n, fake)
        except RollminderError:
            continue  # refused in this state (no plan yet, nothing open to snooze ...): undone
        if app.store.data_stamp() != stamp:
            written = clock.now
        assert app.store.due_index() == due.next_due(app, written), (op, n)


def test_each_kind_of_write_moves_the_index() -> None:
    app, clock = _world()
    assert app.store.due_index() == {}
    app.set_plan(
        needle_mm=0.25, sessions=1, weekdays=(2,), time=dt.time(21), tz="Europe/Berlin",
        zones=("forehead",),
    )  # fmt: skip
    assert app.store.due_index() == {}  # no channel: nothing can be sent
    app.add_channel("json://127.0.0.1:9/x", "hook")
    prep = dt.datetime(2026, 11, 25, 20, 45, tzinfo=BERLIN)  # Wed 21:00, prep 15 min before
    assert app.store.due_index() == {"": prep}
    app.set_settings(prep_minutes=30)
    assert app.store.due_index() == {"": prep - dt.timedelta(minutes=15)}
    app.skip(reason="busy")  # tonight skipped: next Wednesday, but looked at within 12 h
    assert app.store.due_index() == {"": clock.now + due.RECHECK}
    app.pause(dt.date(2026, 11, 26), dt.date(2026, 12, 31))
    assert app.store.due_index() == {"": clock.now + due.RECHECK}
    app.resume()
    app.remove_channel("hook")
    assert app.store.due_index() == {}


def test_a_delivery_moves_the_index_on_to_the_next_reminder() -> None:
    app, clock = _world()
    app.set_plan(
        needle_mm=0.25, sessions=1, weekdays=(2,), time=dt.time(21), tz="Europe/Berlin",
        zones=("forehead",),
    )  # fmt: skip
    app.add_channel("json://127.0.0.1:9/x", "hook")
    fake = Fake()
    clock.now = dt.datetime(2026, 11, 25, 20, 45, tzinfo=BERLIN)
    _pass(app, fake)
    assert fake.got == 1  # the prep
    assert app.store.due_index() == {"": dt.datetime(2026, 11, 25, 21, tzinfo=BERLIN)}
    clock.now = dt.datetime(2026, 11, 25, 21, tzinfo=BERLIN)
    _pass(app, fake)
    assert fake.got == 2
    assert app.store.due_index() == {"": clock.now + due.RECHECK}
    # A failing channel: the index waits for its backoff.
    clock.now += dt.timedelta(minutes=10)
    engine.snooze(app, 5)
    fake.failing = True
    clock.now += dt.timedelta(minutes=5)
    _pass(app, fake)
    assert app.store.due_index() == {"": clock.now + engine.BACKOFF_FIRST}


def test_two_routines_are_indexed_apart_and_sqlite_keeps_the_index(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "r.db", profile="default", now=dt.datetime.now(dt.UTC))
    app, _clock = _world(store)
    app.set_plan(
        needle_mm=0.25, sessions=1, weekdays=(2,), time=dt.time(21), tz="Europe/Berlin",
        zones=("forehead",),
    )  # fmt: skip
    app.add_routine("thighs", needle_mm=0.5, weekdays=(2,), time=dt.time(21, 30), zones=("thighs",))
    app.add_channel("json://127.0.0.1:9/x", "hook")
    rid = app.find_routine("thighs").id
    index = app.store.due_index()
    assert index == {
        "": dt.datetime(2026, 11, 25, 20, 45, tzinfo=BERLIN),
        rid: dt.datetime(2026, 11, 25, 21, 15, tzinfo=BERLIN),
    }
    app.close()
    again = SqliteStore.open(tmp_path / "r.db", profile="default", now=dt.datetime.now(dt.UTC))
    try:
        assert again.due_index() == index
    finally:
        again.close()
