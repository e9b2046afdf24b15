"""Reading WHEN, DATE and durations: every form, DST gaps and overlaps, and fuzzing."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollminder.errors import InvalidInput
from rollminder.timeparse import parse_date, parse_duration, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC

# Thursday 26 November 2026, 20:00 in Berlin.
NOW = dt.datetime(2026, 11, 26, 20, 0, tzinfo=BERLIN)
TODAY = NOW.date()


def b(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=BERLIN)


def when(text: str, **kw: object) -> dt.datetime:
    kw.setdefault("now", NOW)
    kw.setdefault("tz", BERLIN)
    return parse_when(text, **kw)  # type: ignore[arg-type]


def same(got: dt.datetime, want: dt.datetime) -> None:
    """Same instant, same zone, same offset (so the wall time is what we expect)."""
    assert got == want
    assert got.tzinfo is want.tzinfo
    assert got.utcoffset() == want.utcoffset()
    assert got.replace(tzinfo=None) == want.replace(tzinfo=None)


# ---------------------------------------------------------------- parse_when: explicit forms


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("now", NOW),
        ("NOW", NOW),
        ("  now ", NOW),
        ("2026-11-26T21:05", b(2026, 11, 26, 21, 5)),
        ("2026-11-26 21:05", b(2026, 11, 26, 21, 5)),
        ("2026-11-26t21:05", b(2026, 11, 26, 21, 5)),
        ("2026-11-26T21:05:30", b(2026, 11, 26, 21, 5, 30)),
        ("2026-11-26 21:05:30.250", b(2026, 11, 26, 21, 5, 30).replace(microsecond=250_000)),
        ("2026-11-26T21:05Z", b(2026, 11, 26, 22, 5)),
        ("2026-11-26T21:05:00+00:00", b(2026, 11, 26, 22, 5)),
        ("2026-11-26T21:05-05:00", b(2026, 11, 27, 3, 5)),
        ("2026-11-26T21:05+0530", b(2026, 11, 26, 16, 35)),
        ("2026-11-26T21:05 UTC", b(2026, 11, 26, 22, 5)),
        ("today 21:00", b(2026, 11, 26, 21, 0)),
        ("today at 7am", b(2026, 11, 26, 7, 0)),
        ("yesterday 21:00", b(2026, 11, 25, 21, 0)),
        ("Yesterday, 9:15 pm", b(2026, 11, 25, 21, 15)),
        ("tomorrow 08:30", b(2026, 11, 27, 8, 30)),
        ("21:00 tomorrow", b(2026, 11, 27, 21, 0)),
        ("9pm on friday", b(2026, 11, 20, 21, 0)),
        ("mon 21:05", b(2026, 11, 23, 21, 5)),
        ("Monday 9pm", b(2026, 11, 23, 21, 0)),
        ("tues. 10:00", b(2026, 11, 24, 10, 0)),
        ("last thu 21:00", b(2026, 11, 19, 21, 0)),
        ("last fri 21:00", b(2026, 11, 20, 21, 0)),
        ("next mon", b(2026, 11, 30, 0, 0)),
        ("next thu 07:00", b(2026, 12, 3, 7, 0)),
        ("21:05", b(2026, 11, 26, 21, 5)),
        ("9pm", b(2026, 11, 26, 21, 0)),
        ("9 PM", b(2026, 11, 26, 21, 0)),
        ("9:30 am", b(2026, 11, 26, 9, 30)),
        ("9:30 a.m.", b(2026, 11, 26, 9, 30)),
        ("12am", b(2026, 11, 26, 0, 0)),
        ("12pm", b(2026, 11, 26, 12, 0)),
        ("noon", b(2026, 11, 26, 12, 0)),
        ("midnight", b(2026, 11, 26, 0, 0)),
        ("at 06:45", b(2026, 11, 26, 6, 45)),
        ("2h ago", b(2026, 11, 26, 18, 0)),
        ("30 min ago", b(2026, 11, 26, 19, 30)),
        ("1h30m ago", b(2026, 11, 26, 18, 30)),
        ("an hour ago", b(2026, 11, 26, 19, 0)),
        ("in 2 days", b(2026, 11, 28, 20, 0)),
        ("in 45 minutes", b(2026, 11, 26, 20, 45)),
        ("+45m", b(2026, 11, 26, 20, 45)),
        ("-1d", b(2026, 11, 25, 20, 0)),
        ("1 week ago", b(2026, 11, 19, 20, 0)),
        ("2026-12-16", b(2026, 12, 16, 0, 0)),
        ("16 dec 2026 21:00", b(2026, 12, 16, 21, 0)),
        ("dec 16 2026 9pm", b(2026, 12, 16, 21, 0)),
        ("wed, 16 dec 2026 at 10:00", b(2026, 12, 16, 10, 0)),
        ("16 nov 21:00", b(2026, 11, 16, 21, 0)),
        ("3 days ago 21:00", b(2026, 11, 23, 21, 0)),
        ("16.11.2026 21:00", b(2026, 11, 16, 21, 0)),
    ],
)
def test_when_forms(text: str, want: dt.datetime) -> None:
    same(when(text), want)


def test_when_is_always_in_the_plan_zone() -> None:
    got = when("2026-11-26T12:00+09:00", tz=NEW_YORK)
    assert got.tzinfo is NEW_YORK
    assert got == dt.datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def test_now_in_another_zone_is_converted() -> None:
    now_utc = NOW.astimezone(UTC)
    same(parse_when("now", now=now_utc, tz=BERLIN), NOW)
    same(parse_when("today 21:00", now=now_utc, tz=BERLIN), b(2026, 11, 26, 21))


def test_today_follows_the_plan_zone_not_utc() -> None:
    # 23:30 UTC on the 26th is already the 27th in Berlin.
    late = dt.datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    same(parse_when("today 08:00", now=late, tz=BERLIN), b(2026, 11, 27, 8))
    same(
        parse_when("today 08:00", now=late, tz=NEW_YORK),
        late.astimezone(NEW_YORK).replace(hour=8, minute=0),
    )


# ---------------------------------------------------------------- which day: prefer


@pytest.mark.parametrize(
    ("text", "prefer", "want"),
    [
        # Today is Thursday, 20:00.
        ("thu 19:00", "past", b(2026, 11, 26, 19)),  # earlier today: today
        ("thu 20:00", "past", b(2026, 11, 26, 20)),  # exactly now: today
        ("thu 21:00", "past", b(2026, 11, 19, 21)),  # later today: a week ago
        ("thu 21:00", "future", b(2026, 11, 26, 21)),  # later today: today
        ("thu 20:00", "future", b(2026, 12, 3, 20)),  # exactly now is not ahead
        ("thu 19:00", "future", b(2026, 12, 3, 19)),
        ("thu", "past", b(2026, 11, 26)),  # 00:00 today is past
        ("thu", "future", b(2026, 12, 3)),
        ("fri 9pm", "past", b(2026, 11, 20, 21)),
        ("fri 9pm", "future", b(2026, 11, 27, 21)),
        ("wed 9pm", "past", b(2026, 11, 25, 21)),
        ("wed 9pm", "future", b(2026, 12, 2, 21)),
        ("last thu 19:00", "future", b(2026, 11, 19, 19)),  # last/next ignore prefer
        ("next thu 21:00", "past", b(2026, 12, 3, 21)),
        ("this thu 21:00", "past", b(2026, 11, 19, 21)),  # "this" is the bare weekday
        ("16 nov 21:00", "future", b(2027, 11, 16, 21)),
        ("26 nov 21:00", "past", b(2025, 11, 26, 21)),  # later today: a year ago
        ("26 nov 19:00", "past", b(2026, 11, 26, 19)),
        ("26 nov 21:00", "future", b(2026, 11, 26, 21)),
    ],
)
def test_prefer(text: str, prefer: str, want: dt.datetime) -> None:
    same(when(text, prefer=prefer), want)


def test_a_day_alone_takes_the_default_time() -> None:
    same(when("yesterday", default_time=dt.time(21, 0)), b(2026, 11, 25, 21))
    same(when("2026-12-16", default_time=dt.time(9, 30)), b(2026, 12, 16, 9, 30))
    same(when("yesterday"), b(2026, 11, 25, 0, 0))
    # The default time counts for "not in the future" as well.
    same(when("thu", default_time=dt.time(21, 0)), b(2026, 11, 19, 21))
    same(when("thu", default_time=dt.time(19, 0)), b(2026, 11, 26, 19))
    # An explicit time wins over the default.
    same(when("yesterday 08:00", default_time=dt.time(21, 0)), b(2026, 11, 25, 8))


# ---------------------------------------------------------------- DST


@pytest.mark.parametrize(
    ("text", "tz", "want_wall", "want_offset_h"),
    [
        # Berlin springs forward 2026-03-29 02:00 -> 03:00: 02:30 does not exist.
        ("2026-03-29 02:30", BERLIN, dt.datetime(2026, 3, 29, 3, 30), 2),
        ("2026-03-29 02:00", BERLIN, dt.datetime(2026, 3, 29, 3, 0), 2),
        ("2026-03-29 01:59", BERLIN, dt.datetime(2026, 3, 29, 1, 59), 1),
        ("2026-03-29 03:00", BERLIN, dt.datetime(2026, 3, 29, 3, 0), 2),
        # Berlin falls back 2026-10-25 03:00 -> 02:00: 02:30 happens twice; the first counts.
        ("2026-10-25 02:30", BERLIN, dt.datetime(2026, 10, 25, 2, 30), 2),
        ("2026-10-25 03:00", BERLIN, dt.datetime(2026, 10, 25, 3, 0), 1),
        # New York springs forward 2026-03-08 02:00 -> 03:00.
        ("2026-03-08 02:30", NEW_YORK, dt.datetime(2026, 3, 8, 3, 30), -4),
        ("2026-03-08 01:30", NEW_YORK, dt.datetime(2026, 3, 8, 1, 30), -5),
        # New York falls back 2026-11-01 02:00 -> 01:00: 01:30 happens twice.
        ("2026-11-01 01:30", NEW_YORK, dt.datetime(2026, 11, 1, 1, 30), -4),
        ("2026-11-01 02:00", NEW_YORK, dt.datetime(2026, 11, 1, 2, 0), -5),
        # Explicit offsets pick either occurrence.
        ("2026-11-01 01:30-05:00", NEW_YORK, dt.datetime(2026, 11, 1, 1, 30), -5),
        ("2026-10-25T02:30+01:00", BERLIN, dt.datetime(2026, 10, 25, 2, 30), 1),
    ],
)
def test_dst_iso(text: str, tz: ZoneInfo, want_wall: dt.datetime, want_offset_h: int) -> None:
    got = parse_when(text, now=dt.datetime(2026, 12, 1, tzinfo=UTC), tz=tz)
    assert got.tzinfo is tz
    assert got.replace(tzinfo=None) == want_wall
    assert got.utcoffset() == dt.timedelta(hours=want_offset_h)
    # The second occurrence (only reachable with an explicit offset) has fold=1.
    second = text in ("2026-11-01 01:30-05:00", "2026-10-25T02:30+01:00")
    assert got.fold == (1 if second else 0)


def test_dst_gap_with_weekday_and_yesterday() -> None:
    monday = dt.datetime(2026, 3, 30, 12, 0, tzinfo=BERLIN)
    for text in ("yesterday 02:30", "sun 02:30", "last sun 2:30am", "29 mar 02:30"):
        got = parse_when(text, now=monday, tz=BERLIN)
        assert got.replace(tzinfo=None) == dt.datetime(2026, 3, 29, 3, 30), text
        assert got.utcoffset() == dt.timedelta(hours=2)
    ny_monday = dt.datetime(2026, 3, 9, 12, 0, tzinfo=NEW_YORK)
    got = parse_when("yesterday 2:15am", now=ny_monday, tz=NEW_YORK)
    assert got.replace(tzinfo=None) == dt.datetime(2026, 3, 8, 3, 15)


def test_dst_overlap_with_day_words() -> None:
    monday = dt.datetime(2026, 11, 2, 12, 0, tzinfo=NEW_YORK)
    got = parse_when("yesterday 1:30am", now=monday, tz=NEW_YORK)
    # EDT, the first 01:30. (Compare in UTC: Python never calls an ambiguous local time equal
    # to an instant in another zone.)
    assert got.astimezone(UTC) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert got.utcoffset() == dt.timedelta(hours=-4)


def test_relative_days_keep_the_wall_time_across_dst_but_hours_do_not() -> None:
    saturday = dt.datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)
    same(parse_when("in 1 day", now=saturday, tz=BERLIN), b(2026, 3, 29, 12))
    same(parse_when("in 24h", now=saturday, tz=BERLIN), b(2026, 3, 29, 13))
    sunday = b(2026, 3, 29, 12)
    same(parse_when("1 day ago", now=sunday, tz=BERLIN), b(2026, 3, 28, 12))
    same(parse_when("24 hours ago", now=sunday, tz=BERLIN), b(2026, 3, 28, 11))
    # A day back lands in the gap: forward by the gap.
    at_0230_monday = b(2026, 3, 30, 2, 30)
    same(parse_when("1 day ago", now=at_0230_monday, tz=BERLIN), b(2026, 3, 29, 3, 30))
    # Hours across the fall-back overlap are elapsed hours.
    before = dt.datetime(2026, 11, 1, 0, 30, tzinfo=NEW_YORK)  # EDT
    got = parse_when("in 2h", now=before, tz=NEW_YORK)
    assert got.astimezone(UTC) - before.astimezone(UTC) == dt.timedelta(hours=2)
    assert got.replace(tzinfo=None) == dt.datetime(2026, 11, 1, 1, 30)
    assert got.utcoffset() == dt.timedelta(hours=-5)  # the second 01:30


def test_relative_keeps_seconds_of_now() -> None:
    now = b(2026, 11, 26, 20, 0, 42).replace(microsecond=5)
    assert parse_when("2 days ago", now=now, tz=BERLIN) == now - dt.timedelta(days=2)
    assert parse_when("90 min ago", now=now, tz=BERLIN) == now - dt.timedelta(minutes=90)


# ---------------------------------------------------------------- parse_when: refusals


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("blah", "Could not read 'blah' as a date and time: try 2026-11-26T21:05"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("x" * 101, "too long"),
        ("mon\x0021:00", "control characters"),
        ("mon\x1b[31m", "control characters"),
        ("mon\x85 9pm", "control characters"),
        ("25:00", "not a time of day"),
        ("21:60", "not a time of day"),
        ("13pm", "hours are 1 to 12"),
        ("0am", "hours are 1 to 12"),
        ("2026-02-30 10:00", "2026-02-30 is not a valid date"),
        ("2026-11-26T24:00", "no such time of day"),
        ("2026-11-26T21:05+25:00", "not a UTC offset"),
        ("1969-12-31 23:00", "Years must be between 1970 and 2200"),
        ("2201-01-01 00:00", "Years must be between 1970 and 2200"),
        ("in 999999 weeks", "Years must be between 1970 and 2200"),
        ("999999 days ago", "Years must be between 1970 and 2200"),
        ("in 9999 weeks 999999 hours", "Years must be between 1970 and 2200"),
        ("16 dec 1800 10:00", "Years must be between 1970 and 2200"),
        ("tue 16 dec 2026 10:00", "16 Dec 2026 is a Wednesday, not a Tuesday"),
        ("05/06/2026 10:00", "ambiguous"),
        ("31 feb 10:00", "no day 31 in Feb"),
        ("mon 21", "Could not read"),
        ("21", "Could not read"),
        ("in 2 months", "Could not read"),
        ("next", "Could not read"),
        ("last", "Could not read"),
        ("in", "Could not read"),
        ("ago", "Could not read"),
        ("-", "Could not read"),
        ("+", "Could not read"),
        ("١٢:٣٠", "Could not read"),  # non-ASCII digits are not read as digits
    ],
)
def test_when_refusals(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        when(text)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_when_rejects_non_text_cleanly() -> None:
    with pytest.raises(InvalidInput, match="Expected text"):
        when(None)  # type: ignore[arg-type]


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("now", now=dt.datetime(2026, 1, 1), tz=BERLIN)
    with pytest.raises(ValueError, match="prefer"):
        parse_when("now", now=NOW, tz=BERLIN, prefer="soon")  # type: ignore[arg-type]


# ---------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("text", "past", "future"),
    [
        ("2026-12-16", dt.date(2026, 12, 16), dt.date(2026, 12, 16)),
        ("2026/12/16", dt.date(2026, 12, 16), dt.date(2026, 12, 16)),
        ("today", TODAY, TODAY),
        ("yesterday", dt.date(2026, 11, 25), dt.date(2026, 11, 25)),
        ("tomorrow", dt.date(2026, 11, 27), dt.date(2026, 11, 27)),
        ("thu", TODAY, TODAY),  # today counts both ways for a day
        ("thursday", TODAY, TODAY),
        ("mon", dt.date(2026, 11, 23), dt.date(2026, 11, 30)),
        ("sun", dt.date(2026, 11, 22), dt.date(2026, 11, 29)),
        ("fri", dt.date(2026, 11, 20), dt.date(2026, 11, 27)),
        ("last thu", dt.date(2026, 11, 19), dt.date(2026, 11, 19)),
        ("next thu", dt.date(2026, 12, 3), dt.date(2026, 12, 3)),
        ("last fri", dt.date(2026, 11, 20), dt.date(2026, 11, 20)),
        ("next wed", dt.date(2026, 12, 2), dt.date(2026, 12, 2)),
        ("+3d", dt.date(2026, 11, 29), dt.date(2026, 11, 29)),
        ("-3d", dt.date(2026, 11, 23), dt.date(2026, 11, 23)),
        ("+ 2 weeks", dt.date(2026, 12, 10), dt.date(2026, 12, 10)),
        ("in 3 days", dt.date(2026, 11, 29), dt.date(2026, 11, 29)),
        ("in 1 week", dt.date(2026, 12, 3), dt.date(2026, 12, 3)),
        ("3 days ago", dt.date(2026, 11, 23), dt.date(2026, 11, 23)),
        ("2w ago", dt.date(2026, 11, 12), dt.date(2026, 11, 12)),
        ("16 dec", dt.date(2025, 12, 16), dt.date(2026, 12, 16)),
        ("dec 16", dt.date(2025, 12, 16), dt.date(2026, 12, 16)),
        ("16 nov", dt.date(2026, 11, 16), dt.date(2027, 11, 16)),
        ("26 nov", TODAY, TODAY),
        ("16 December 2026", dt.date(2026, 12, 16), dt.date(2026, 12, 16)),
        ("December 16, 2026", dt.date(2026, 12, 16), dt.date(2026, 12, 16)),
        ("16th of December, 2026", dt.date(2026, 12, 16), dt.date(2026, 12, 16)),
        ("1st jan 2027", dt.date(2027, 1, 1), dt.date(2027, 1, 1)),
        ("16-dec-2026", dt.date(2026, 12, 16), dt.date(2026, 12, 16)),
        ("16. Dez.".replace("Dez", "Dec"), dt.date(2025, 12, 16), dt.date(2026, 12, 16)),
        ("sept 3", dt.date(2026, 9, 3), dt.date(2027, 9, 3)),
        ("Wed, 16 Dec 2026", dt.date(2026, 12, 16), dt.date(2026, 12, 16)),
        ("16.12.2026", dt.date(2026, 12, 16), dt.date(2026, 12, 16)),
        ("16.12.", dt.date(2025, 12, 16), dt.date(2026, 12, 16)),
        ("12/16/2026", dt.date(2026, 12, 16), dt.date(2026, 12, 16)),
        ("16/12/2026", dt.date(2026, 12, 16), dt.date(2026, 12, 16)),
        ("16/12", dt.date(2025, 12, 16), dt.date(2026, 12, 16)),
        ("7/7/2026", dt.date(2026, 7, 7), dt.date(2026, 7, 7)),
        ("29 feb", dt.date(2024, 2, 29), dt.date(2028, 2, 29)),
    ],
)
def test_date_forms(text: str, past: dt.date, future: dt.date) -> None:
    assert parse_date(text, today=TODAY, prefer="past") == past
    assert parse_date(text, today=TODAY, prefer="future") == future


def test_weekday_with_day_and_month_must_agree_with_the_chosen_year() -> None:
    assert parse_date("tue 16 dec", today=TODAY, prefer="past") == dt.date(2025, 12, 16)
    assert parse_date("wed 16 dec", today=TODAY, prefer="future") == dt.date(2026, 12, 16)
    with pytest.raises(InvalidInput, match="16 Dec 2026 is a Wednesday, not a Tuesday"):
        parse_date("tue 16 dec", today=TODAY, prefer="future")


def test_date_default_prefers_the_past() -> None:
    assert parse_date("mon", today=TODAY) == dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("blah", "Could not read 'blah' as a date: try 2026-12-16"),
        ("", "is empty"),
        ("z" * 101, "too long"),
        ("mon\x00", "control characters"),
        ("2026-02-30", "not a valid date"),
        ("2026-13-01", "not a valid date"),
        ("2026-1-5", "Could not read"),
        ("1969-12-31", "Years must be between 1970 and 2200"),
        ("2201-01-01", "Years must be between 1970 and 2200"),
        ("16 dec 1900", "Years must be between 1970 and 2200"),
        ("in 99999 weeks", "Years must be between 1970 and 2200"),
        ("31 feb", "no day 31 in Feb"),
        ("31 apr 2026", "no day 31 in Apr"),
        ("30.02.", "not a valid day and month"),
        ("05/06/2026", "ambiguous"),
        ("05/06", "ambiguous"),
        ("13/13/2026", "Could not read"),
        ("13/13", "Could not read"),
        ("12/12/2026x", "Could not read"),
        ("0/5", "Could not read"),
        ("tue 16 dec 2026", "is a Wednesday, not a Tuesday"),
        ("wed 16 dec", "16 Dec 2025 is a Tuesday, not a Wednesday"),
        ("in 3 hours", "Could not read"),  # a date has no hours
        ("2026-12-16 10:00", "Could not read"),  # an instant is not a date
        ("16 smarch", "Could not read"),
        ("funday", "Could not read"),
        ("last", "Could not read"),
        ("next monthday", "Could not read"),
    ],
)
def test_date_refusals(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_date(text, today=TODAY)
    assert fragment in str(info.value)


def test_date_near_the_year_limits() -> None:
    assert parse_date("16 dec", today=dt.date(1970, 12, 20)) == dt.date(1970, 12, 16)
    with pytest.raises(InvalidInput, match="1970 and 2200"):
        parse_date("16 dec", today=dt.date(1970, 12, 10))
    with pytest.raises(InvalidInput, match="1970 and 2200"):
        parse_date("16 dec", today=dt.date(2200, 12, 20), prefer="future")


# ---------------------------------------------------------------- parse_duration


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("30m", dt.timedelta(minutes=30)),
        ("30 min", dt.timedelta(minutes=30)),
        ("30 minutes", dt.timedelta(minutes=30)),
        ("1h", dt.timedelta(hours=1)),
        ("1 hour", dt.timedelta(hours=1)),
        ("1h30m", dt.timedelta(minutes=90)),
        ("1h 30m", dt.timedelta(minutes=90)),
        ("1h30", dt.timedelta(minutes=90)),
        ("1 hour and 30 minutes", dt.timedelta(minutes=90)),
        ("1h, 30min", dt.timedelta(minutes=90)),
        ("1.5h", dt.timedelta(minutes=90)),
        ("0.25 h", dt.timedelta(minutes=15)),
        ("90", dt.timedelta(minutes=90)),
        ("2 days", dt.timedelta(days=2)),
        ("2d", dt.timedelta(days=2)),
        ("1w", dt.timedelta(weeks=1)),
        ("1 week 2 days", dt.timedelta(days=9)),
        ("48h", dt.timedelta(hours=48)),
        ("45s", dt.timedelta(seconds=45)),
        ("1 HR", dt.timedelta(hours=1)),
    ],
)
def test_duration_forms(text: str, want: dt.timedelta) -> None:
    assert parse_duration(text) == want


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty"),
        ("0", "more than zero"),
        ("0m", "more than zero"),
        ("11 years", "Could not read"),
        ("1 mo", "Could not read"),  # months are not a unit
        ("1h 1h", "Could not read"),  # a unit once
        ("h", "Could not read"),
        ("-5m", "Could not read"),
        ("1.5", "Could not read"),
        ("9999999", "Could not read"),
        ("600 weeks", "at most 10 years"),
        ("1h30 5", "Could not read"),
        ("30m\x00", "control characters"),
        ("q" * 101, "too long"),
    ],
)
def test_duration_refusals(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_duration(text)
    assert fragment in str(info.value)


# ---------------------------------------------------------------- properties

ZONE_NAMES = ["Europe/Berlin", "America/New_York", "UTC", "Australia/Lord_Howe", "Asia/Kolkata"]
instants = st.datetimes(
    min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2199, 1, 1), timezones=st.just(UTC)
)
zones = st.sampled_from(ZONE_NAMES).map(ZoneInfo)

# Fragments people type, to reach deeper than random text does.
FRAGMENTS = [
    "now", "today", "yesterday", "tomorrow", "last", "next", "this", "mon", "thursday", "tues.",
    "at", "on", "in", "ago", "+", "-", ",", "2h", "30", "min", "days", "1h30", "9pm", "12am",
    "21:05", "02:30", "25:61", "noon", "midnight", "16", "dec", "december", "29", "feb", "2026",
    "1969", "2201", "16.12.", "05/06", "12/16/2026", "2026-03-29", "2026-10-25t02:30",
    "2026-11-26 21:05z", "+01:00", "-0500", "utc", "1st", "of", "a", "an", "hour", "week",
    "999999", "0", ".", "١", "ß", "İ", " ",
]  # fmt: skip
typed = st.lists(st.sampled_from(FRAGMENTS), max_size=6).map(" ".join)
texts = st.one_of(st.text(max_size=120), typed)


@settings(max_examples=400)
@given(text=texts, now=instants, tz=zones, prefer=st.sampled_from(["past", "future"]))
def test_any_text_gives_an_aware_instant_or_invalid_input(
    text: str, now: dt.datetime, tz: ZoneInfo, prefer: str
) -> None:
    try:
        got = parse_when(text, now=now, tz=tz, prefer=prefer)  # type: ignore[arg-type]
    except InvalidInput as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert got.tzinfo is tz
    assert got.utcoffset() is not None
    assert 1970 <= got.year <= 2200


@settings(max_examples=400)
@given(text=texts, today=st.dates(dt.date(1971, 1, 1), dt.date(2199, 1, 1)))
def test_any_text_gives_a_date_or_invalid_input(text: str, today: dt.date) -> None:
    for prefer in ("past", "future"):
        try:
            got = parse_date(text, today=today, prefer=prefer)  # type: ignore[arg-type]
        except InvalidInput:
            continue
        assert type(got) is dt.date
        assert 1970 <= got.year <= 2200


@settings(max_examples=300)
@given(text=texts)
def test_any_text_gives_a_duration_or_invalid_input(text: str) -> None:
    try:
        got = parse_duration(text)
    except InvalidInput:
        return
    assert dt.timedelta(0) < got <= dt.timedelta(days=3653)


WEEKDAY_WORDS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@given(
    now=instants,
    tz=zones,
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
)
def test_bare_weekday_is_within_a_week_on_the_preferred_side(
    now: dt.datetime, tz: ZoneInfo, weekday: int, hour: int, minute: int
) -> None:
    text = f"{WEEKDAY_WORDS[weekday]} {hour:02d}:{minute:02d}"
    past = parse_when(text, now=now, tz=tz, prefer="past")
    future = parse_when(text, now=now, tz=tz, prefer="future")
    assert past <= now < future
    # Within a week (plus a DST shift of up to an hour either way).
    slack = dt.timedelta(days=7, hours=1)
    assert now - past < slack and future - now <= slack
    assert past.weekday() == weekday == future.weekday()
    # The wall time is the one asked for, unless it fell into a DST gap (then it moved forward).
    for got in (past, future):
        asked = dt.datetime.combine(got.date(), dt.time(hour, minute))
        assert got.replace(tzinfo=None) >= asked
        assert got.replace(tzinfo=None) - asked <= dt.timedelta(hours=1)


@given(now=instants, tz=zones, day=st.dates(dt.date(1971, 1, 1), dt.date(2199, 1, 1)))
def test_iso_dates_round_trip(now: dt.datetime, tz: ZoneInfo, day: dt.date) -> None:
    assert parse_date(day.isoformat(), today=now.date()) == day
    got = parse_when(f"{day.isoformat()} 12:00", now=now, tz=tz)
    assert got.date() == day


# ---------------------------------------------------------------- start-up cost


def test_import_is_light() -> None:
    """The CLI imports this module at start: no dateutil, zoneinfo or typing behind it."""
    code = (
        "import sys; before = set(sys.modules); import rollminder.timeparse; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "rollminder.timeparse" in out
    heavy = {m for m in out if m.split(".")[0] in {"dateutil", "zoneinfo", "typing", "dataclasses"}}
    assert heavy == set()
