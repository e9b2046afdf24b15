"""The domain's values: frozen dataclasses, no IO, no clock.

Conventions:
- Instants (session start, skip slot, visit time, created_at) are aware datetimes. The store keeps
  them as UTC; the domain converts to the plan's zone where a wall time matters.
- Calendar days (pause ranges, roller first use) are plain dates in the plan's zone.
- Every stored row has a stable text id (a UUID4 hex) so export/import round-trips losslessly.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the reminder records live in rollminder.remind.records (see __getattr__)
    from rollminder.remind.records import ChannelConfig as ChannelConfig
    from rollminder.remind.records import ChannelStatus as ChannelStatus
    from rollminder.remind.records import Delivery as Delivery
    from rollminder.remind.records import Snooze as Snooze

UTC = dt.UTC


def new_id() -> str:
    """A stable, unique row id (used across export and import)."""
    return uuid.uuid4().hex


class Direction(StrEnum):
    VERTICAL = "vertical"
    HORIZONTAL = "horizontal"
    DIAGONAL_UP_RIGHT = "diagonal-up-right"
    DIAGONAL_UP_LEFT = "diagonal-up-left"


ALL_DIRECTIONS: tuple[str, ...] = tuple(d.value for d in Direction)

#: Zones a plan can cover (DOMAIN.md: face = forehead, cheeks, chin and jaw; neck; chest; spots).
ZONES: tuple[str, ...] = ("forehead", "cheeks", "chin", "neck", "chest", "spots")
DEFAULT_ZONES: tuple[str, ...] = ("forehead", "cheeks", "chin")
#: Body areas (issue 12: routines; DOMAIN.md "Areas with different needles"), rolled with a
#: routine of their own, often with a longer needle. ``hands`` is the back of the hands.
BODY_ZONES: tuple[str, ...] = ("thighs", "arms", "abdomen", "hands")
#: Every zone a plan, a session, a pause, a hold or a visit can name.
ALL_ZONES: tuple[str, ...] = ZONES + BODY_ZONES
#: Words that stand for several zones where areas are given (``--areas face``).
AREA_GROUPS: dict[str, tuple[str, ...]] = {
    "face": DEFAULT_ZONES,
    "body": BODY_ZONES,
}

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

REACTIONS: tuple[str, ...] = ("none", "mild", "moderate", "strong")


@dataclass(frozen=True)
class Plan:
    """A home-rolling plan. Validated by :func:`rollminder.rules.validate_plan`."""

    needle_mm: float
    sessions: int  # sessions per period
    every_weeks: int  # period length in weeks (1 = "a week"; 3 = "every 3 weeks" for 0.75 mm)
    weekdays: tuple[int, ...]  # 0 = Monday ... 6 = Sunday, sorted, one per session
    time: dt.time  # local wall time of each slot
    tz: str  # IANA zone name
    minutes: float
    zones: tuple[str, ...]
    directions: tuple[str, ...]
    passes: int
    rest_hours: int  # minimum rest counted from the last session, in wall-clock hours
    start: dt.date  # first day the plan counts (slots before it are never "missed")
    blackout_before_days: int = 7
    blackout_after_days: int = 14
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock
    # The routine this is a version of (migration 8); "" for the profile's first routine.
    routine: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class Routine:
    """One area (or set of areas) with its own roller and plan (DOMAIN.md "Words"): its areas,
    needle, minutes and guide are its current plan's. Most people have one."""

    name: str
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock


def routine_name(zones: tuple[str, ...]) -> str:
    """The name the first set-up gives a routine: "face" unless it rolls no face zone, else the
    first area it rolls ("thighs")."""
    if not zones or any(z in DEFAULT_ZONES or z == "spots" for z in zones):
        return "face"
    return zones[0]


def expand_areas(areas: tuple[str, ...]) -> frozenset[str]:
    """The zones a tuple of areas stands for (``face`` is forehead, cheeks and chin)."""
    out: set[str] = set()
    for a in areas:
        out.update(AREA_GROUPS.get(a, (a,)))
    return frozenset(out)


def concerns(areas: tuple[str, ...], zones: tuple[str, ...]) -> bool:
    """Whether a pause, hold or visit given for ``areas`` stops a routine rolling ``zones``:
    one with no areas stops every routine; "spots" are wherever they are (any routine)."""
    if not areas or not zones:
        return True
    wanted = expand_areas(areas)
    return "spots" in wanted or "spots" in zones or bool(wanted & set(zones))


@dataclass(frozen=True)
class Session:
    """What was actually done."""

    start: dt.datetime  # aware
    minutes: float
    zones: tuple[str, ...]
    reaction: str | None = None  # one of REACTIONS or None when not asked
    note: str = ""
    roller_id: str | None = None
    # The IANA zone it was done in (DOMAIN.md: travelling never relabels history); "" for a
    # session from an export made before zones were kept: then the plan's zone stands in.
    tz: str = ""
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock
    routine: str = field(default="", kw_only=True)  # its routine's id; "" for the first one

    def local_start(self, fallback: str) -> dt.datetime:
        """When it began, in the zone it was done in (``fallback`` for a session without one)."""
        return self.start.astimezone(ZoneInfo(self.tz or fallback))


@dataclass(frozen=True)
class Skip:
    """A slot deliberately not done."""

    slot: dt.datetime  # aware: the slot's start
    reason: str = ""  # optional: a skip is a decision, its reason is the person's to give
    catch_up: bool = False  # the person asked for a catch-up later in the period (migration 5)
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock
    routine: str = field(default="", kw_only=True)  # its routine's id; "" for the first one


@dataclass(frozen=True)
class Pause:
    """No sessions and no reminders from ``first`` through ``last`` (inclusive, plan-zone dates)."""

    first: dt.date
    last: dt.date
    reason: str = ""
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock
    # The areas it stops (migration 8): a routine rolling none of them goes on; () = every one.
    areas: tuple[str, ...] = field(default=(), kw_only=True)

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Roller:
    """A physical roller: its needle length, when it came into use, and how often it was used."""

    label: str
    needle_mm: float
    added: dt.date
    first_use: dt.date | None = None  # set explicitly or derived from the first logged session
    initial_uses: int = 0  # uses before it was added to rollminder
    retired: dt.date | None = None
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock
    routine: str = field(default="", kw_only=True)  # its routine's id; "" for the first one


@dataclass(frozen=True)
class Series:
    """An in-office treatment series: ``count`` visits about ``spacing_weeks`` apart."""

    name: str
    count: int
    spacing_weeks: int
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock


@dataclass(frozen=True)
class Visit:
    """An in-office treatment, possibly one of a :class:`Series`."""

    at: dt.datetime  # aware
    clinic: str = ""
    note: str = ""
    series_id: str | None = None
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock
    # The areas treated (migration 8): its blackout stops the routines rolling them; () = all.
    areas: tuple[str, ...] = field(default=(), kw_only=True)


@dataclass(frozen=True)
class Settings:
    """Per-profile settings that are not part of the plan (DOMAIN.md defaults)."""

    roller_max_uses: int = 10
    roller_max_days: int = 90
    # Minutes before a slot for the "start soaking your roller" reminder; 0 turns it off.
    # DOMAIN.md: the soak takes about 10 minutes; 15 is our default (no source gives one).
    prep_minutes: int = 15
    session_check: int = 1  # 1: the pre-session check before each session; 0: off
    # Travel (DOMAIN.md "Travel and time zones"): while set, slots and reminders follow this zone
    # (the plan's wall time there) through ``travel_until`` (an ISO date, "" for until ended).
    # Not in limits.SETTINGS: neither the settings command nor an export carries them.
    travel_tz: str = ""
    travel_until: str = ""
    # The IANA zone of a person who tracks clinic visits only (a needle of 1.0 mm or longer: no
    # home plan, DOMAIN.md); "" for everyone else. Without a plan, times are shown in it.
    clinic_zone: str = ""


#: The settings of a travel (not carried by an export: where the person is now).
TRAVEL_FIELDS = frozenset({"travel_tz", "travel_until"})


@dataclass(frozen=True)
class Log:
    """Everything the schedule needs besides the plan. Sequences are sorted by time."""

    sessions: tuple[Session, ...] = ()
    skips: tuple[Skip, ...] = ()
    pauses: tuple[Pause, ...] = ()
    visits: tuple[Visit, ...] = ()
    holds: tuple[Hold, ...] = ()


@dataclass(frozen=True)
class Hold:
    """No rolling from ``since`` until ``until`` (aware instants, ``until`` exclusive): the time a
    retinoid, peel, Botox or filler needs to pass (rules.STOP_QUESTIONS' ``hold_hours``)."""

    since: dt.datetime  # when the treatment was (aware)
    until: dt.datetime  # rolling is allowed again from this instant (aware)
    reason: str  # the stop question's reason, shown to people
    question: str = ""  # the key of the stop question that set it ("retinoid"), or ""
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock
    # The areas it stops (migration 8; a sunburn asks where): () = every routine.
    areas: tuple[str, ...] = field(default=(), kw_only=True)

    def covers(self, instant: dt.datetime) -> bool:
        return self.since <= instant < self.until


@dataclass(frozen=True)
class ClinicianAnswer:
    """One answer to an "ask a clinician first" question (rules.CLINICIAN_QUESTIONS); a yes is
    a standing note shown at the start of each session. One row per question and profile."""

    question: str  # the question's key ("pregnancy")
    yes: bool
    answered_at: dt.datetime  # aware
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock


@dataclass(frozen=True)
class UndoStep:
    """One edit or deletion that ``undo`` can take back: every row it changed, before and after
    (as the export writes rows; see :mod:`rollminder.usecases.undo`). Newest last."""

    action: str  # "edit" or "delete"
    changes: str  # JSON: [{"kind": "sessions", "before": {...} | null, "after": {...} | null}]
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock
