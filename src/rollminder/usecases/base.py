"""What every use case shares: the store, the clock, the plan and the log it needs.

A use case reads ``now`` once (:meth:`Base.now`) and passes it down; records get their
``created_at`` from it. Faces never touch :attr:`Base.store`: they call the facade's methods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from rollminder import schedule
from rollminder.errors import InvalidInput, NoPlan, NotFound
from rollminder.model import Log, Plan, Roller

if TYPE_CHECKING:
    from rollminder.store import Store


class HasId(Protocol):
    @property
    def id(self) -> str: ...


def after(now: dt.datetime, previous: dt.datetime | None) -> dt.datetime:
    """``now``, or just after ``previous`` when a clock set back would put a new version first."""
    if previous is not None and now <= previous:
        return previous + dt.timedelta(microseconds=1)
    return now


def says_day(day: dt.date) -> str:
    """How a day is written in messages: 'Wed 25 Nov 2026' (as the CLI writes days)."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def says_at(when: dt.datetime) -> str:
    return f"{says_day(when.date())} {when:%H:%M}"


def find(rows: Sequence[HasId], ref: object, what: str) -> str:
    """The id of the one row whose id starts with ``ref`` (at least 4 characters)."""
    if not isinstance(ref, str):
        raise InvalidInput(f"Give the {what} id (at least 4 characters).")
    ref = ref.strip().lower()
    if len(ref) < 4:
        raise InvalidInput(f"Give at least 4 characters of the {what} id.")
    hits = [r.id for r in rows if r.id.startswith(ref)]
    if not hits:
        raise NotFound(f"No {what} with id {ref!r}.")
    if len(hits) > 1:
        raise InvalidInput(f"{ref!r} matches several {what}s: give more of the id.")
    return hits[0]


def check_areas(areas: object, what: str = "areas") -> tuple[str, ...]:
    """Areas a pause, a hold or a visit stops (issue 12): zone names or the words face and body;
    () stands for every area (every routine)."""
    from rollminder.model import ALL_ZONES, AREA_GROUPS

    if isinstance(areas, str):
        areas = areas.split(",")
    if not isinstance(areas, list | tuple) or not all(isinstance(a, str) for a in areas):
        raise InvalidInput(f"The {what} are names, such as face or thighs.")
    out = tuple(dict.fromkeys(a.strip().lower() for a in areas if a.strip()))
    known = (*AREA_GROUPS, *ALL_ZONES)
    for a in out:
        if a not in known:
            shown = a[:40].encode("unicode_escape").decode("ascii")
            raise InvalidInput(f"Unknown area {shown!r}: choose from {', '.join(known)}.")
    return out


def current_roller(rollers: Sequence[Roller]) -> Roller | None:
    active = [r for r in rollers if r.retired is None]
    return active[-1] if active else None


class Base:
    """The use cases for one routine of a profile (issue 12). ``clock`` returns an aware
    ``datetime``; ``routine`` is a routine's id, None for the profile's first routine.

    :attr:`store` is the routine's view of the profile's store (:class:`RoutineView`: its own
    plan, log and rollers, the pauses, holds and visits that concern its areas, the profile's
    settings and reminders); :attr:`raw` is the profile's whole store (export, import, routines).
    """

    def __init__(
        self, store: Store, clock: Callable[[], dt.datetime], routine: str | None = None
    ) -> None:
        from rollminder.store.routines import RoutineView

        raw = store.inner if isinstance(store, RoutineView) else store
        self.raw: Store = raw
        self.store: Store = RoutineView(raw, routine)
        self.routine_id = routine
        self.clock = clock

    def now(self) -> dt.datetime:
        """Read the clock: once per use case."""
        return self.clock()

    def close(self) -> None:
        self.store.close()

    def home_plan(self) -> Plan:
        """The plan as the person set it up (its own zone, whatever the travel)."""
        plan = self.store.plan()
        if plan is None:
            # Faces say how to make one (the CLI names its command, the web links its set-up).
            raise NoPlan("No plan yet: set up your plan first.")
        return plan

    def plan(self) -> Plan:
        """The plan in force now: while travelling, its wall time in the zone the person is in
        (DOMAIN.md "Travel and time zones"); slots, reminders and new sessions follow it."""
        return self.travelling(self.home_plan())

    def travelling(self, plan: Plan) -> Plan:
        """``plan`` in the travel zone, while a travel is on."""
        zone = self.travel_zone()
        return plan if zone is None or zone == plan.tz else replace(plan, tz=zone)

    def travel_zone(self) -> str | None:
        """The zone of the travel that is on now, or None."""
        settings = self.store.settings()
        if not settings.travel_tz:
            return None
        if settings.travel_until:
            try:
                until = dt.date.fromisoformat(settings.travel_until)
            except ValueError:
                return None
            if self.now().astimezone(ZoneInfo(settings.travel_tz)).date() > until:
                return None
        return settings.travel_tz

    def has_plan(self) -> bool:
        return self.store.plan() is not None

    def zone(self) -> ZoneInfo:
        """The zone the person is in: the travel's, else the plan's; without a plan, a
        clinic-only person's zone; else UTC."""
        plan = self.store.plan()
        if plan:
            return ZoneInfo(self.travel_zone() or plan.tz)
        name = self.store.settings().clinic_zone
        if name:
            from rollminder.zonenames import is_zone

            if is_zone(name):  # an imported export could name a zone this machine lacks
                return ZoneInfo(name)
        return ZoneInfo("UTC")

    def clinic_only(self) -> bool:
        """No home plan, and the person chose to track clinic visits (1.0 mm and longer)."""
        return self.store.plan() is None and bool(self.store.settings().clinic_zone)

    def local_now(self) -> dt.datetime:
        return self.now().astimezone(self.zone())

    def log_for(self, plan: Plan, now: dt.datetime, *, full: bool = False) -> Log:
        """What the schedule needs at ``now``. Unless ``full``, only the recent log is read."""
        since = None
        if not full:
            today = now.astimezone(ZoneInfo(plan.tz)).date()
            first = schedule.period_first(plan, today)
            margin = dt.timedelta(hours=plan.rest_hours) + dt.timedelta(days=8)
            since = dt.datetime.combine(first, dt.time(0), ZoneInfo(plan.tz)) - margin
        return Log(
            sessions=tuple(self.store.sessions(since=since)),
            skips=tuple(self.store.skips(since=since)),
            pauses=tuple(self.store.pauses()),
            visits=tuple(self.store.visits()),
            holds=tuple(self.store.holds()),
        )

    def current_roller(self) -> Roller | None:
        return current_roller(self.store.rollers())
