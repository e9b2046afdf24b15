"""Reading what people type for WHEN (an instant), DATE (a calendar day) and durations.

Pure: there is no clock in here. ``now``/``today`` and the plan's zone come in as arguments.
Every failure is :class:`rollminder.errors.InvalidInput` with one line saying what was expected;
nothing else escapes for any text. Text is case-insensitive; extra spaces do not matter.

WHEN (:func:`parse_when`) accepts:

- ``now`` (also ``right now``, ``just now``);
- ISO 8601: ``2026-11-26T21:05``, ``2026-11-26 21:05``, optional seconds and fraction. An explicit
  offset (``+01:00``, ``-0500``, ``Z``) is honoured; without one it is the wall time in ``tz``;
- a relative instant: ``2h ago``, ``30 min ago``, ``1h30m ago``, ``in 2 days``, ``+45m``, ``-1d``.
  Hours, minutes and seconds are elapsed time; days and weeks keep the wall time of ``now``
  (``1 day ago`` at 21:05 is 21:05 yesterday even across a DST change);
- a time alone: ``21:05``, ``9pm``, ``9:30 am``, ``noon``, ``midnight`` (today; midnight is the
  start of the day);
- a day in any form :func:`parse_date` reads, optionally with a time before or after it:
  ``yesterday 21:00``, ``tomorrow at 08:30``, ``mon 21:05``, ``monday 9pm``, ``last thu 21:00``,
  ``next mon``, ``16 dec 21:00``, ``3 days ago 21:00``, ``9pm on friday``. (``today`` may also be
  written ``tonight``.) A day without a time takes ``default_time``; when that is None, the start
  of the day (00:00), which suits "since" filters; callers logging a session pass the plan's
  time. A relative day *without* a time (``in 2 days``) is the relative instant above instead.

Which day a bare weekday or a day-and-month without a year means:

- ``prefer="past"``: the latest matching instant that is not after ``now``. So on a Thursday at
  20:00, ``thu 19:00`` is today but ``thu 21:00`` is a week ago.
- ``prefer="future"``: the earliest matching instant after ``now``. On a Thursday at 20:00,
  ``thu 21:00`` is today and ``thu 19:00`` is next week.
- ``last thu`` is always before today and ``next thu`` always after today (never today), whatever
  ``prefer`` says; ``this thu`` is the same as ``thu``.

Wall times are resolved in ``tz``: a time that does not exist (spring forward) moves forward by the
gap (02:30 on Berlin's spring-forward day is 03:30+02:00); an ambiguous one (fall back) is its first
occurrence (``fold=0``). The result is always an aware datetime in ``tz``.

DATE (:func:`parse_date`) accepts ISO ``2026-12-16`` (also ``2026/12/16``), ``today``,
``yesterday``, ``tomorrow``, weekdays as above (``prefer="past"``: the latest such day on or before
today; ``"future"``: the earliest on or after today), ``+3d``, ``-1w``, ``in 3 days``,
``3 days ago``, ``2 weeks ago``, day and month by name in either order with an optional year and
weekday (``16 dec``, ``dec 16``, ``16th of december 2026``, ``wed, 16 dec 2026``: a weekday that
does not match the date is refused), dotted European ``16.12.2026`` / ``16.12.`` and slashed
``16/12/2026`` or ``12/16/2026`` when the order is clear (``05/06/2026`` is refused as ambiguous).
A day and month without a year is the latest such date on or before today (``"past"``) or the
earliest on or after today (``"future"``).

Years must lie between 1970 and 2200. Text is at most 100 characters, without control characters.

DURATION (:func:`parse_duration`) accepts ``30m``, ``30 min``, ``1h``, ``1.5h``, ``1h30m``,
``1h30``, ``1 hour and 30 minutes``, ``90`` (a bare number is minutes), ``2 days``, ``1w``,
``45s``. It must be more than zero and at most 10 years. ``m`` is always minutes, never months.

At import this module loads only ``datetime`` and the error classes (the CLI imports it on every
start); ``re`` is imported, and the patterns compiled and cached, on first use.
"""

from __future__ import annotations

import datetime as dt

from rollminder.errors import InvalidInput
from rollminder.timewords import (
    _ISO_DATETIME,
    _TOO_FAR,
    DATE_HINT,
    DURATION_HINT,
    MAX_DURATION,
    MAX_YEAR,
    MIN_YEAR,
    WHEN_HINT,
    _check_args,
    _check_year,
    _clean,
    _could_not,
    _date,
    _day,
    _duration,
    _duration_parts,
    _fullmatch,
    _localize,
    _resolve_date,
    _resolve_instant,
    _time,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal
    from zoneinfo import ZoneInfo

    Prefer = Literal["past", "future"]
# ---------------------------------------------------------------- public API


def parse_when(
    text: str,
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    prefer: Prefer = "past",
    default_time: dt.time | None = None,
) -> dt.datetime:
    """Read an instant (see the module docstring); the result is aware and in ``tz``.

    ``now`` must be aware (a naive one is a programming error: ValueError).
    """
    _check_args(prefer)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    clean = _clean(text, "date and time", WHEN_HINT)
    try:
        result = _when(clean, now.astimezone(tz), tz, prefer, default_time)
    except InvalidInput:
        raise
    except (ValueError, OverflowError, TypeError, KeyError, IndexError) as exc:
        raise InvalidInput(_could_not(text, "a date and time", WHEN_HINT)) from exc
    if result is None:
        raise InvalidInput(_could_not(text, "a date and time", WHEN_HINT))
    _check_year(result.year)
    return result


def parse_date(text: str, *, today: dt.date, prefer: Prefer = "past") -> dt.date:
    """Read a calendar day (see the module docstring)."""
    _check_args(prefer)
    clean = _clean(text, "date", DATE_HINT)
    try:
        spec = _day(clean, today)
        result = None if spec is None else _resolve_date(spec, today, prefer)
    except InvalidInput:
        raise
    except (ValueError, OverflowError, TypeError, KeyError, IndexError) as exc:
        raise InvalidInput(_could_not(text, "a date", DATE_HINT)) from exc
    if result is None:
        raise InvalidInput(_could_not(text, "a date", DATE_HINT))
    _check_year(result.year)
    return result


def parse_duration(text: str) -> dt.timedelta:
    """Read a length of time (see the module docstring): more than zero, at most 10 years."""
    clean = _clean(text, "duration", DURATION_HINT)
    try:
        result = _duration(clean, bare_minutes=True)
    except InvalidInput:
        raise
    except (ValueError, OverflowError, TypeError, KeyError, IndexError) as exc:
        raise InvalidInput(_could_not(text, "a duration", DURATION_HINT)) from exc
    if result is None:
        raise InvalidInput(_could_not(text, "a duration", DURATION_HINT))
    if result <= dt.timedelta(0):
        raise InvalidInput("A duration must be more than zero: " + DURATION_HINT)
    if result > MAX_DURATION:
        raise InvalidInput("A duration must be at most 10 years: " + DURATION_HINT)
    return result


# ---------------------------------------------------------------- WHEN


def _when(
    s: str,
    local_now: dt.datetime,
    tz: ZoneInfo,
    prefer: str,
    default_time: dt.time | None,
) -> dt.datetime | None:
    if s in ("now", "right now", "just now"):
        return local_now
    iso = _iso_datetime(s, tz)
    if iso is not None:
        return iso
    rel = _relative_instant(s, local_now, tz)
    if rel is not None:
        return rel
    time = _time(s)
    if time is not None:
        return _localize(local_now.date(), time, tz)
    day = _day(s, local_now.date())
    if day is not None:
        start = dt.time(0, 0) if default_time is None else default_time
        return _resolve_instant(day, start, local_now, tz, prefer)
    # A day and a time, in either order: "mon 21:05", "16 dec 2026 at 9pm", "9pm on friday".
    words = s.split(" ")
    for i in range(1, len(words)):
        head, tail = " ".join(words[:i]).rstrip(","), " ".join(words[i:])
        time = _time(tail)
        if time is not None:
            day = _day(head, local_now.date())
            if day is not None:
                return _resolve_instant(day, time, local_now, tz, prefer)
        time = _time(head)
        if time is not None:
            rest = tail[3:] if tail.startswith("on ") else tail
            day = _day(rest, local_now.date())
            if day is not None:
                return _resolve_instant(day, time, local_now, tz, prefer)
    return None


def _iso_datetime(s: str, tz: ZoneInfo) -> dt.datetime | None:
    m = _fullmatch(_ISO_DATETIME, s)
    if m is None:
        return None
    day = _date(int(m["y"]), int(m["mo"]), int(m["d"]))
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidInput(f"{s!r} has no such time of day: use 00:00 to 23:59.")
    micro = int((m["f"] or "").ljust(6, "0"))
    time = dt.time(hour, minute, second, micro)
    off = m["off"]
    if off is None:
        return _localize(day, time, tz)
    if off in ("z", "utc"):
        offset = dt.timedelta(0)
    else:
        digits = off[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            raise InvalidInput(f"{off!r} is not a UTC offset: use e.g. +01:00, -05:00 or Z.")
        offset = dt.timedelta(hours=hours, minutes=minutes)
        if off[0] == "-":
            offset = -offset
    aware = dt.datetime.combine(day, time, tzinfo=dt.timezone(offset))
    return aware.astimezone(tz)


def _relative_instant(s: str, local_now: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """``2h ago``, ``in 30 min``, ``+1d``, ``-45m``, ``an hour ago``."""
    sign = 1
    if s.endswith(" ago"):
        body, sign = s[: -len(" ago")], -1
    elif s.startswith("in "):
        body = s[len("in ") :]
    elif s[:1] in "+-" and len(s) > 1:
        body, sign = s[1:].lstrip(), (-1 if s[0] == "-" else 1)
    else:
        return None
    if body in ("a", "an"):
        return None
    if body.startswith(("a ", "an ")):
        body = "1 " + body.split(" ", 1)[1]
    parts = _duration_parts(body)
    if parts is None:
        return None
    days, seconds = parts
    if days > 366 * (MAX_YEAR - MIN_YEAR) or seconds > 86400 * 366 * (MAX_YEAR - MIN_YEAR):
        raise InvalidInput(_TOO_FAR)
    when = local_now
    if days:
        when = _localize(local_now.date() + dt.timedelta(days=sign * days), local_now.timetz(), tz)
    if seconds:
        when = (when.astimezone(dt.UTC) + dt.timedelta(seconds=sign * seconds)).astimezone(tz)
    return when
