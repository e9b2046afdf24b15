"""Wall-clock helpers: local days and times in a plan's zone, across DST gaps and folds. Pure."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def local_slot(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The aware instant for a wall time on a day: gap times move forward, ambiguous ones are the
    first occurrence (fold=0)."""
    naive = dt.datetime.combine(day, time)
    return naive.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz)


def wall(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """An instant's naive wall-clock time in ``tz`` (rest intervals are measured on it)."""
    return instant.astimezone(tz).replace(tzinfo=None)


def rest_anchor(instant: dt.datetime, tz: ZoneInfo, plan_time: dt.time) -> dt.datetime:
    """Where rest is counted from or to: the wall-clock time in the plan's zone, with one
    exception. On a spring-forward day whose plan time falls in the gap, the slot moves forward by
    the gap (02:30 -> 03:30); from that slot on, that day's times count as if the clocks had not
    jumped, so the slot still counts as 02:30 and the next day's 02:30 slot keeps its 24 h."""
    local = instant.astimezone(tz)
    naive = local.replace(tzinfo=None)
    day = naive.date()
    nominal = dt.datetime.combine(day, plan_time)
    slot = wall(local_slot(day, plan_time, tz), tz)
    if slot != nominal and naive >= slot:
        return naive - (slot - nominal)
    # A gap that ends at midnight (Greenland springs forward from 23:00 to 00:00) moves the
    # day before's slot past midnight: until today's plan time, count as if it had not.
    eve = day - dt.timedelta(days=1)
    moved = wall(local_slot(eve, plan_time, tz), tz)
    if moved.date() == day and moved <= naive < nominal:
        return naive - (moved - dt.datetime.combine(eve, plan_time))
    return naive


def from_wall(naive: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return naive.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
