"""Use cases of the plan: set it up, change it, preview it, and the outlook now."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from typing import NamedTuple
from zoneinfo import ZoneInfo

from rollminder import limits, rules, schedule
from rollminder.errors import InvalidInput, RollminderError
from rollminder.model import ALL_DIRECTIONS, DEFAULT_ZONES, Log, Plan
from rollminder.state import Slot, State
from rollminder.usecases.base import Base, after

#: The plan's fields a person may choose (``set_plan``); ``start`` only for a new plan.
PLAN_CHOICES = frozenset(
    {
        "needle_mm",
        "sessions",
        "every_weeks",
        "weekdays",
        "time",
        "tz",
        "minutes",
        "zones",
        "directions",
        "passes",
        "rest_hours",
        "blackout_before_days",
        "blackout_after_days",
    }
)


def _paced(choices: dict[str, object]) -> dict[str, object]:
    """The choices with the minutes grown so that no step of the guided session is under 10 s
    (DOMAIN.md, "Technique"): 7 areas x 4 directions need at least 4 min 40 s."""
    zones = choices.get("zones", DEFAULT_ZONES)
    directions = choices.get("directions", ALL_DIRECTIONS)
    minutes = choices.get("minutes", 3)
    if not (isinstance(zones, tuple | list) and isinstance(directions, tuple | list)):
        return choices
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        return choices
    from rollminder.guide import min_minutes  # not at start-up: 'next' never needs it

    least = min_minutes([str(z) for z in zones], [str(d) for d in directions])
    if minutes < least and least <= 30:
        return {**choices, "minutes": round(least, 4)}
    return choices


def _spread(days: tuple[int, ...]) -> int:
    """The shortest gap in days between the days of a week (7 for one day)."""
    ordered = sorted(days)
    return min(((ordered[(i + 1) % len(ordered)] - d) % 7 or 7) for i, d in enumerate(ordered))


def _keep_days(
    current: Plan, merged: dict[str, object], now: dt.datetime
) -> tuple[int, ...] | None:
    """The days a changed routine keeps: a valid choice of the person's days (more sessions:
    all of them plus the days that spread the week most evenly), or None for the defaults.
    Among equals the most evenly spread wins, then the person's order (for one session: the
    first of their days)."""
    probe = {k: v for k, v in merged.items() if k != "weekdays"}
    if "sessions" not in probe:
        rule = rules.needle_rule(float(probe["needle_mm"]))  # type: ignore[arg-type]
        weeks = probe.get("every_weeks")
        probe["sessions"] = rule.sessions if weeks in (None, rule.every_weeks) else 1
    n = probe["sessions"]
    if not isinstance(n, int) or not 1 <= n <= 7:
        return None
    mine = current.weekdays
    if n <= len(mine):
        choices = list(itertools.combinations(mine, n))
    else:
        others = [d for d in range(7) if d not in mine]
        choices = [mine + extra for extra in itertools.combinations(others, n - len(mine))]
    choices.sort(key=_spread, reverse=True)  # stable: the person's order among equals
    for days in choices:
        try:
            rules.make_plan(start=current.start, created_at=now, weekdays=days, **probe)  # type: ignore[arg-type]
        except RollminderError:
            continue
        return tuple(sorted(days))
    return None


class Outlook(NamedTuple):
    """The state now and what comes next, all at one instant (``now``, in the plan's zone)."""

    now: dt.datetime
    state: State
    slots: list[Slot]


class PlanCases(Base):
    def set_plan(self, **choices: object) -> Plan:
        """Create the plan, or change the current one (only the given choices change).

        A new needle brings its own defaults (sessions, period, days, rest) unless they are
        chosen too; a new number of sessions brings default days unless days are chosen (a new
        period keeps the days). A change keeps the plan's start date. The check and the write
        are one transaction, so two changes at once cannot both build on the same old plan.
        """
        now = self.now()
        with self.store.transaction():
            current = self.store.plan()
            plan = self._build_plan(current, choices, now)
            plan = replace(plan, created_at=after(now, current.created_at if current else None))
            self.store.put_plan(plan)
        return plan

    def draft_plan(self, **choices: object) -> Plan:
        """The plan :meth:`set_plan` would make of ``choices``, validated but not saved (the
        setup wizard checks each answer with it)."""
        return self._build_plan(self.store.plan(), choices, self.now())

    def plan_versions(self) -> list[Plan]:
        """Every version of the plan, oldest first (stats judge each week by its own)."""
        return self.store.plans()

    def draft_new_plan(self, **choices: object) -> Plan:
        """The plan ``choices`` make on their own (a new routine's: nothing to build on), checked
        by every rule but not stored."""
        return self._build_plan(None, choices, self.now())

    def _build_plan(
        self, current: Plan | None, choices: dict[str, object], now: dt.datetime
    ) -> Plan:
        unknown = sorted(set(choices) - PLAN_CHOICES - {"start"})
        if unknown:
            raise InvalidInput(f"A plan has no setting {unknown[0]!r}.")
        given = {k: v for k, v in choices.items() if v is not None}
        rules.check_types(given)
        if "weekdays" in given and "sessions" not in given:
            # Days chosen without a number: one session on each (the CLI and the web alike).
            days = given["weekdays"]
            if isinstance(days, tuple | list):
                given["sessions"] = len(set(days))
        if current is None:
            if "needle_mm" not in given:
                raise InvalidInput("Choose your roller's needle length first.")
            start = (
                given.pop("start", None)
                or now.astimezone(rules.check_zone(str(given.get("tz", "UTC")))).date()
            )
            return rules.make_plan(start=start, created_at=now, **_paced(given))  # type: ignore[arg-type]
        given.pop("start", None)
        merged: dict[str, object] = {k: getattr(current, k) for k in PLAN_CHOICES}
        if "needle_mm" in given and given["needle_mm"] != current.needle_mm:
            # A new needle brings its own defaults unless the person chose them too.
            for key in ("sessions", "every_weeks", "weekdays", "rest_hours"):
                merged.pop(key)
        merged.update(given)
        if "weekdays" not in given and "weekdays" not in merged:
            # A new needle: its routine, on the person's days where they fit.
            merged["weekdays"] = _keep_days(current, merged, now)
        elif (
            ("sessions" in given or "every_weeks" in given)
            and "weekdays" not in given
            and len(current.weekdays) != merged.get("sessions")
        ):
            # A new number of sessions: as many of the person's days as fit (the first of them
            # for one), plus days spread between them for more (never a silent move to Sunday).
            merged["weekdays"] = _keep_days(current, merged, now)
        return rules.make_plan(start=current.start, created_at=now, **_paced(merged))  # type: ignore[arg-type]

    def preview(self, plan: Plan, count: int = 4) -> list[Slot]:
        now = self.now()
        return schedule.upcoming(plan, self.log_for(plan, now), now, count)

    def outlook(self, count: int = 3) -> Outlook:
        """The state now and the next ``count`` slots, from one reading of the clock."""
        count = limits.COUNT.check(count, "number of slots")
        plan = self.plan()
        now = self.now()
        return self.outlook_of(plan, self.log_for(plan, now), now, count)

    def outlook_of(self, plan: Plan, log: Log, now: dt.datetime, count: int) -> Outlook:
        """:meth:`outlook` from a plan and a log the caller already read (the web app keeps
        them between requests; the state and slots still move with ``now``)."""
        count = limits.COUNT.check(count, "number of slots")
        state = schedule.status(plan, log, now)
        slots = schedule.upcoming(plan, log, now, count)
        return Outlook(now.astimezone(ZoneInfo(plan.tz)), state, slots)

    def next(self, count: int = 3) -> tuple[State, list[Slot]]:
        outlook = self.outlook(count)
        return outlook.state, outlook.slots
