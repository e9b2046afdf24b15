"""Domain rules as data, each with its source (../shared/DOMAIN.md, docs/domain.md).

Pure: no IO, no clock.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rollminder import limits
from rollminder.errors import InvalidInput, NoHomePlan, PlanRefused
from rollminder.model import ALL_DIRECTIONS, ALL_ZONES, DEFAULT_ZONES, WEEKDAYS, Plan

NOT_MEDICAL_ADVICE = (
    "rollminder is a reminder and a guide, not medical advice or a medical device. "
    "Ask a dermatologist before you start home micro-needling "
    "(so says the American Academy of Dermatology)."
)

PROFESSIONAL_MM = 1.0
MAX_NEEDLE_MM = 3.0


class NeedleRule(NamedTuple):
    """One row of the needle table: applies to needles up to ``max_mm`` (inclusive)."""

    max_mm: float
    label: str
    sessions: int  # default sessions per period
    every_weeks: int  # default period length
    rest_hours: int  # default minimum rest from the last session
    floor_hours: int  # the user may never go below this
    warning: str
    source: str  # the detailed sources, for a "Why?" view only
    basis: str  # the sources in people's words, for the main text


NEEDLE_TABLE: tuple[NeedleRule, ...] = (
    NeedleRule(
        max_mm=0.3,
        label="up to 0.3 mm",
        sessions=2,
        every_weeks=1,
        rest_hours=48,
        floor_hours=24,
        warning="",
        source=(
            "A LifeZette article on micro-needling: about 3 minutes, twice a week with ~0.1 mm DIY "
            "rollers. Others range from daily (necolebitchie.com) to every 2 weeks "
            "(cynthialoewenblog.com)."
        ),
        basis="a LifeZette article on micro-needling; skincare retailers' guides disagree: from "
        "daily to every two weeks",
    ),
    NeedleRule(
        max_mm=0.5,
        label="0.5 mm",
        sessions=1,
        every_weeks=1,
        rest_hours=7 * 24,
        floor_hours=5 * 24,
        warning="",
        source=(
            "1-3 a week (necolebitchie.com); weekly, 2 weeks for sensitive skin "
            "(scandinavianbiolabs.com); every 3-4 weeks (ansvers). Default: once a week."
        ),
        basis="skincare retailers' guides disagree: from 3 a week to every 4 weeks",
    ),
    NeedleRule(
        max_mm=PROFESSIONAL_MM - 0.001,
        label="0.75 mm",
        sessions=1,
        every_weeks=3,
        rest_hours=21 * 24,
        floor_hours=14 * 24,
        warning=(
            "0.75 mm is close to professional depth: roll gently, keep to the rest interval, "
            "and ask a dermatologist first."
        ),
        source="Every 2-4 weeks (necolebitchie.com); every 4 weeks (trendingindia.com).",
        basis="skincare retailers' guides say every 2 to 4 weeks",
    ),
)

NO_HOME_PLAN_REASON = (
    "Needles of 1.0 mm and longer are for professionals (every 4-6 weeks, 1.5 mm is clinic use): "
    "rollminder makes no home plan for them. Track your clinic visits instead: their dates, "
    "the days without home rolling around them, and when to book the next one."
)


def needle_rule(needle_mm: float) -> NeedleRule:
    """The table row for a needle length; lengths between rows take the longer (stricter) row."""
    if not math.isfinite(needle_mm) or needle_mm <= 0 or needle_mm > MAX_NEEDLE_MM:
        raise InvalidInput(
            f"Needle length must be a number of millimetres above 0 and at most {MAX_NEEDLE_MM}."
        )
    if needle_mm >= PROFESSIONAL_MM:
        raise NoHomePlan(NO_HOME_PLAN_REASON)
    for rule in NEEDLE_TABLE:
        if needle_mm <= rule.max_mm + 1e-9:
            return rule
    raise NoHomePlan(NO_HOME_PLAN_REASON)  # pragma: no cover - the table covers < 1.0


def default_weekdays(sessions: int, every_weeks: int) -> tuple[int, ...]:
    """Evenly spread default days: 1 -> Sun, 2 -> Mon+Thu, 3 -> Mon+Wed+Fri, ..."""
    if every_weeks > 1 or sessions == 1:
        return (6,) if every_weeks == 1 else (5,)
    presets = {2: (0, 3), 3: (0, 2, 4), 4: (0, 2, 4, 6), 5: (0, 1, 3, 4, 6), 6: (0, 1, 2, 3, 4, 5)}
    return presets.get(sessions, tuple(range(min(sessions, 7))))


def check_zone(name: str) -> ZoneInfo:
    try:
        if not name or name != name.strip() or name.startswith("/") or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput(
            f"Unknown time zone {name!r}: use an IANA name such as Europe/Berlin."
        ) from exc


def fmt_hours(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day" if days == 1 else f"{days} days"
    return f"{hours} h"


def period_phrase(sessions: int, every_weeks: int) -> str:
    what = "1 session" if sessions == 1 else f"{sessions} sessions"
    return f"{what} a week" if every_weeks == 1 else f"{what} every {every_weeks} weeks"


#: Plan fields by type, with the words a person sees in an error.
_WHOLE_FIELDS = {
    "sessions": "Sessions per period",
    "every_weeks": "The period in weeks",
    "passes": "Passes per direction",
    "rest_hours": "Rest in hours",
    "blackout_before_days": "Days of blackout before a visit",
    "blackout_after_days": "Days of blackout after a visit",
}
_NUMBER_FIELDS = {"needle_mm": "The needle length", "minutes": "Minutes"}
_NAME_FIELDS = {"zones": "Zones", "directions": "Directions"}
MIN_YEAR, MAX_YEAR = limits.MIN_YEAR, limits.MAX_YEAR


def check_types(values: dict[str, object]) -> None:
    """One clear line when a plan field has the wrong type (None means "not given")."""
    for key, value in values.items():
        if value is None:
            continue
        if key in _WHOLE_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(f"{_WHOLE_FIELDS[key]} must be a whole number.")
        elif key in _NUMBER_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"{_NUMBER_FIELDS[key]} must be a number.")
        elif key in _NAME_FIELDS:
            if not isinstance(value, tuple | list) or not all(isinstance(v, str) for v in value):
                raise InvalidInput(f"{_NAME_FIELDS[key]} must be a list of names.")
        elif key == "weekdays":
            if not isinstance(value, tuple | list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise InvalidInput("Weekdays must be days from mon to sun.")
        elif key == "time":
            if not isinstance(value, dt.time):
                raise InvalidInput("The time must be a time of day, such as 21:00.")
        elif key == "tz":
            if not isinstance(value, str):
                raise InvalidInput("The time zone must be an IANA name such as Europe/Berlin.")
        elif key == "start":
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise InvalidInput("The plan's start must be a day, such as 2026-11-25.")
            if not MIN_YEAR <= value.year <= MAX_YEAR:
                raise InvalidInput(
                    f"The plan's start must be between the years {MIN_YEAR} and {MAX_YEAR}."
                )


def make_plan(
    *,
    needle_mm: float,
    start: dt.date,
    sessions: int | None = None,
    every_weeks: int | None = None,
    weekdays: tuple[int, ...] | None = None,
    time: dt.time = dt.time(21, 0),
    tz: str = "UTC",
    minutes: float = 3,
    zones: tuple[str, ...] = DEFAULT_ZONES,
    directions: tuple[str, ...] = ALL_DIRECTIONS,
    passes: int = 5,
    rest_hours: int | None = None,
    blackout_before_days: int = 7,
    blackout_after_days: int = 14,
    created_at: dt.datetime,
) -> Plan:
    """Build a plan from what the person chose, with the needle table's defaults; validate it.
    ``created_at`` is the use case's ``now``."""
    check_types(
        {
            "needle_mm": needle_mm,
            "start": start,
            "sessions": sessions,
            "every_weeks": every_weeks,
            "weekdays": weekdays,
            "time": time,
            "tz": tz,
            "minutes": minutes,
            "zones": zones,
            "directions": directions,
            "passes": passes,
            "rest_hours": rest_hours,
            "blackout_before_days": blackout_before_days,
            "blackout_after_days": blackout_after_days,
        }
    )
    rule = needle_rule(needle_mm)
    if every_weeks is None:
        every_weeks = rule.every_weeks if sessions in (None, 1) else 1
    if sessions is None:
        sessions = rule.sessions if every_weeks == rule.every_weeks else 1
    if weekdays is None:
        weekdays = default_weekdays(sessions, every_weeks)
    plan = Plan(
        needle_mm=round(float(needle_mm), 3),
        sessions=sessions,
        every_weeks=every_weeks,
        weekdays=tuple(sorted(set(weekdays))),
        time=time.replace(second=0, microsecond=0, tzinfo=None),
        tz=tz,
        minutes=minutes,
        zones=tuple(zones),
        directions=tuple(directions),
        passes=passes,
        rest_hours=rule.rest_hours if rest_hours is None else rest_hours,
        start=start,
        blackout_before_days=blackout_before_days,
        blackout_after_days=blackout_after_days,
        created_at=created_at,
    )
    validate_plan(plan)
    return plan


def validate_plan(plan: Plan) -> Plan:
    """Raise :class:`PlanRefused` or :class:`InvalidInput` with one clear line, or return it."""
    check_types({f: getattr(plan, f) for f in (*_WHOLE_FIELDS, *_NUMBER_FIELDS, *_NAME_FIELDS)})
    check_types({"weekdays": plan.weekdays, "time": plan.time, "tz": plan.tz, "start": plan.start})
    rule = needle_rule(plan.needle_mm)
    check_zone(plan.tz)
    limits.PLAN_WEEKS.check(plan.every_weeks, "period")
    limits.PLAN_SESSIONS.check(plan.sessions, "sessions")
    if plan.every_weeks > 1 and plan.sessions != 1:
        raise InvalidInput("A plan of several weeks' period has exactly 1 session per period.")
    limits.PLAN_MINUTES.check(plan.minutes, "minutes")
    limits.PASSES.check(plan.passes, "passes")
    if not plan.zones:
        raise InvalidInput(f"Choose at least one zone: {', '.join(ALL_ZONES)}.")
    bad = [z for z in plan.zones if z not in ALL_ZONES]
    if bad:
        raise InvalidInput(f"Unknown zone {bad[0]!r}: choose from {', '.join(ALL_ZONES)}.")
    if len(set(plan.zones)) != len(plan.zones):
        raise InvalidInput("Each zone may be listed once.")
    if not plan.directions:
        raise InvalidInput(f"Choose at least one direction: {', '.join(ALL_DIRECTIONS)}.")
    bad = [d for d in plan.directions if d not in ALL_DIRECTIONS]
    if bad:
        raise InvalidInput(
            f"Unknown direction {bad[0]!r}: choose from {', '.join(ALL_DIRECTIONS)}."
        )
    limits.BLACKOUT_BEFORE.check(plan.blackout_before_days, "blackout")
    limits.BLACKOUT_AFTER.check(plan.blackout_after_days, "blackout")
    if any(not 0 <= d <= 6 for d in plan.weekdays) or len(set(plan.weekdays)) != len(plan.weekdays):
        raise InvalidInput("Weekdays must be distinct days from mon to sun.")
    if not 1 <= plan.rest_hours <= 24 * 7 * 12:
        raise InvalidInput("Rest must be between 1 hour and 12 weeks.")
    if plan.rest_hours < rule.floor_hours:
        raise PlanRefused(
            f"{plan.needle_mm:g} mm needles need at least {fmt_hours(rule.floor_hours)} of rest "
            f"between sessions (default {fmt_hours(rule.rest_hours)}); "
            f"{fmt_hours(plan.rest_hours)} is too short."
        )
    period_hours = 7 * 24 * plan.every_weeks
    fits = period_hours // plan.rest_hours
    if fits == 0:
        weeks = -(-plan.rest_hours // (7 * 24))
        raise PlanRefused(
            f"{plan.needle_mm:g} mm needles need {fmt_hours(plan.rest_hours)} of rest: "
            f"plan 1 session every {weeks} weeks or longer."
        )
    if plan.sessions > fits:
        per = "a week" if plan.every_weeks == 1 else f"every {plan.every_weeks} weeks"
        most = f"at most {fits} session{' fits' if fits == 1 else 's fit'} {per}"
        raise PlanRefused(
            f"{plan.needle_mm:g} mm needles need {fmt_hours(plan.rest_hours)} of rest "
            f"(at least {fmt_hours(rule.floor_hours)}), so {most}; you asked for {plan.sessions}."
        )
    if len(plan.weekdays) != plan.sessions:
        raise InvalidInput(
            f"Choose {plan.sessions} day{'s' if plan.sessions != 1 else ''} "
            f"for {period_phrase(plan.sessions, plan.every_weeks)} "
            f"(you chose {len(plan.weekdays)})."
        )
    days = sorted(plan.weekdays)
    for i, day in enumerate(days):
        nxt = days[(i + 1) % len(days)]
        gap = (nxt - day) % 7 or 7
        if len(days) > 1 and gap * 24 < plan.rest_hours:
            raise PlanRefused(
                f"{WEEKDAYS[day].capitalize()} and {WEEKDAYS[nxt].capitalize()} are only "
                f"{fmt_hours(gap * 24)} apart; this plan needs {fmt_hours(plan.rest_hours)} "
                "of rest. Choose days further apart."
            )
    return plan


def replan(plan: Plan, **changes: object) -> Plan:
    """A changed copy of a plan, validated. The start date is kept."""
    unknown = sorted(
        set(changes)
        - {*_WHOLE_FIELDS, *_NUMBER_FIELDS, *_NAME_FIELDS}
        - {
            "weekdays",
            "time",
            "tz",
        }
    )
    if unknown:
        raise InvalidInput(f"A plan has no setting {unknown[0]!r}.")
    return validate_plan(replace(plan, **changes))  # type: ignore[arg-type]


def plan_warning(plan: Plan) -> str:
    return needle_rule(plan.needle_mm).warning


# ---------------------------------------------------------------- rollers and visits

ROLLER_SOURCE = (
    "Needles dull (AAD). Replace after 8-10 uses (facefirma), 12-15 uses (theglamorouswoman.com) "
    "or every 3-4 months (levintel.com); default: 10 uses or 90 days, whichever comes first."
)

SERIES_MIN_WEEKS = 4
SERIES_MAX_WEEKS = 6
SERIES_SOURCE = (
    "In-office series: 4-6 sessions spaced 4-6 weeks apart (a LifeZette article on micro-needling)."
)
BLACKOUT_SOURCE = (
    "Our default, ask your clinician: no home rolling from 7 days before to 14 days after a "
    "clinic visit (no source addresses it)."
)


# ---------------------------------------------------------------- the pre-session check


class CheckQuestion(NamedTuple):
    """One question of the pre-session check (DOMAIN.md, "Don't roll today if").

    A "yes" to a stop question ends the check: no rolling today. When ``asks_date`` is set, the
    person can give the date (or date and time) of the treatment, and rolling stays blocked until
    ``hold_hours`` after it. Clinician questions never block; a "yes" becomes a standing note.
    """

    key: str
    text: str  # asked as a yes/no question; "yes" means stop (or: see a clinician first)
    reason: str  # the skip reason (stop questions) or the standing note (clinician questions)
    hold_hours: int | None  # how long after the given date rolling stays blocked
    asks_date: bool
    source: str


STOP_QUESTIONS: tuple[CheckQuestion, ...] = (
    CheckQuestion(
        "skin",
        "Active acne, an infection, a cold sore, eczema, psoriasis or a rosacea flare in the area?",
        "skin not ready: active breakout, infection or flare in the area",
        None,
        False,
        "Contraindication lists: balancedayspa.com, purelyboutique.com, mailash.com.",
    ),
    CheckQuestion(
        "sun",
        "Sunburn, or strong sun for a long time in the last 24 hours?",
        "sunburn or strong sun in the last 24 hours",
        None,
        False,
        "kdsmile.com (24 h); dermaroller-planet.com says 24-48 h.",
    ),
    CheckQuestion(
        "retinoid",
        "A retinoid (retinol, tretinoin, vitamin A cream) in the last 48 hours?",
        "retinoid in the last 48 hours",
        48,
        True,
        "beautyandthebroworlando.com (48 h); kdsmile.com says 12 h. Default: 48 h.",
    ),
    CheckQuestion(
        "peel",
        "A chemical peel or deep exfoliation in the last 30 days?",
        "chemical peel or deep exfoliation in the last 30 days",
        30 * 24,
        True,
        "Contraindication lists: balancedayspa.com, purelyboutique.com.",
    ),
    CheckQuestion(
        "botox",
        "Botox in the area in the last 3 months?",
        "Botox in the area in the last 3 months",
        91 * 24,  # 3 months, counted as 91 days
        True,
        "Contraindication lists: mailash.com, theglamorouswoman.com.",
    ),
    CheckQuestion(
        "fillers",
        "Fillers in the area in the last 12 months?",
        "fillers in the area in the last 12 months",
        365 * 24,
        True,
        "Contraindication lists: mailash.com, theglamorouswoman.com.",
    ),
)

CLINICIAN_QUESTIONS: tuple[CheckQuestion, ...] = (
    CheckQuestion(
        "isotretinoin",
        "Isotretinoin (Accutane) now or in the last 6 months?",
        "Isotretinoin in the last 6 months: ask a clinician before rolling. "
        "The package insert says wait 6 months; 2017 consensus statements (ASDS, "
        "JAMA Dermatology) found no need to delay superficial procedures. Sources conflict.",
        None,
        False,
        "Isotretinoin package insert; ASDS and JAMA Dermatology consensus statements (2017).",
    ),
    CheckQuestion(
        "pregnancy",
        "Pregnant or breastfeeding?",
        "Pregnant or breastfeeding: ask a clinician before rolling.",
        None,
        False,
        "Contraindication lists: balancedayspa.com, purelyboutique.com.",
    ),
    CheckQuestion(
        "bleeding",
        "A bleeding disorder, or taking blood thinners?",
        "Bleeding disorder or blood thinners: ask a clinician before rolling.",
        None,
        False,
        "Contraindication lists: balancedayspa.com, mailash.com.",
    ),
    CheckQuestion(
        "diabetes",
        "Diabetes that is not under control?",
        "Uncontrolled diabetes: ask a clinician before rolling.",
        None,
        False,
        "Contraindication lists: purelyboutique.com, mailash.com.",
    ),
    CheckQuestion(
        "keloid",
        "A tendency to keloid (raised, overgrown) scars?",
        "Tendency to keloid scars: ask a clinician before rolling.",
        None,
        False,
        "Contraindication lists: theglamorouswoman.com, mailash.com.",
    ),
)


def stop_question(key: str) -> CheckQuestion:
    for question in STOP_QUESTIONS:
        if question.key == key:
            return question
    raise InvalidInput(
        f"There is no check question {key!r}: use one of "
        + ", ".join(q.key for q in STOP_QUESTIONS)
        + "."
    )
