"""Reminders with routines (issue 12): every routine's slots are reminded, with ledger keys that
never collide (and never change for a one-routine person: no repeat after the upgrade); two
routines due the same evening get one reminder naming both, whose Done and Snooze act on both;
exactly once across a daemon restart; two routines interleaved keep exactly-once reminders."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollminder.cli import main
from rollminder.errors import RollminderError
from rollminder.remind import engine, planner
from rollminder.remind.channels import ChannelError
from rollminder.remind.records import ChannelConfig
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore
from rollminder.store.sqlite import SqliteStore
from tests.conftest import SETUP
from tests.remind_receivers import http_receiver

BERLIN = ZoneInfo("Europe/Berlin")
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def at(d: int, hh: int, mm: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, d, hh, mm, tzinfo=BERLIN)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Fake:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.failing = False
        self.got: list[tuple[dt.datetime, str, str, str]] = []
        self.config = ChannelConfig(name="a", url="fake://a", masked="fake://a", kind="fake",
                                    id="a", created_at=T0)  # fmt: skip

    def send(self, title: str, body: str, *, slot: str = "") -> None:
        if self.failing:
            raise ChannelError("HTTP 500")
        self.got.append((self.clock(), slot, title, body))


def face(app: Rollminder) -> None:
    app.set_up(
        clinician={},
        needle_mm=0.25,
        sessions=2,
        weekdays=(0, 3),  # Mon, Thu 21:00
        time=dt.time(21),
        tz="Europe/Berlin",
        zones=("forehead", "cheeks", "chin"),
    )


def thighs(app: Rollminder, time: dt.time = dt.time(21)) -> None:
    app.add_routine("thighs", needle_mm=0.5, weekdays=(0,), time=time, zones=("thighs",))


class World:
    def __init__(self, store: MemoryStore | SqliteStore | None = None, *, two: bool = True) -> None:
        self.clock = Clock(at(25, 10))  # Wed 25 Nov 2026
        self.store = store if store is not None else MemoryStore()
        self.app = Rollminder(self.store, self.clock)
        face(self.app)
        if two:
            thighs(self.app)
        self.channel = Fake(self.clock)

    def run(self, when: dt.datetime) -> engine.PassResult:
        self.clock.now = when
        return engine.run_pass(self.app, [self.channel.config], channel_for=lambda c: self.channel)

    def titles(self) -> list[str]:
        return [g[2] for g in self.channel.got]


def thighs_id(app: Rollminder) -> str:
    return app.for_routine("thighs").routine().id  # type: ignore[union-attr]


def test_two_routines_due_together_get_one_reminder_naming_both() -> None:
    w = World()
    w.run(at(26, 20, 45))  # Thursday: the face only
    w.run(at(26, 21))
    assert w.titles() == [
        "face at 21:00: start soaking your 0.25 mm roller",
        "Time to roll: face (0.25 mm): forehead, cheeks, chin, about 3 min",
    ]
    w.channel.got.clear()
    w.run(at(30, 20, 45))  # Monday: both
    w.run(at(30, 20, 50))
    w.run(at(30, 21))
    w.run(at(30, 21, 30))
    assert w.titles() == [
        "Sessions at 21:00: start soaking your rollers",
        "Time to roll: face (0.25 mm) and thighs (0.5 mm)",
    ]
    body = w.channel.got[1][3]
    assert "face (0.25 mm): forehead, cheeks, chin, about 3 min." in body
    assert "thighs (0.5 mm): thighs" in body and "switching rollers" in body
    key = planner.slot_key(at(30, 21))
    assert w.channel.got[1][1] == f"{key}+{key}/{thighs_id(w.app)}"
    rows = {(d.slot, d.kind, d.state) for d in w.app.store.deliveries()}
    for kind in ("prep", "session"):
        assert (key, kind, "recorded") in rows
        assert (f"{key}/{thighs_id(w.app)}", kind, "recorded") in rows


def test_a_routine_within_the_hour_joins_the_first_reminder_and_is_not_repeated() -> None:
    w = World(two=False)
    thighs(w.app, dt.time(21, 30))
    for minute in (45, 50):
        w.run(at(30, 20, minute))
    for hh, mm in ((21, 0), (21, 15), (21, 30), (21, 45), (23, 0)):
        w.run(at(30, hh, mm))
    assert w.titles() == [
        "Sessions at 21:00 and 21:30: start soaking your rollers",
        "Time to roll: face (0.25 mm) and thighs (0.5 mm)",
    ]
    assert [g[0] for g in w.channel.got] == [at(30, 20, 45), at(30, 21)]


def test_done_and_snooze_act_on_both_routines() -> None:
    w = World()
    w.run(at(30, 21))
    slot = w.channel.got[-1][1]
    snoozed = engine.snooze_open(w.app, 20, slot=slot)
    assert len(snoozed) == 2 and len({z.slot for z in snoozed}) == 2
    w.run(at(30, 21, 20))
    assert w.titles()[-1] == "Snoozed: time to roll: face (0.25 mm) and thighs (0.5 mm)"
    logged = engine.done_open(w.app, w.channel.got[-1][1])
    assert len(logged) == 2
    assert len(w.app.history()) == 1 and len(w.app.for_routine("thighs").history()) == 1
    again = [title for title in w.titles()]
    w.run(at(30, 22))
    assert w.titles() == again  # nothing more: both slots are done


def test_done_on_one_routines_reminder_logs_that_routine_only() -> None:
    w = World(two=False)
    thighs(w.app, dt.time(19))  # 2 h apart: two reminders
    w.run(at(30, 19))
    assert w.titles() == ["Time to roll: thighs (0.5 mm): thighs, about 3 min"]
    logged = engine.done_open(w.app, w.channel.got[-1][1])
    assert [lg.session.zones for lg in logged] == [("thighs",)]
    assert w.app.history() == []


def test_a_one_routine_ledger_stays_valid_after_the_upgrade(tmp_path: Path) -> None:
    """The first routine's keys are the slot's instant, as before routines: a reminder sent before
    a second routine was added is never sent again."""
    store = SqliteStore.open(tmp_path / "r.db", profile="default", now=at(25, 10))
    w = World(store, two=False)
    w.run(at(30, 20, 45))
    assert [d.slot for d in w.app.store.deliveries()] == [planner.slot_key(at(30, 21))]
    thighs(w.app, dt.time(21))  # the upgrade: a second routine, due the same evening
    w.run(at(30, 20, 50))
    w.run(at(30, 21))
    assert w.titles() == [
        "Session at 21:00: start soaking your roller",  # before the upgrade, not repeated
        "thighs at 21:00: start soaking your 0.5 mm roller",  # the new routine's own
        "Time to roll: face (0.25 mm) and thighs (0.5 mm)",
    ]
    store.close()


def test_exactly_once_across_a_restart_over_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    clock = Clock(at(25, 10))
    first = Rollminder(SqliteStore.open(path, profile="default", now=clock.now), clock)
    face(first)
    thighs(first)
    first.close()
    channel = Fake(clock)
    for when in (at(30, 20, 45), at(30, 21), at(30, 21, 1), at(30, 22)):
        clock.now = when
        app = Rollminder(
            SqliteStore.open(path, profile="default", now=clock.now), clock
        )  # a new process each time
        engine.run_pass(app, [channel.config], channel_for=lambda c: channel)
        app.close()
    assert [g[2] for g in channel.got] == [
        "Sessions at 21:00: start soaking your rollers",
        "Time to roll: face (0.25 mm) and thighs (0.5 mm)",
    ]


def test_a_failing_channel_retries_the_joint_reminder_once_it_is_back() -> None:
    w = World()
    w.channel.failing = True
    w.run(at(30, 21))
    assert w.app.store.deliveries() == []  # claims released
    w.channel.failing = False
    w.run(at(30, 21, 1))
    assert w.titles() == ["Time to roll: face (0.25 mm) and thighs (0.5 mm)"]


def test_a_late_pass_sends_one_catch_up_naming_both() -> None:
    w = World()
    w.run(at(30, 23))
    assert len(w.channel.got) == 1
    assert w.titles()[0] == "Catch-up: still open today: face (0.25 mm) and thighs (0.5 mm)"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(st.integers(min_value=1, max_value=240), min_size=5, max_size=40),
    thigh_days=st.sets(st.integers(0, 6), min_size=1, max_size=3),
    minute=st.sampled_from([0, 20, 45, 90]),
    done_every=st.integers(min_value=2, max_value=5),
)
def test_two_routines_interleaved_keep_exactly_once_reminders(
    steps: list[int], thigh_days: set[int], minute: int, done_every: int
) -> None:
    """Any walk of the clock (with some sessions done by the Done action): no (slot, kind) is
    sent twice on a channel, no reminder goes out for a routine while it rests, and every key
    names its routine."""
    clock = Clock(at(29, 12))
    app = Rollminder(MemoryStore(), clock)
    face(app)
    app.add_routine(
        "thighs",
        needle_mm=0.5,
        sessions=len(thigh_days) if len(thigh_days) <= 1 else 1,
        weekdays=tuple(sorted(thigh_days))[:1],
        time=(dt.datetime(2026, 1, 1, 21) + dt.timedelta(minutes=minute)).time(),
        zones=("thighs",),
    )
    tid = thighs_id(app)
    channel = Fake(clock)
    sent: list[tuple[str, str]] = []
    for i, step in enumerate(steps):
        clock.now = clock.now + dt.timedelta(minutes=step * 7)
        result = engine.run_pass(app, [channel.config], channel_for=lambda c: channel)
        for s in result.sent:
            sent.append((s.reminder.slot, s.reminder.kind))
            if s.reminder.kind == "session":
                routine = app.for_routine("thighs") if s.reminder.slot.endswith(tid) else app
                assert routine.outlook(1).state.__class__.__name__ in ("Due", "Waiting")
        if i % done_every == 0 and result.sent:
            with contextlib.suppress(RollminderError):  # e.g. tapped twice: nothing added
                engine.done_open(app, channel.got[-1][1])
    assert len(sent) == len(set(sent))
    for slot, _kind in sent:
        assert "/" not in slot or slot.endswith("/" + tid)


# -- the daemon as a real process, restarted ---------------------------------------------------


def _env(now: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
    env.update({"ROLLMINDER_NOW": now, "ROLLMINDER_CLOCK_SPEED": "1", "PYTHONUNBUFFERED": "1"})
    return env


@pytest.mark.slow
def test_the_daemon_restarted_sends_the_joint_reminder_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    with http_receiver() as rx:
        monkeypatch.setenv("ROLLMINDER_NOW", "2026-11-25T10:00+01:00")
        assert main(["--home", str(home), *SETUP]) == 0
        assert main(["--home", str(home), "routine", "add", "thighs", "--needle", "0.5",
                     "--areas", "thighs", "--days", "mon", "--time", "21:00"]) == 0  # fmt: skip
        assert main(["--home", str(home), "channel", "add", f"json://{rx.base}/hook"]) == 0
        monkeypatch.delenv("ROLLMINDER_NOW")
        for now in ("2026-11-30T21:00:00+01:00", "2026-11-30T21:00:30+01:00"):
            proc = subprocess.Popen(
                [sys.executable, "-m", "rollminder", "--home", str(home), "daemon"],
                env=_env(now),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            rx.wait(1, timeout=15)
            time.sleep(1.0)  # room for a wrong second copy
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=10)
            assert proc.returncode == 0, err
        titles = [g.json()["title"] for g in rx.received]
    assert titles == ["Time to roll: face (0.25 mm) and thighs (0.5 mm)"]
    with sqlite3.connect(home / "rollminder.db") as conn:
        rows = conn.execute("SELECT slot, kind, state FROM deliveries ORDER BY slot").fetchall()
    assert [(k, s) for _, k, s in rows] == [("session", "recorded")] * 2
    assert rows[0][0] != rows[1][0]
