"""The DST matrix: for every IANA zone with an offset change in 2026 or 2027, a slot placed in
the gap and one in the overlap each give exactly one session reminder, at the instant the
schedule specifies (docs/reminders.md):

- a wall time in a gap moves forward by the gap: it is read with the offset in force before the
  change (02:30 on a spring-forward night in Berlin is 03:30 CEST), so it fires after the gap;
- an ambiguous wall time is its first occurrence: also read with the offset before the change.

The expected instant is computed here from the transition itself, not by the schedule's code.
Pure planner calls over a simulated ledger, polled around the slot and through the repeated
hour: fast enough to run for every zone.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, available_timezones

import pytest

from rollminder.model import Log, Plan, Settings
from rollminder.remind import planner

UTC = dt.UTC


class Transition(NamedTuple):
    zone: str
    at: dt.datetime  # UTC instant of the change
    before: dt.timedelta  # offset before
    after: dt.timedelta


def _offset(tz: ZoneInfo, instant: dt.datetime) -> dt.timedelta:
    off = instant.astimezone(tz).utcoffset()
    assert off is not None
    return off


@lru_cache(maxsize=1)
def transitions() -> tuple[Transition, ...]:
    found = []
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for name in sorted(available_timezones()):
        try:
            tz = ZoneInfo(name)
        except (ValueError, OSError):
            continue
        prev_t, prev_off = start, _offset(tz, start)
        for hours in range(6, 2 * 366 * 24 + 6, 6):
            t = start + dt.timedelta(hours=hours)
            if t.year > 2027:
                break
            off = _offset(tz, t)
            if off != prev_off:
                lo, hi = prev_t, t  # the change is in (lo, hi]: bisect to the second
                while hi - lo > dt.timedelta(seconds=1):
                    mid = lo + (hi - lo) / 2
                    if _offset(tz, mid) == prev_off:
                        lo = mid
                    else:
                        hi = mid
                hi = hi.replace(microsecond=0)
                found.append(Transition(name, hi, prev_off, off))
            prev_t, prev_off = t, off
    return tuple(found)


def _wall_minute(naive: dt.datetime) -> dt.datetime:
    return naive.replace(second=0, microsecond=0)


def _cases(kind: str) -> list[Transition]:
    return [t for t in transitions() if (t.after > t.before) == (kind == "gap")]


def _plan(zone: str, wall: dt.datetime) -> Plan:
    day = wall.date()
    begin = dt.datetime.combine(day - dt.timedelta(days=14), dt.time(0), ZoneInfo(zone))
    return Plan(
        needle_mm=0.25,
        sessions=1,
        every_weeks=1,
        weekdays=(day.weekday(),),
        time=wall.time(),
        tz=zone,
        minutes=3,
        zones=("forehead",),
        directions=("vertical",),
        passes=5,
        rest_hours=24,
        start=day - dt.timedelta(days=14),
        created_at=begin,
    )


def _deliveries(plan: Plan, polls: list[dt.datetime]) -> list[tuple[dt.datetime, str]]:
    """Poll the planner at each instant; deliver what is due and not yet in the ledger."""
    ledger: set[tuple[str, str]] = set()
    sent = []
    settings = Settings(prep_minutes=0)
    for now in sorted(polls):
        for r in planner.due(planner.reminders(plan, Log(), settings, now), now):
            if (r.slot, r.kind) not in ledger:
                ledger.add((r.slot, r.kind))
                sent.append((now, r.kind))
    return sent


def _check(t: Transition, wall: dt.datetime) -> None:
    expected = (wall - t.before).replace(tzinfo=UTC)  # read with the offset before the change
    plan = _plan(t.zone, wall)
    shift = abs(t.after - t.before)
    polls = [expected + dt.timedelta(minutes=m) for m in (-180, -61, -30, -1, 0, 1, 15, 30, 59)]
    polls += [expected + shift + dt.timedelta(minutes=m) for m in (-1, 0, 1, 30, 120)]
    polls += [expected - dt.timedelta(seconds=1)]
    sent = _deliveries(plan, polls)
    assert sent == [(expected, "session")], (t, wall, sent)
    # And the wake-up computed a minute before is that very instant.
    before = expected - dt.timedelta(minutes=1)
    found = planner.reminders(plan, Log(), Settings(prep_minutes=0), before)
    assert planner.next_at(found, before) == expected


def test_the_matrix_covers_the_zones_that_change() -> None:
    zones = {t.zone for t in transitions()}
    assert {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe"} <= zones
    assert "Asia/Tokyo" not in zones and "UTC" not in zones
    assert len(_cases("gap")) > 100 and len(_cases("overlap")) > 100


@pytest.mark.parametrize("t", _cases("gap"), ids=lambda t: f"{t.zone}-{t.at:%Y-%m-%d}")
def test_a_slot_in_the_gap_fires_once_just_after_it(t: Transition) -> None:
    gap_start = (t.at + t.before).replace(tzinfo=None)  # the first wall time that is skipped
    wall = _wall_minute(gap_start + (t.after - t.before) / 2)
    _check(t, wall)
    assert (wall - t.before).replace(tzinfo=UTC) >= t.at  # after the gap


@pytest.mark.parametrize("t", _cases("overlap"), ids=lambda t: f"{t.zone}-{t.at:%Y-%m-%d}")
def test_a_slot_in_the_overlap_fires_once_at_the_first_occurrence(t: Transition) -> None:
    repeat_start = (t.at + t.after).replace(tzinfo=None)  # the wall times seen twice
    wall = _wall_minute(repeat_start + (t.before - t.after) / 2)
    _check(t, wall)
    assert (wall - t.before).replace(tzinfo=UTC) < t.at  # the first occurrence
