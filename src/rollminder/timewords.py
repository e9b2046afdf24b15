"""The words, patterns and pieces :mod:`rollminder.timeparse` reads dates, times and durations
with: names of days and months, input hygiene, times of day, days, durations. Light to import
(no ``re``, typing or zoneinfo at import time).
"""

from __future__ import annotations

import datetime as dt

from rollminder import limits
from rollminder.errors import InvalidInput

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Iterator
    from typing import Literal
    from zoneinfo import ZoneInfo

    Prefer = Literal["past", "future"]
MAX_LEN = 100
MIN_YEAR, MAX_YEAR = limits.MIN_YEAR, limits.MAX_YEAR
MAX_DURATION = dt.timedelta(days=3653)

WHEN_HINT = "try 2026-11-26T21:05, 'yesterday 21:00' or 'mon 21:05'."
DATE_HINT = "try 2026-12-16, 'yesterday', 'mon' or '16 dec'."
DURATION_HINT = "try 30m, 1h30m, 90 (minutes) or 2 days."
_TOO_FAR = f"Years must be between {MIN_YEAR} and {MAX_YEAR}: that is too far away."

_FLAGS = 256 | 64  # re.ASCII | re.VERBOSE, without importing re at start-up

WEEKDAY_NAMES: dict[str, int] = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}

MONTH_NAMES: dict[str, int] = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Longest day of each month (February in a leap year): "31 feb" can never be a date.
_MONTH_MAX = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Unit words -> seconds. "m" is minutes; months are not a unit (their length varies).
_UNITS: dict[str, int] = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * 86400),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
}

_ISO_DATETIME = r"""
    (?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})
    [t\ ] (?P<h>\d{2}) : (?P<mi>\d{2}) (?: : (?P<s>\d{2}) (?: [.,] (?P<f>\d{1,6}) )? )?
    \ ? (?P<off> z | utc | [+-] \d{2} (?: :? \d{2} )? )?
"""
_TIME = r"""
    (?: at\ )?
    (?: (?P<word> noon | midnight )
      | (?P<h>\d{1,2}) (?: : (?P<mi>\d{2}) (?: : (?P<s>\d{2}) )? )? \ ? (?P<ap> [ap]\.?m\.? )?
    )
"""
_MONTH = r"(?: [a-z]{3,9} )"
_DAY_MONTH = rf"""
    (?: (?P<wd> [a-z]{{3,9}} ) \.? ,? \  )?
    (?: (?P<d1> \d{{1,2}} ) (?: st | nd | rd | th )? \.? (?: \ of )? [\ /-]? (?P<m1> {_MONTH} ) \.?
      | (?P<m2> {_MONTH} ) \.? [\ /-]? (?P<d2> \d{{1,2}} ) (?: st | nd | rd | th )?
    )
    (?: ,? [\ /-] (?P<y> \d{{4}} ) )?
"""
_RELATIVE_DAYS = r"""
    (?: in\ (?P<n1> \d{1,6} ) \ ? (?P<u1> [a-z]+ )
      | (?P<n2> \d{1,6} ) \ ? (?P<u2> [a-z]+ ) \ ago
      | (?P<sign> [+-] ) \ ? (?P<n3> \d{1,6} ) \ ? (?P<u3> [a-z]+ )
    )
"""
_DURATION_PART = r"\ ? (?P<n> \d{1,6} ) (?: \. (?P<f> \d{1,3} ) )? \ ? (?P<u> [a-z]+ )"


# ---------------------------------------------------------------- input hygiene


def _check_args(prefer: str) -> None:
    if prefer not in ("past", "future"):
        raise ValueError(f"prefer must be 'past' or 'future', not {prefer!r}")


def _show(text: str) -> str:
    short = text if len(text) <= 40 else text[:40] + "…"
    return repr(short)


def _could_not(text: str, what: str, hint: str) -> str:
    return f"Could not read {_show(str(text).strip())} as {what}: {hint}"


def _clean(text: object, what: str, hint: str) -> str:
    """Validate the raw text and normalise it: lower case, single spaces, no outer space."""
    if not isinstance(text, str):
        raise InvalidInput(f"Expected text for the {what}, got {type(text).__name__}: {hint}")
    if len(text) > MAX_LEN:
        raise InvalidInput(f"The {what} is too long (over {MAX_LEN} characters): {hint}")
    stripped = text.strip()
    if not stripped:
        raise InvalidInput(f"The {what} is empty: {hint}")
    if any(c < " " or "\x7f" <= c <= "\x9f" for c in stripped):
        raise InvalidInput(f"The {what} contains control characters: {hint}")
    return " ".join(stripped.lower().split())


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"Years must be between {MIN_YEAR} and {MAX_YEAR}; {year} is not.")


def _date(year: int, month: int, day: int) -> dt.date:
    _check_year(year)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise InvalidInput(f"{year:04d}-{month:02d}-{day:02d} is not a valid date.") from None


def _fullmatch(pattern: str, text: str) -> re.Match[str] | None:
    import re  # lazily: the CLI imports this module on every start

    return re.fullmatch(pattern, text, _FLAGS)


def _compile(pattern: str) -> re.Pattern[str]:
    import re

    return re.compile(pattern, _FLAGS)


# ---------------------------------------------------------------- time zones


def _localize(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The instant of a wall time on a day in ``tz``: gap times move forward by the gap,
    ambiguous times are the first occurrence."""
    naive = dt.datetime.combine(day, time.replace(tzinfo=None, fold=0))
    return naive.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz)


# ---------------------------------------------------------------- times of day


def _time(s: str) -> dt.time | None:
    """A time of day, or None when ``s`` is not shaped like one (a bare number is not)."""
    m = _fullmatch(_TIME, s)
    if m is None:
        return None
    if m["word"] == "noon":
        return dt.time(12, 0)
    if m["word"] == "midnight":
        return dt.time(0, 0)
    ap = m["ap"]
    if m["mi"] is None and ap is None:
        return None
    hour, minute, second = int(m["h"]), int(m["mi"] or 0), int(m["s"] or 0)
    if minute > 59 or second > 59:
        raise InvalidInput(f"{s!r} is not a time of day: use 00:00 to 23:59, or 9pm.")
    if ap is not None:
        if not 1 <= hour <= 12:
            raise InvalidInput(f"{s!r} is not a time of day: with am/pm, hours are 1 to 12.")
        hour = hour % 12 + (12 if ap[0] == "p" else 0)
    elif hour > 23:
        raise InvalidInput(f"{s!r} is not a time of day: use 00:00 to 23:59, or 9pm.")
    return dt.time(hour, minute, second)


# ---------------------------------------------------------------- days


class _Day:
    """A parsed day: a fixed date, or a pattern (weekday, or day and month without a year)."""

    __slots__ = ("fixed", "mode", "month_day", "weekday")

    def __init__(
        self,
        *,
        fixed: dt.date | None = None,
        weekday: int | None = None,
        month_day: tuple[int, int] | None = None,
        mode: str = "bare",
    ) -> None:
        self.fixed = fixed
        self.weekday = weekday
        self.month_day = month_day
        self.mode = mode  # "bare", "last" (strictly before today) or "next" (strictly after)


def _day(s: str, today: dt.date) -> _Day | None:
    if s in ("today", "tonight"):
        return _Day(fixed=today)
    if s == "yesterday":
        return _Day(fixed=today - dt.timedelta(days=1))
    if s == "tomorrow":
        return _Day(fixed=today + dt.timedelta(days=1))
    mode, _, rest = s.partition(" ")
    if mode in ("last", "next", "this") and rest.rstrip(".") in WEEKDAY_NAMES:
        return _Day(weekday=WEEKDAY_NAMES[rest.rstrip(".")], mode=mode.replace("this", "bare"))
    if s.rstrip(".") in WEEKDAY_NAMES:
        return _Day(weekday=WEEKDAY_NAMES[s.rstrip(".")])
    m = _fullmatch(r"(?P<y>\d{4}) (?P<sep>[-/]) (?P<m>\d{1,2}) (?P=sep) (?P<d>\d{1,2})", s)
    if m is not None:
        if m["sep"] == "-" and (len(m["m"]) != 2 or len(m["d"]) != 2):
            return None
        return _Day(fixed=_date(int(m["y"]), int(m["m"]), int(m["d"])))
    m = _fullmatch(r"(?P<d>\d{1,2}) \. (?P<m>\d{1,2}) \. (?P<y>\d{4})?", s)
    if m is not None:
        return _numeric_day(int(m["d"]), int(m["m"]), m["y"], s)
    m = _fullmatch(r"(?P<a>\d{1,2}) / (?P<b>\d{1,2}) (?: / (?P<y>\d{4}) )?", s)
    if m is not None:
        a, b = int(m["a"]), int(m["b"])
        if a < 1 or b < 1:
            return None
        if a > 12 and b > 12:
            return None
        if a > 12 >= b:
            return _numeric_day(a, b, m["y"], s)
        if b > 12 >= a or a == b:
            return _numeric_day(b, a, m["y"], s)
        raise InvalidInput(
            f"{s!r} is ambiguous (day/month or month/day?): write 2026-06-05 or '5 jun'."
        )
    relative = _relative_day(s, today)
    if relative is not None:
        return relative
    return _named_month_day(s)


def _numeric_day(day: int, month: int, year: str | None, s: str) -> _Day:
    if year is not None:
        return _Day(fixed=_date(int(year), month, day))
    if not 1 <= month <= 12 or not 1 <= day <= _MONTH_MAX[month - 1]:
        raise InvalidInput(f"{s!r} is not a valid day and month.")
    return _Day(month_day=(month, day))


def _relative_day(s: str, today: dt.date) -> _Day | None:
    m = _fullmatch(_RELATIVE_DAYS, s)
    if m is None:
        return None
    number = m["n1"] or m["n2"] or m["n3"]
    unit = _UNITS.get(m["u1"] or m["u2"] or m["u3"])
    if unit is None or unit < 86400:
        return None
    sign = -1 if (m["n2"] is not None or m["sign"] == "-") else 1
    days = sign * int(number) * (unit // 86400)
    try:
        return _Day(fixed=today + dt.timedelta(days=days))
    except OverflowError:
        raise InvalidInput(_TOO_FAR) from None


def _named_month_day(s: str) -> _Day | None:
    m = _fullmatch(_DAY_MONTH, s)
    if m is None:
        return None
    month = MONTH_NAMES.get(m["m1"] or m["m2"] or "")
    if month is None:
        return None
    weekday: int | None = None
    if m["wd"] is not None:
        weekday = WEEKDAY_NAMES.get(m["wd"])
        if weekday is None:
            return None
    day = int(m["d1"] or m["d2"])
    if not 1 <= day <= _MONTH_MAX[month - 1]:
        raise InvalidInput(f"There is no day {day} in {_MONTH_ABBR[month - 1]}.")
    if m["y"] is None:
        return _Day(month_day=(month, day), weekday=weekday)
    fixed = _date(int(m["y"]), month, day)
    _check_weekday(fixed, weekday)
    return _Day(fixed=fixed)


def _check_weekday(day: dt.date, weekday: int | None) -> None:
    if weekday is not None and day.weekday() != weekday:
        raise InvalidInput(
            f"{day.day} {_MONTH_ABBR[day.month - 1]} {day.year} is a "
            f"{_DAY_NAMES[day.weekday()]}, not a {_DAY_NAMES[weekday]}."
        )


def _candidates(spec: _Day, today: dt.date, backward: bool) -> Iterator[dt.date]:
    """Matching dates, nearest first, starting at today (inclusive) in the given direction."""
    if spec.fixed is not None:
        yield spec.fixed
        return
    step = -1 if backward else 1
    if spec.month_day is None:
        assert spec.weekday is not None
        delta = (
            (today.weekday() - spec.weekday) % 7
            if backward
            else (spec.weekday - today.weekday()) % 7
        )
        first = today + dt.timedelta(days=step * delta)
        for k in range(3):
            yield first + dt.timedelta(days=step * 7 * k)
        return
    month, day = spec.month_day
    year = today.year
    for _ in range(10):  # 29 feb recurs within 8 years
        if not MIN_YEAR <= year <= MAX_YEAR:
            return
        try:
            found = dt.date(year, month, day)
        except ValueError:
            found = None
        if found is not None and (found <= today if backward else found >= today):
            yield found
        year += step


def _ordered(spec: _Day, today: dt.date, backward: bool) -> Iterator[dt.date]:
    """Candidates filtered by the mode (last: strictly before today; next: strictly after)."""
    if spec.mode == "last":
        return _candidates(spec, today - dt.timedelta(days=1), True)
    if spec.mode == "next":
        return _candidates(spec, today + dt.timedelta(days=1), False)
    return _candidates(spec, today, backward)


def _resolve_date(spec: _Day, today: dt.date, prefer: str) -> dt.date:
    for found in _ordered(spec, today, prefer == "past"):
        _check_weekday(found, spec.weekday if spec.month_day is not None else None)
        return found
    raise InvalidInput(f"No such date between {MIN_YEAR} and {MAX_YEAR}.")


def _resolve_instant(
    spec: _Day, time: dt.time, local_now: dt.datetime, tz: ZoneInfo, prefer: str
) -> dt.datetime:
    backward = prefer == "past"
    today = local_now.date()
    for found in _ordered(spec, today, backward):
        _check_year(found.year)
        when = _localize(found, time, tz)
        if spec.fixed is not None or spec.mode != "bare":
            _check_weekday(found, spec.weekday if spec.month_day is not None else None)
            return when
        # Compare as UTC: within one zone Python compares wall times and ignores fold.
        ahead = when.astimezone(dt.UTC) > local_now.astimezone(dt.UTC)
        if ahead != backward:
            _check_weekday(found, spec.weekday if spec.month_day is not None else None)
            return when
    raise InvalidInput(f"No such date and time between {MIN_YEAR} and {MAX_YEAR}.")


# ---------------------------------------------------------------- durations


def _duration_parts(s: str) -> tuple[int, int] | None:
    """``1w 2d 3h 4m 5s`` -> (days, seconds), exact; None when not a duration with units.

    Units may be glued or spaced, joined by commas or "and"; each at most once. ``1h30`` reads
    as 1 h 30 min.
    """
    s = s.replace(",", " ").replace(" and ", " ")
    s = " ".join(s.split())
    pattern = _compile(_DURATION_PART)
    pos, seen, days, seconds, last_unit = 0, set(), 0, 0, 0
    while pos < len(s):
        m = pattern.match(s, pos)
        if m is None:
            tail = _fullmatch(r"\ ? (?P<n> \d{1,2} )", s[pos:])
            if tail is not None and last_unit == 3600 and 60 not in seen:
                seconds += int(tail["n"]) * 60
                pos = len(s)
                break
            return None
        unit = _UNITS.get(m["u"])
        if unit is None or unit in seen:
            return None
        seen.add(unit)
        last_unit = unit
        frac = m["f"] or ""
        whole_part = int(m["n"]) * unit
        frac_part = int(frac or 0) * unit // 10 ** len(frac)
        total = whole_part + frac_part
        if unit >= 86400 and not frac:
            days += total // 86400
        else:
            seconds += total
        pos = m.end()
    if not seen:
        return None
    return days, seconds


def _duration(s: str, *, bare_minutes: bool) -> dt.timedelta | None:
    if bare_minutes:
        m = _fullmatch(r"\d{1,6}", s)
        if m is not None:
            return dt.timedelta(minutes=int(s))
    parts = _duration_parts(s)
    if parts is None:
        return None
    return dt.timedelta(days=parts[0], seconds=parts[1])
