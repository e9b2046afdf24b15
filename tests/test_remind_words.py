"""Issue 11, item 9: reminder words follow the real time left (computed at send time), the
buttons fit the reminder, ``remind`` says what it sent in people's words, and ``channel list``
shows the outcome of ``channel test``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from rollminder.remind import engine
from rollminder.remind.records import ChannelConfig
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore
from tests.conftest import Runner
from tests.remind_receivers import dead_port, http_receiver

TZ = ZoneInfo("Europe/Berlin")
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def at(m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, m, d, hh, mm, tzinfo=TZ)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Fake:
    def __init__(self, kind: str = "fake") -> None:
        self.id = self.name = kind
        self.kind = kind
        self.got: list[tuple[str, str, str]] = []  # (slot given to the channel, title, body)

    def send(self, title: str, body: str, *, slot: str = "") -> None:
        self.got.append((slot, title, body))

    @property
    def config(self) -> ChannelConfig:
        return ChannelConfig(
            name=self.name, url="x://", masked="x://", kind=self.kind, id=self.id, created_at=T0
        )


@pytest.fixture
def clock() -> Clock:
    return Clock(at(11, 25, 10))


@pytest.fixture
def app(clock: Clock) -> Rollminder:
    app = Rollminder(MemoryStore(), clock)
    app.set_plan(needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin")
    return app


def run(app: Rollminder, clock: Clock, when: dt.datetime, channel: Fake) -> None:
    clock.now = when
    engine.run_pass(app, [channel.config], channel_for=lambda cfg: channel)


def test_a_prep_reminder_on_time_says_15_min(app: Rollminder, clock: Clock) -> None:
    ch = Fake()
    run(app, clock, at(11, 26, 20, 45), ch)
    ((_, _, body),) = ch.got
    assert body.startswith("In 15 min: ")


def test_a_prep_reminder_sent_late_says_the_real_time_left(app: Rollminder, clock: Clock) -> None:
    ch = Fake()
    run(app, clock, at(11, 26, 20, 56), ch)  # the machine woke at 20:56
    ((_, title, body),) = ch.got
    assert title == "Session at 21:00: start soaking your roller"
    assert body.startswith("In 4 min: ") and "15" not in body


def test_a_visit_reminder_caught_up_on_the_day_says_today(app: Rollminder, clock: Clock) -> None:
    app.add_visit(at=at(12, 2, 10), clinic="Derm")
    ch = Fake()
    run(app, clock, at(12, 2, 8), ch)  # off all evening before: caught up that morning
    visit = [g for g in ch.got if "visit" in g[1].lower()]
    assert visit, ch.got
    (_, title, body) = visit[0]
    assert title == "Clinic visit today at Derm"
    assert body.startswith("Your visit is today at 10:00 at Derm.")
    assert "tomorrow" not in title + body


def test_a_visit_reminder_on_the_eve_says_tomorrow(app: Rollminder, clock: Clock) -> None:
    app.add_visit(at=at(12, 2, 10), clinic="Derm")
    ch = Fake()
    run(app, clock, at(12, 1, 21, 1), ch)
    (_, title, body) = next(g for g in ch.got if "visit" in g[1].lower())
    assert title == "Clinic visit tomorrow at Derm" and "tomorrow at 10:00" in body


def test_only_session_reminders_get_the_buttons(app: Rollminder, clock: Clock) -> None:
    """The desktop shows Done and Snooze when it is given the slot: a prep (before the slot
    opens), a roller, a visit or a booking reminder gets none (its Snooze did nothing and its Done
    logged a session at the prep's time)."""
    app.set_plan(blackout_before_days=0, blackout_after_days=0)  # keep the slot before it
    app.add_visit(at=at(11, 27, 10), clinic="Derm")
    desktop = Fake("desktop")
    run(app, clock, at(11, 26, 20, 45), desktop)
    run(app, clock, at(11, 26, 21), desktop)
    given = {title.split(":")[0]: slot for slot, title, _ in desktop.got}
    assert given["Session at 21"] == ""  # the prep
    assert given["Clinic visit tomorrow at Derm"] == ""
    assert given["Time to roll"] == "2026-11-26T20:00Z"  # Done and Snooze act on the slot


def test_remind_prints_people_words(planned: Runner) -> None:
    with http_receiver() as rx:
        assert planned("channel", "add", f"json://{rx.base}/hook", "--name", "hook").code == 0
        prep = planned("remind", now="2026-11-26T20:45+01:00").out
        session = planned("remind", now="2026-11-26T21:00+01:00").out
        snooze = planned("snooze", "10", now="2026-11-26T21:01+01:00")
        assert snooze.code == 0, snooze.err
        snoozed = planned("remind", now="2026-11-26T21:11:30+01:00").out
        rx.wait(3)
    assert prep == "Sent the reminder to start soaking your roller via hook.\n"
    assert session == "Sent the reminder to roll via hook.\n"
    assert snoozed == "Sent a snoozed reminder via hook.\n"
    for out in (prep, session, snoozed):
        assert "prep" not in out and "snooze-" not in out and "session reminder" not in out


def test_remind_names_a_catch_up_and_a_booking(planned: Runner) -> None:
    with http_receiver() as rx:
        assert planned("channel", "add", f"json://{rx.base}/hook", "--name", "hook").code == 0
        late = planned("remind", now="2026-11-26T22:30+01:00").out
        rx.wait(1)
    assert late == "Sent a catch-up reminder: your session is still open, via hook.\n"


def test_channel_list_shows_a_test_that_was_sent(planned: Runner) -> None:
    with http_receiver() as rx:
        planned("channel", "add", f"json://{rx.base}/a", "--name", "a")
        assert planned("channel", "test", "a", now="2026-11-25T10:00+01:00").code == 0
        rx.wait(1)
    listing = planned("channel", "list", now="2026-11-25T10:05+01:00").out
    assert "Wed 25 Nov 10:00" in listing and "ok" in listing
    info = planned("channel", "list", "--json").json()[0]
    assert info["last_sent"].startswith("2026-11-25T")


def test_channel_list_shows_a_test_that_failed(planned: Runner) -> None:
    assert planned("channel", "add", f"json://127.0.0.1:{dead_port()}/x", "--name", "x").code == 0
    assert planned("channel", "test", "x").code == 1
    listing = planned("channel", "list").out
    assert "FAILING" in listing and "never" in listing
    info = planned("channel", "list", "--json").json()[0]
    assert info["failures"] == 1 and info["last_error"]
