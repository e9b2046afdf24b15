"""A zone's VTIMEZONE, written by rollminder rather than by icalendar: yearly RRULEs where the
zone's changes are regular, one RDATE per line where they are not (ical.js, Thunderbird's parser,
reads a multi-date RDATE line as its first date only), each change's DTSTART at the wall time
before it, no COMMENT (the libical validator rejects it)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from icalendar import Timezone


class Transition(NamedTuple):
    """A change of a zone's UTC offset, name or DST flag."""

    at: dt.datetime  # the instant, in UTC
    before: dt.timedelta  # the UTC offset until then
    after: dt.timedelta  # ... and from then on
    name: str  # the zone's abbreviation from then on
    dst: bool  # daylight saving time from then on

    @property
    def wall(self) -> dt.datetime:
        """The local time of the change on the clock before it (RFC 5545's DTSTART)."""
        return (self.at + self.before).replace(tzinfo=None)


def _state(zone: ZoneInfo, at: dt.datetime) -> tuple[dt.timedelta, str, bool]:
    local = at.astimezone(zone)
    return local.utcoffset() or dt.timedelta(0), local.tzname() or "", bool(local.dst())


@functools.lru_cache(maxsize=32)
def transitions(tz: str, first: dt.date, last: dt.date) -> tuple[Transition, ...]:
    """The zone's transitions from ``first`` to ``last`` (from the tz database via zoneinfo):
    sampled every 6 hours, each change then found to the second (cached: a push writes one
    calendar object, and so one VTIMEZONE, per event)."""
    zone = ZoneInfo(tz)
    step = dt.timedelta(hours=6)
    at = dt.datetime.combine(first, dt.time(0), dt.UTC) - dt.timedelta(days=1)
    end = dt.datetime.combine(last, dt.time(0), dt.UTC) + dt.timedelta(days=1)
    state = _state(zone, at)
    out = []
    while at < end:
        nxt = at + step
        after = _state(zone, nxt)
        if after != state:
            lo, hi = at, nxt  # state(lo) is the old one, state(hi) the new one
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if _state(zone, mid) == state else (lo, mid)
            out.append(Transition(hi.replace(microsecond=0), state[0], *after))
            state = after
        at = nxt
    return tuple(out)


_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _ordinals_in_month(day: dt.date) -> set[int]:
    """Which BYDAY ordinals name ``day``'s weekday in its month: its place, and -1 if last."""
    found = {(day.day - 1) // 7 + 1}
    if (day + dt.timedelta(days=7)).month != day.month:
        found.add(-1)
    return found


class Observance(NamedTuple):
    first: Transition  # its DTSTART, offsets, name and kind
    rule: dict[str, object] | None  # an RRULE, or
    rdates: tuple[dt.datetime, ...]  # the other changes' wall times, one RDATE each


def _observances(changes: Sequence[Transition]) -> list[Observance]:
    """Groups transitions into observances: a run of yearly changes on the n-th (or last)
    weekday of one month at one wall time becomes an RRULE (with UNTIL, the run's last change);
    what fits no rule goes out as DTSTART plus one RDATE per line (ical.js, vobject and others
    read only the first date of a multi-date RDATE)."""
    runs: dict[tuple[object, ...], list[tuple[list[Transition], set[int]]]] = {}
    key: tuple[object, ...]
    for t in changes:
        w = t.wall
        key = (t.before, t.after, t.name, t.dst, w.month, w.weekday(), w.time())
        places = _ordinals_in_month(w.date())
        group = runs.setdefault(key, [])
        if group:
            run, common = group[-1]
            if run[-1].wall.year + 1 == w.year and common & places:
                run.append(t)
                group[-1] = (run, common & places)
                continue
        group.append(([t], places))
    out: list[Observance] = []
    singles: dict[tuple[object, ...], list[Transition]] = {}
    for key, group in runs.items():
        for run, common in group:
            if len(run) < 2:
                singles.setdefault(key[:4], []).append(run[0])
                continue
            place = -1 if -1 in common else min(common)
            rule = {
                "FREQ": "YEARLY",
                "BYMONTH": run[0].wall.month,
                "BYDAY": f"{place}{_WEEKDAYS[run[0].wall.weekday()]}",
                "UNTIL": run[-1].at,
            }
            out.append(Observance(run[0], rule, ()))
    for lonely in singles.values():
        lonely.sort()
        out.append(Observance(lonely[0], None, tuple(t.wall for t in lonely[1:])))
    out.sort(key=lambda o: o.first.at)
    return out


def vtimezone(tz: str, first: dt.date, last: dt.date) -> Timezone:
    """The zone's VTIMEZONE from ``first`` to ``last``, written here rather than by icalendar:
    icalendar lists many dates on one RDATE line (read as one date by ical.js, so Thunderbird
    shifts events from the second year on), gives a DAYLIGHT onset the wall time after the
    change, and adds a COMMENT the libical validator rejects. The observance in force on
    ``first`` opens it (TZOFFSETFROM = TZOFFSETTO)."""
    from icalendar import Timezone as VTimezone
    from icalendar import TimezoneDaylight, TimezoneStandard

    zone = ZoneInfo(tz)
    start = dt.datetime.combine(first, dt.time(0), dt.UTC)
    offset, name, dst = _state(zone, start)
    opening = Transition(start - offset, offset, offset, name, dst)
    vtz = VTimezone()
    vtz.add("tzid", tz)
    for t, rule, rdates in [
        Observance(opening, None, ()),
        *_observances(transitions(tz, first, last)),
    ]:
        part = TimezoneDaylight() if t.dst else TimezoneStandard()
        part.add("dtstart", t.wall)
        if rule is not None:
            part.add("rrule", rule)
        for rdate in rdates:
            part.add("rdate", rdate)
        part.add("tzname", t.name)
        part.add("tzoffsetfrom", t.before)
        part.add("tzoffsetto", t.after)
        vtz.add_component(part)
    return vtz
