"""The photo reminder (issue 17): 4 weeks after the last photo, never on a rolling day or the
day after, once, through the same channels and ledger as the session reminders."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from rollminder.remind import planner
from tests.test_photos import gps_jpeg
from tests.test_remind_engine import World, at

BERLIN = ZoneInfo("Europe/Berlin")


def _photo_days(w: World) -> list[dt.datetime]:
    return [when for when, _, title, _ in w.channels[0].got if "progress photos" in title]


def test_no_photo_reminder_before_the_first_photo() -> None:
    w = World()
    assert [r for r in w.app.photo_reminders(w.clock()) if r.kind == planner.PHOTO] == []


def test_the_photo_reminder_comes_once_four_weeks_on_and_not_on_a_rolling_day() -> None:
    w = World()
    w.app.add_photo(gps_jpeg(), angle="front")  # Wed 25 Nov 2026
    (reminder,) = w.app.photo_reminders(w.clock())
    # 4 weeks on is Wed 23 Dec; the plan rolls Mon and Thu, so Wed is fine (not a day after).
    assert reminder.kind == planner.PHOTO
    assert reminder.at.astimezone(BERLIN) == at(2026, 12, 23, 21)
    for day in range(25, 31):
        w.run(at(2026, 11, day, 22))
    assert _photo_days(w) == []
    w.run(at(2026, 12, 23, 21, 1))
    w.run(at(2026, 12, 23, 22))
    w.run(at(2026, 12, 24, 10))
    assert len(_photo_days(w)) == 1
    keys = {d.slot for d in w.app.store.deliveries() if d.kind == planner.PHOTO}
    assert len(keys) == 1


def test_a_session_that_day_moves_the_photo_past_it_and_the_day_after() -> None:
    w = World()
    w.app.add_photo(gps_jpeg(), angle="front")
    w.clock.now = at(2026, 12, 23, 9)
    w.app.log_session(at=at(2026, 12, 23, 8), minutes=3)  # rolled on the photo's day
    (reminder,) = w.app.photo_reminders(w.clock())
    day = reminder.at.astimezone(BERLIN).date()
    assert day > dt.date(2026, 12, 24)
