"""Every limit on what a person can enter, written once.

The CLI's option parsing, the web app's forms, the use cases and the import all check values
through these value types, so a session of 1,440 minutes or a date in the year 2199 is refused
the same way wherever it comes from. Each limit knows its bounds (for help texts and form
attributes) and turns a bad value into one :class:`~rollminder.errors.InvalidInput` line.

Pure and cheap to import (plain classes, no typing or dataclasses): the CLI, and the date
parser, load it on every start.
"""

from __future__ import annotations

import datetime as dt
import math

from rollminder.errors import InvalidInput

#: Dates and times rollminder handles (typed, stored, imported).
MIN_YEAR = 1970
MAX_YEAR = 2200

#: Characters a person can never enter: C0 controls (but tab and newline in multi-line text),
#: DEL, C1 controls, and the bidi overrides and isolates that reorder what a terminal shows.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _bad_char(c: str, lines: bool) -> bool:
    o = ord(c)
    if o < 32:
        return not (lines and c in "\n\t")
    return o == 0x7F or 0x80 <= o <= 0x9F or c in _BIDI or 0xD800 <= o <= 0xDFFF


def has_bad_chars(value: str, lines: bool = True) -> bool:
    """Whether ``value`` (as it is, not stripped) holds a character a person can never enter."""
    return any(_bad_char(c, lines) for c in value)


#: Every character :func:`has_bad_chars` refuses in multi-line text, to U+FFFD.
_SHOWN: dict[int, str] | None = None


def shown(text: str) -> str:
    """``text`` safe to show on a terminal or a page: every character a person can never enter
    (controls but line breaks and tabs, C1 controls such as U+009B, bidi overrides, lone
    surrogates) becomes U+FFFD. For stored text read back and input quoted in messages."""
    global _SHOWN
    if text.isprintable():  # the common case: no control, format or surrogate character
        return text
    if _SHOWN is None:
        bad = [*range(0x20), 0x7F, *range(0x80, 0xA0), *map(ord, _BIDI), *range(0xD800, 0xE000)]
        _SHOWN = {c: "\ufffd" for c in bad if c not in (0x09, 0x0A)}
    return text.translate(_SHOWN)


class Text:
    """Free text: stripped, at most ``most`` characters, no control characters (tabs and line
    breaks only where ``lines``). ``empty=False`` refuses an empty value."""

    __slots__ = ("empty", "lines", "most")

    def __init__(self, most: int, lines: bool = True, empty: bool = True) -> None:
        self.most, self.lines, self.empty = most, lines, empty

    def check(self, value: object, what: str) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput(f"The {what} must be text.")
        value = value.strip()
        if not value and not self.empty:
            raise InvalidInput(f"The {what} cannot be empty.")
        if len(value) > self.most:
            raise InvalidInput(f"The {what} is too long: at most {self.most} characters.")
        if any(_bad_char(c, self.lines) for c in value):
            raise InvalidInput(f"The {what} contains control characters.")
        return value


class Whole:
    """A whole number from ``lo`` to ``hi``; ``hint`` (if any) replaces the range in errors."""

    __slots__ = ("hi", "hint", "lo")

    def __init__(self, lo: int, hi: int, hint: str = "") -> None:
        self.lo, self.hi, self.hint = lo, hi, hint

    def check(self, value: object, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"The {what} must be a whole number.")
        if not self.lo <= value <= self.hi:
            raise InvalidInput(self.hint or f"The {what} must be from {self.lo} to {self.hi}.")
        return value

    def parse(self, raw: str, what: str) -> int:
        """Text typed by a person (CLI option, form field) as a whole number in range. Digits
        beyond 12 are out of range, never converted (99999999999999999999 is one line)."""
        text = raw.strip()
        digits = text[1:] if text[:1] in ("+", "-") else text
        if not (digits.isascii() and digits.isdigit()):
            raise InvalidInput(f"The {what} must be a whole number, not {_quoted(raw)}.")
        if len(digits.lstrip("0")) > 12:
            raise InvalidInput(self.hint or f"The {what} must be from {self.lo} to {self.hi}.")
        return self.check(int(text), what)


class Number:
    """A number above ``lo`` (or from it, when ``lo_included``) up to ``hi``."""

    __slots__ = ("hi", "hint", "lo", "lo_included")

    def __init__(self, lo: float, hi: float, lo_included: bool = False, hint: str = "") -> None:
        self.lo, self.hi, self.lo_included, self.hint = lo, hi, lo_included, hint

    def check(self, value: object, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"The {what} must be a number.")
        value = float(value)
        if not math.isfinite(value):
            raise InvalidInput(f"The {what} must be a number.")
        above = value >= self.lo if self.lo_included else value > self.lo
        if not (above and value <= self.hi):
            lo = "from" if self.lo_included else "more than"
            raise InvalidInput(
                self.hint or f"The {what} must be {lo} {self.lo:g} up to {self.hi:g}."
            )
        return value

    def parse(self, raw: str, what: str) -> float:
        text = raw.strip()
        try:
            value = float(text) if len(text) <= 24 else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InvalidInput(f"The {what} must be a number, not {_quoted(raw)}.")
        return self.check(value, what)


def _quoted(raw: str) -> str:
    """What a person typed, quoted for an error line: at most 20 characters, and control
    characters, lone surrogates and bidi overrides written as escapes (repr does that)."""
    return repr(raw[:20])


# ------------------------------------------------------------------------------------ the limits

#: A session's note, a skip's or a pause's reason, a visit's note.
NOTE = Text(2000)
#: A roller's label, a clinic's name, a series' name.
NAME = Text(120, lines=False)
#: Why a slot was skipped or a pause taken.
REASON = Text(480)
#: A time zone's name, as typed.
ZONE_NAME = Text(64, lines=False, empty=False)

#: How long a session lasted, in minutes (a logged session, an edit, an import).
SESSION_MINUTES = Number(0, 120, hint="Minutes must be more than 0 and at most 120.")
#: A roller's needle length in millimetres (plans have their own, stricter table: rules.py).
NEEDLE_MM = Number(0, 3.0, hint="Needle length must be above 0 and at most 3.0 mm.")
#: A plan's numbers (rules.validate_plan applies them; the CLI's options and the web form too).
PLAN_SESSIONS = Whole(1, 7, "Sessions per period must be between 1 and 7.")
PLAN_WEEKS = Whole(1, 12, "The period must be between 1 and 12 weeks.")
PLAN_MINUTES = Number(
    1, 30, lo_included=True, hint="Minutes must be between 1 and 30 (about 3 is usual)."
)
PASSES = Whole(1, 20, "Passes per direction must be between 1 and 20 (about 5 is usual).")
_BLACKOUT = "Visit blackout must be 0-60 days before and 0-90 days after a visit."
BLACKOUT_BEFORE = Whole(0, 60, _BLACKOUT)
BLACKOUT_AFTER = Whole(0, 90, _BLACKOUT)
#: Weeks of slots in a calendar feed or push.
CALENDAR_WEEKS = Whole(1, 104, "The calendar covers 1 to 104 weeks.")
#: The dermatologist report (issue 17).
REPORT_WEEKS = Whole(1, 104, "The report covers 1 to 104 weeks.")
#: A TCP port to serve on.
PORT = Whole(1, 65535, "The port must be from 1 to 65535.")
#: Uses a roller had before it was added.
EARLIER_USES = Whole(0, 1000, "Earlier uses must be between 0 and 1000.")
#: How many upcoming slots to list.
COUNT = Whole(1, 100, "The number of slots to list must be between 1 and 100.")
#: Visits in a series, and weeks between them.
SERIES_VISITS = Whole(1, 12, "A series has 1 to 12 visits (4-6 is usual).")
SERIES_WEEKS = Whole(1, 26, "Visits are 1 to 26 weeks apart (4-6 is usual).")
#: The longest pause, in days.
PAUSE_DAYS = 366 * 2
#: How far ahead of the clock a session can be logged (a clock a little off), and the earliest
#: year a session can be logged in (done, the web log and the import alike).
SESSION_AHEAD = dt.timedelta(minutes=1)
SESSION_FIRST_YEAR = 2000
#: How far ahead a slot can be skipped.
SKIP_AHEAD = dt.timedelta(days=366)

#: The settings a person can change, each with its range.
SETTINGS: dict[str, tuple[str, Whole]] = {
    "roller_max_uses": ("roller uses", Whole(1, 1000, "Roller limits: 1-1000 uses.")),
    "roller_max_days": ("roller days", Whole(1, 3650, "Roller limits: 1-3650 days.")),
    "prep_minutes": (
        "prep reminder's minutes",
        Whole(0, 240, "The prep reminder comes 0 (off) to 240 minutes before a slot."),
    ),
    "session_check": (
        "session check",
        Whole(0, 1, "The session check is 1 (ask before each session) or 0 (off)."),
    ),
}


def in_years(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def years_error(what: str) -> InvalidInput:
    return InvalidInput(f"The {what} must be between the years {MIN_YEAR} and {MAX_YEAR}.")


def instant(value: object, what: str) -> dt.datetime:
    """An aware datetime within the years rollminder handles."""
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise InvalidInput(f"The {what} needs a date and a time with a time zone.")
    if not in_years(value.year):
        raise years_error(what)
    return value


def session_start(value: object, now: dt.datetime, what: str = "session's time") -> dt.datetime:
    """When a logged session started: an instant, not in the future beyond
    :data:`SESSION_AHEAD`, not before :data:`SESSION_FIRST_YEAR`."""
    at = instant(value, what)
    if at > now + SESSION_AHEAD:
        raise InvalidInput("A session cannot be logged in the future.")
    if at.year < SESSION_FIRST_YEAR:
        raise InvalidInput("That date is too far in the past.")
    return at


def day(value: object, what: str) -> dt.date:
    """A calendar day (not a datetime) within the years rollminder handles."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidInput(f"The {what} must be a day, such as 2026-12-16.")
    if not in_years(value.year):
        raise years_error(what)
    return value


def setting(key: str, value: object) -> int:
    """One setting's value, checked against its range."""
    if key not in SETTINGS:
        raise InvalidInput(f"There is no setting {key!r}.")
    what, limit = SETTINGS[key]
    return limit.check(value, what)


# -- the reminder workers (issue 16): `rollminder worker`
WORKER_BATCH = Whole(1, 10_000)
WORKER_THREADS = Whole(1, 256)
PORT_OR_NONE = Whole(0, 65_535)
WORKER_LEASE = Number(0.5, 3600, lo_included=True)
