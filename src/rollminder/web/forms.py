"""Reading form fields into domain values. Bad input raises InvalidInput with one line."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from rollminder import limits
from rollminder.errors import InvalidInput
from rollminder.model import ALL_DIRECTIONS, ALL_ZONES, WEEKDAYS
from rollminder.zonenames import zone_name

MAX_FIELD = 4000


def text(form: FormData, name: str, *, default: str = "") -> str:
    value = form.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidInput(f"The field {name!r} must be text.")
    if len(value) > MAX_FIELD:
        raise InvalidInput(f"The field {name!r} is too long.")
    return value.strip()


def number(form: FormData, name: str, what: str, *, whole: bool = False) -> float | int | None:
    raw = text(form, name)
    if not raw:
        return None
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise InvalidInput(f"{what} must be a number, not {raw[:20]!r}.") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{what} must be a number, not {raw[:20]!r}.")
    if whole:
        if value != int(value):
            raise InvalidInput(f"{what} must be a whole number.")
        return int(value)
    return value


def whole(form: FormData, name: str, what: str) -> int | None:
    value = number(form, name, what, whole=True)
    return None if value is None else int(value)


def day(form: FormData, name: str, what: str) -> dt.date | None:
    raw = text(form, name)
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"The {what} must be a date such as 2026-12-16.") from None
    if not limits.in_years(value.year):
        raise limits.years_error(what)
    return value


def wall_time(form: FormData, name: str, what: str) -> dt.time | None:
    raw = text(form, name)
    if not raw:
        return None
    try:
        value = dt.time.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"The {what} must be a time such as 21:00.") from None
    return value.replace(second=0, microsecond=0, tzinfo=None)


def local_instant(form: FormData, name: str, what: str, tz: ZoneInfo) -> dt.datetime | None:
    """A ``datetime-local`` field (wall time in the plan's zone) as an aware instant."""
    raw = text(form, name)
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"The {what} must be a date and time such as 2026-11-20T21:00."
        ) from None
    if not limits.in_years(value.year):
        raise limits.years_error(what)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def choices(form: FormData, name: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    values = []
    for value in form.getlist(name):
        if not isinstance(value, str) or value not in allowed:
            raise InvalidInput(f"Unknown {what}: choose from {', '.join(allowed)}.")
        values.append(value)
    return tuple(dict.fromkeys(values))


def weekdays(form: FormData, name: str = "days") -> tuple[int, ...] | None:
    chosen = choices(form, name, WEEKDAYS, "day")
    return tuple(WEEKDAYS.index(d) for d in chosen) or None


def zone(form: FormData, name: str = "tz") -> str | None:
    """A time zone as people write it ("Berlin", "new york", "Europe/Berlin"), as its IANA name."""
    raw = text(form, name)
    return zone_name(raw) if raw else None


def plan_choices(form: FormData) -> dict[str, Any]:
    """The plan fields a form gives (the wizard and the settings page), for ``set_plan``."""
    out: dict[str, Any] = {}
    needle = number(form, "needle_mm", "The needle length")
    if needle is not None:
        out["needle_mm"] = float(needle)
    days = weekdays(form)
    if days is not None:
        out["weekdays"] = days  # the use case makes one session of each day
    time = wall_time(form, "time", "time")
    if time is not None:
        out["time"] = time
    tz = text(form, "tz")
    if tz:
        out["tz"] = zone_name(tz)
    minutes = number(form, "minutes", "Minutes")
    if minutes is not None:
        out["minutes"] = float(minutes)
    if "zones_given" in form:
        zones = choices(form, "zones", ALL_ZONES, "zone")
        if not zones:
            raise InvalidInput("Choose at least one zone.")
        out["zones"] = zones
    if "directions_given" in form:
        directions = choices(form, "directions", ALL_DIRECTIONS, "direction")
        if not directions:
            raise InvalidInput("Choose at least one direction.")
        out["directions"] = directions
    rest_days = whole(form, "rest_days", "Rest in days")
    if rest_days is not None:
        if not 1 <= rest_days <= 84:
            raise InvalidInput("Rest is 1 to 84 days.")
        out["rest_hours"] = rest_days * 24
    for key, what in (
        ("rest_hours", "Rest in hours"),
        ("passes", "Passes per direction"),
        ("blackout_before_days", "Days of blackout before a visit"),
        ("blackout_after_days", "Days of blackout after a visit"),
    ):
        value = whole(form, key, what)
        if value is not None:
            out[key] = value
    return out


class PlanFields:
    """The plan fields of a step form (onboarding, a new routine), each read alone: its value in
    ``parsed`` as (field, plan choice, value), or its one-line message in ``errors``. Fields the
    answers do not hold yet are left out (a later step asks for them)."""

    def __init__(self, form: FormData, answers: Any, whose: str = "your roller's") -> None:
        self.form, self.answers, self.whose = form, answers, whose
        self.errors: dict[str, str] = {}
        self.parsed: list[tuple[str, str, Any]] = []

    def _read(self, field: str, key: str, fn: Any) -> None:
        try:
            value = fn()
        except InvalidInput as exc:
            self.errors[field] = exc.message
            return
        if value is not None:
            self.parsed.append((field, key, value))

    def _needle(self) -> float:
        value = number(self.form, "needle_mm", "The needle length")
        if value is None:
            raise InvalidInput(f"Choose {self.whose} needle length.")
        return float(value)

    def _time(self) -> Any:
        value = wall_time(self.form, "time", "time")
        if value is None:
            raise InvalidInput("Give the time of day, such as 21:00.")
        return value

    def _zones(self) -> tuple[str, ...]:
        chosen = choices(self.form, "zones", ALL_ZONES, "area")
        if not chosen:
            raise InvalidInput("Choose at least one area.")
        return chosen

    def _minutes(self) -> float | None:
        value = number(self.form, "minutes", "Minutes")
        return None if value is None else float(value)

    def read(self, *, needle_always: bool = True, tz: bool = False) -> PlanFields:
        """Read the needle (always, or only once given), days, time, minutes, the zone (when
        ``tz``) and the areas, in the order of the steps."""
        given = self.answers
        if needle_always or "needle_mm" in given:
            self._read("needle_mm", "needle_mm", self._needle)
        if needle_always or "days" in given:
            self._read("days", "weekdays", lambda: weekdays(self.form))
        if "time" in given:
            self._read("time", "time", self._time)
        if needle_always or "minutes" in given:
            self._read("minutes", "minutes", self._minutes)
        if tz and "tz" in given:
            self._read("tz", "tz", lambda: zone(self.form, "tz"))
        if "zones_given" in given or (not needle_always and "zones" in given):
            self._read("zones", "zones", self._zones)
        return self
