"""The delivery engine over the in-memory store, with a clock the test moves and fake channels:
what is due, exactly once, catch-ups, clock steps, snooze, backoff."""

from __future__ import annotations

import datetime as _dt
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from rollminder.errors import InvalidInput, NotFound
from rollminder.model import Pause
from rollminder.remind import engine, planner
from rollminder.remind.channels import ChannelError
from rollminder.remind.records import ChannelConfig
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

TZ = ZoneInfo("Europe/Berlin")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


class Fake:
    """A channel that records what it was given, and fails while ``failing`` is true."""

    def __init__(self, cid: str, clock: Clock) -> None:
        self.id = cid
        self.name = cid
        self.kind = "fake"
        self.masked = f"fake://{cid}"
        self.clock = clock
        self.failing = False
        self.got: list[tuple[dt.datetime, str, str, str]] = []  # (when, slot, title, body)

    def send(self, title: str, body: str, *, slot: str = "") -> None:
        if self.failing:
            raise ChannelError("HTTP 500")
        self.got.append((self.clock(), slot, title, body))

    @property
    def config(self) -> ChannelConfig:
        return ChannelConfig(
            name=self.name,
            url=self.masked,
            masked=self.masked,
            kind="fake",
            id=self.id,
            created_at=T0,
        )


class World:
    def __init__(self) -> None:
        self.clock = Clock(at(2026, 11, 25, 10))
        self.app = Rollminder(MemoryStore(), self.clock)
        # Mon and Thu at 21:00 in Berlin; the next slot is Thu 26 Nov 21:00, its prep 20:45.
        self.app.set_plan(
            needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin"
        )
        self.channels = [Fake("a", self.clock)]

    def run(self, when: dt.datetime | None = None) -> engine.PassResult:
        if when is not None:
            self.clock.now = when
        by_id = {c.id: c for c in self.channels}
        return engine.run_pass(
            self.app, [c.config for c in self.channels], channel_for=lambda cfg: by_id[cfg.id]
        )

    def kinds(self, i: int = 0) -> list[str]:
        return [title for _, _, title, _ in self.channels[i].got]


@pytest.fixture
def w() -> World:
    return World()


def test_prep_then_session_each_once_at_their_instants(w: World) -> None:
    assert w.run().next_at == at(2026, 11, 26, 20, 45)
    w.run(at(2026, 11, 26, 20, 44, 59))
    assert w.channels[0].got == []
    w.run(at(2026, 11, 26, 20, 45))
    w.run(at(2026, 11, 26, 20, 50))
    result = w.run(at(2026, 11, 26, 21, 0))
    w.run(at(2026, 11, 26, 21, 1))
    w.run(at(2026, 11, 26, 23, 59))
    got = w.channels[0].got
    assert [g[0] for g in got] == [at(2026, 11, 26, 20, 45), at(2026, 11, 26, 21)]
    assert got[0][2] == "Session at 21:00: start soaking your roller"
    assert got[1][2].startswith("Time to roll: forehead, cheeks, chin, about 3 min")
    # The session reminder names the slot (its key, UTC) for the desktop's Done and Snooze; the
    # prep names none since issue 11 (no buttons before the slot opens).
    assert (got[0][1], got[1][1]) == ("", "2026-11-26T20:00Z")
    assert [s.reminder.kind for s in result.sent] == ["session"] and not result.sent[0].late
    rows = w.app.store.deliveries()
    assert {(d.kind, d.state) for d in rows} == {("prep", "recorded"), ("session", "recorded")}


def test_nothing_for_a_slot_done_or_skipped(w: World) -> None:
    w.clock.now = at(2026, 11, 26, 20, 30)
    w.app.log_session()  # rolled early: the 21:00 slot is done
    w.run(at(2026, 11, 26, 20, 45))
    w.run(at(2026, 11, 26, 21))
    assert w.channels[0].got == []
    w.clock.now = at(2026, 11, 30, 12)
    w.app.skip(reason="skin irritated")  # Monday's slot
    w.run(at(2026, 11, 30, 20, 45))
    w.run(at(2026, 11, 30, 21))
    assert w.channels[0].got == []


def test_nothing_during_a_pause_or_a_clinic_blackout(w: World) -> None:
    w.app.pause(dt.date(2026, 11, 26), dt.date(2026, 11, 27), "travel")
    for when in (at(2026, 11, 26, 20, 45), at(2026, 11, 26, 21), at(2026, 11, 27, 21)):
        w.run(when)
    assert w.channels[0].got == []
    w.clock.now = at(2026, 11, 28, 10)
    w.app.add_visit(at=at(2026, 12, 8, 10), clinic="Derm")  # blackout 1 Dec - 22 Dec
    for when in (
        at(2026, 11, 30, 21),
        at(2026, 12, 3, 21),
        at(2026, 12, 7, 21),
        at(2026, 12, 10, 21),
    ):
        w.run(when)
    kinds = w.kinds()
    # Only the visit's day-before reminder (the Monday 30 Nov slot is before the blackout).
    assert "Clinic visit tomorrow at Derm" in kinds
    assert all(not k.startswith("Time to roll") for k in kinds[1:])
    assert len([k for k in kinds if k.startswith("Time to roll")]) == 1  # Mon 30 Nov only


def test_nothing_during_a_hold_from_the_pre_session_check(w: World) -> None:
    """A retinoid on Wednesday 22:00 holds rolling for 48 h: Thursday's reminders never go out;
    the slot the schedule moves the session to (after the hold) is reminded once."""
    w.clock.now = at(2026, 11, 26, 9)
    outcome = w.app.run_check({"retinoid": True}, {"retinoid": at(2026, 11, 25, 22)})
    assert not outcome.ok and outcome.hold_until == at(2026, 11, 27, 22)
    for when in (at(2026, 11, 26, 20, 45), at(2026, 11, 26, 21), at(2026, 11, 27, 21)):
        w.run(when)
    assert w.channels[0].got == []
    assert outcome.next_slot is not None and outcome.next_slot.start >= at(2026, 11, 27, 22)
    lead = outcome.next_slot.start - dt.timedelta(minutes=15)
    w.run(lead)
    w.run(outcome.next_slot.start)
    w.run(outcome.next_slot.start + dt.timedelta(minutes=5))
    assert outcome.next_slot.start == at(2026, 11, 28, 21)  # Saturday's catch-up
    assert w.kinds() == [
        "Session at 21:00: start soaking your roller",
        "Time to roll: forehead, cheeks, chin, about 3 min",
    ]


def test_asleep_across_the_slot_gives_one_catch_up(w: World) -> None:
    w.run(at(2026, 11, 26, 20, 0))  # then the laptop sleeps until 22:40
    result = w.run(at(2026, 11, 26, 22, 40))
    for minute in range(41, 60):
        w.run(at(2026, 11, 26, 22, minute))
    got = w.channels[0].got
    assert len(got) == 1  # no stale prep, no flood
    assert got[0][2] == "Catch-up: your session is still open"
    assert "21:00" in got[0][3]
    assert result.sent[0].late
    # The next day the slot is closed: nothing more.
    w.run(at(2026, 11, 27, 9))
    assert len(w.channels[0].got) == 1


def test_off_for_three_weeks_gives_one_catch_up_for_the_open_slot_only(w: World) -> None:
    w.run(at(2026, 11, 26, 12))
    # Off from Thu 26 Nov noon until Thu 17 Dec 22:00: six slots passed meanwhile.
    w.run(at(2026, 12, 17, 22))
    w.run(at(2026, 12, 17, 22, 5))
    got = w.channels[0].got
    assert len(got) == 1 and got[0][2] == "Catch-up: your session is still open"
    assert got[0][1] == planner.slot_key(at(2026, 12, 17, 21))


def test_clock_stepped_back_repeats_nothing(w: World) -> None:
    w.run(at(2026, 11, 26, 20, 45))
    w.run(at(2026, 11, 26, 21, 0))
    w.run(at(2026, 11, 26, 21, 10))
    assert len(w.channels[0].got) == 2
    for when in (at(2026, 11, 26, 20, 10), at(2026, 11, 26, 20, 45), at(2026, 11, 26, 21, 0)):
        w.run(when)  # the clock was stepped back an hour and runs forward again
    assert len(w.channels[0].got) == 2


@pytest.mark.parametrize(
    "walk",
    [
        # Asleep through the prep; the session at 21:00; NTP steps back an hour, then on again.
        ("20:00", "21:00", "20:10", "20:45", "21:00", "21:10"),
        # Prep and session on time; back an hour after the session; forward past the slot.
        ("20:45", "21:00", "21:05", "20:05", "20:46", "21:01", "22:30"),
        # Asleep across the slot (one catch-up); back across the slot and forward again.
        ("20:00", "22:40", "21:40", "20:44", "20:45", "20:59", "21:00", "22:45"),
        # Prep on time, then a catch-up; back to the prep's window; forward again.
        ("20:45", "22:40", "20:50", "21:00", "22:41"),
    ],
)
def test_a_clock_stepped_back_and_forth_across_the_slot_repeats_nothing(
    w: World, walk: tuple[str, ...]
) -> None:
    """Issue 18, item 10: at most one prep, then one session reminder (or its catch-up), and
    never an earlier reminder of a slot after a later one, however the clock is stepped."""
    for hhmm in walk:
        hh, mm = map(int, hhmm.split(":"))
        w.run(at(2026, 11, 26, hh, mm))
    kinds = ["prep" if t.startswith("Session at") else "session" for t in w.kinds()]
    assert kinds in (["prep", "session"], ["session"])
    assert len({g[1] for g in w.channels[0].got} - {""}) == 1  # one slot (a prep has no buttons)


def test_a_clock_step_never_revives_an_earlier_reminder_on_any_channel(w: World) -> None:
    """The order is kept per channel: a channel added after the session reminder (it has
    sent nothing of this slot) still gets what is due for it."""
    w.run(at(2026, 11, 26, 20, 0))
    w.run(at(2026, 11, 26, 21, 0))  # slept through the prep: the session only
    w.channels.append(Fake("b", w.clock))
    w.run(at(2026, 11, 26, 20, 50))  # stepped back: b has sent nothing of this slot
    w.run(at(2026, 11, 26, 21, 0))
    assert w.kinds(0) == ["Time to roll: forehead, cheeks, chin, about 3 min"]
    assert [t[:10] for t in w.kinds(1)] == ["Session at", "Time to ro"]


def test_a_new_zone_recomputes_the_slot(w: World) -> None:
    w.run(at(2026, 11, 26, 20, 45))  # prep for 21:00 Berlin
    w.app.set_plan(tz="Europe/London")  # 21:00 London is 22:00 Berlin
    assert w.run(at(2026, 11, 26, 21, 0)).sent == []
    w.run(at(2026, 11, 26, 21, 45))
    w.run(at(2026, 11, 26, 22, 0))
    titles = w.kinds()
    assert titles[0].startswith("Session at 21:00") and titles[1].startswith("Session at 21:00")
    assert titles[2].startswith("Time to roll")
    assert w.channels[0].got[2][0] == at(2026, 11, 26, 22)


def test_a_failing_channel_backs_off_and_does_not_hold_back_the_other(w: World) -> None:
    w.channels.append(Fake("b", w.clock))
    w.channels[1].failing = True
    first = w.run(at(2026, 11, 26, 21, 0))  # no prep before: clock starts at the slot
    assert [s.channel for s in first.sent] == ["a"]
    assert first.failed == [("b", "HTTP 500")]
    status = w.app.store.channel_statuses()["b"]
    assert status.failures == 1 and status.retry_at == at(2026, 11, 26, 21, 0, 30)
    assert first.next_at == status.retry_at
    w.run(at(2026, 11, 26, 21, 0, 10))  # backing off: not even tried
    assert w.app.store.channel_statuses()["b"].failures == 1
    w.run(at(2026, 11, 26, 21, 0, 31))
    assert w.app.store.channel_statuses()["b"].retry_at == at(2026, 11, 26, 21, 1, 31)  # 60 s
    w.channels[1].failing = False
    w.run(at(2026, 11, 26, 21, 1, 31))
    w.run(at(2026, 11, 26, 21, 5))
    assert len(w.channels[0].got) == 1 and len(w.channels[1].got) == 1
    assert w.channels[1].got[0][0] == at(2026, 11, 26, 21, 1, 31)
    healthy = w.app.store.channel_statuses()["b"]
    assert healthy.failures == 0 and healthy.retry_at is None and healthy.last_error == "HTTP 500"


def test_backoff_doubles_up_to_its_cap() -> None:
    steps = [engine.backoff(n).total_seconds() for n in range(1, 10)]
    assert steps[:4] == [30, 60, 120, 240]
    assert max(steps) == engine.BACKOFF_MAX.total_seconds() == steps[-1]


def test_snooze_moves_the_open_slot_once_more(w: World) -> None:
    with pytest.raises(NotFound):
        engine.snooze(w.app)  # nothing open on Wednesday morning
    w.run(at(2026, 11, 26, 21, 0))
    z = engine.snooze(w.app)
    assert z.until == at(2026, 11, 26, 21, 30) and z.n == 1
    w.run(at(2026, 11, 26, 21, 29))
    w.run(at(2026, 11, 26, 21, 30))
    w.run(at(2026, 11, 26, 21, 31))
    assert [t[:7] for t in w.kinds()] == ["Time to", "Snoozed"]
    w.clock.now = at(2026, 11, 26, 21, 40)
    engine.snooze(w.app, 10)
    engine.snooze(w.app, 20)  # moves the pending one: still one more reminder
    w.run(at(2026, 11, 26, 21, 50))
    w.run(at(2026, 11, 26, 22, 0))
    w.run(at(2026, 11, 26, 22, 5))
    assert len(w.kinds()) == 3 and w.channels[0].got[2][0] == at(2026, 11, 26, 22)
    with pytest.raises(InvalidInput, match="midnight"):
        engine.snooze(w.app, 180)
    for bad in (0, -5, 13 * 60, float("nan")):
        with pytest.raises(InvalidInput):
            engine.snooze(w.app, bad)


def test_roller_visit_and_booking_reminders(w: World) -> None:
    w.app.set_settings(roller_max_uses=1)
    w.clock.now = at(2026, 11, 20, 10)
    w.app.add_roller(label="face roller")
    w.clock.now = at(2026, 11, 23, 21)
    w.app.log_session()  # the roller's one use: replace it
    series = w.app.add_series(name="Microneedling", count=4, spacing_weeks=5)
    w.app.add_visit(at=at(2026, 11, 1, 9), series_ref=series.id[:6])  # book the next: 29 Nov -
    w.run(at(2026, 11, 26, 20, 45))
    titles = w.kinds()
    assert "Time to replace your roller" in titles
    w.run(at(2026, 11, 29, 21, 0))
    assert "Book your next visit: Microneedling" in w.kinds()
    before = len(w.kinds())
    for when in (at(2026, 11, 30, 21, 1), at(2026, 12, 1, 21, 1), at(2026, 12, 3, 21, 1)):
        w.run(when)
    extra = w.kinds()[before:]
    assert "Time to replace your roller" not in extra and not any("Book" in t for t in extra)


def test_prep_lead_is_a_setting_and_zero_turns_it_off(w: World) -> None:
    w.app.set_settings(prep_minutes=0)
    w.run(at(2026, 11, 26, 20, 45))
    w.run(at(2026, 11, 26, 21))
    assert [t[:12] for t in w.kinds()] == ["Time to roll"]
    with pytest.raises(InvalidInput):
        w.app.set_settings(prep_minutes=500)


def test_no_channel_is_reported_as_unreachable(w: World) -> None:
    w.channels = []
    assert w.run(at(2026, 11, 26, 21)).unreachable


def test_paused_today_holds_visit_reminders(w: World) -> None:
    w.app.add_visit(at=at(2026, 11, 28, 9))
    w.app.store.put_pause(
        Pause(first=dt.date(2026, 11, 27), last=dt.date(2026, 11, 27), created_at=T0)
    )
    w.run(at(2026, 11, 27, 21))
    assert w.kinds() == []


# ----------------------------------------------------------------------------- action links

SECRET = "Zq8xT3mN0pLk5vW2cR7yB4dF"  # an action token as the web app makes them


class Linked:
    """The web app's ``links``: counts its calls, like ``web.app.action_links``."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, app: Rollminder) -> dict[str, str]:
        self.calls += 1
        return {
            "Done": f"http://127.0.0.1:8765/act/{SECRET}/done",
            "Snooze 30 min": f"http://127.0.0.1:8765/act/{SECRET}/snooze",
        }


def run_linked(w: World, when: dt.datetime, links: Linked) -> engine.PassResult:
    w.clock.now = when
    by_id = {c.id: c for c in w.channels}
    return engine.run_pass(
        w.app, [c.config for c in w.channels], channel_for=lambda cfg: by_id[cfg.id], links=links
    )


def test_session_and_snooze_reminders_carry_the_links_prep_does_not(w: World) -> None:
    links = Linked()
    run_linked(w, at(2026, 11, 26, 20, 45), links)
    assert links.calls == 0  # a prep reminder only: the links are not even made
    run_linked(w, at(2026, 11, 26, 21), links)
    engine.snooze(w.app, 10)
    run_linked(w, at(2026, 11, 26, 21, 10), links)
    (prep, session, snoozed) = (body for _, _, _, body in w.channels[0].got)
    assert "/act/" not in prep
    for body in (session, snoozed):
        assert body.endswith(
            f"\n\nDone: http://127.0.0.1:8765/act/{SECRET}/done"
            f"\nSnooze 30 min: http://127.0.0.1:8765/act/{SECRET}/snooze"
        )
    assert links.calls == 2


def test_without_links_the_body_is_unchanged(w: World) -> None:
    w.run(at(2026, 11, 26, 21))
    ((_, _, _, body),) = w.channels[0].got
    assert body == planner._aftercare()


def test_the_desktop_gets_no_links_it_has_buttons(w: World) -> None:
    desktop = Fake("desktop", w.clock)
    desktop.kind = "desktop"
    w.channels = [desktop]
    by_id = {desktop.id: desktop}
    config = ChannelConfig(
        name="desktop",
        url="desktop://",
        masked="desktop://",
        kind="desktop",
        id="desktop",
        created_at=T0,
    )
    w.clock.now = at(2026, 11, 26, 21)
    engine.run_pass(w.app, [config], channel_for=lambda cfg: by_id[cfg.id], links=Linked())
    ((_, _, _, body),) = desktop.got
    assert "/act/" not in body


def test_a_failed_send_never_shows_the_token(w: World) -> None:
    class Echo(Fake):
        def send(self, title: str, body: str, *, slot: str = "") -> None:
            raise ChannelError(f"refused: {body}")  # a service that quotes the message back

    w.channels = [Echo("a", w.clock)]
    result = run_linked(w, at(2026, 11, 26, 21), Linked())
    ((_, error),) = result.failed
    assert "refused" in error and SECRET not in error
    status = w.app.store.channel_statuses()["a"]
    assert status.last_error and SECRET not in status.last_error


def test_links_that_fail_leave_the_reminder_without_them(w: World) -> None:
    def broken(app: Rollminder) -> dict[str, str]:
        raise RuntimeError("no token")

    w.clock.now = at(2026, 11, 26, 21)
    by_id = {c.id: c for c in w.channels}
    result = engine.run_pass(
        w.app, [c.config for c in w.channels], channel_for=lambda cfg: by_id[cfg.id], links=broken
    )
    assert [s.reminder.kind for s in result.sent] == ["session"]
    assert "/act/" not in w.channels[0].got[0][3]
