"""Use cases of rollers and their wear, and of the settings that judge it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from rollminder import limits
from rollminder.errors import Conflict, InvalidInput, NotFound
from rollminder.model import Roller, Settings
from rollminder.usecases.base import Base, after, current_roller, find, says_day

if TYPE_CHECKING:
    from rollminder.store import Store


class RollerWear(NamedTuple):
    roller: Roller
    uses: int
    uses_left: int
    age_days: int | None  # days since first use, None before it was used
    days_left: int | None
    replace_now: bool
    reason: str  # why it should be replaced, or ""

    @property
    def nearly_worn(self) -> bool:
        """One use or a week left (not yet due): worth a word before the session."""
        return not self.replace_now and (
            self.uses_left <= 1 or (self.days_left is not None and self.days_left <= 7)
        )


def wear_of(store: Store, roller_id: str, today: dt.date, tz: ZoneInfo) -> RollerWear:
    """How worn a roller is on ``today`` (the plan's zone ``tz``), by the settings' limits."""
    roller = next((r for r in store.rollers() if r.id == roller_id), None)
    if roller is None:
        raise NotFound(f"No roller {roller_id!r}.")
    settings = store.settings()
    uses = roller.initial_uses + store.count_sessions(roller_id)
    first_use = roller.first_use
    if first_use is None:
        first = (
            next((s for s in store.sessions() if s.roller_id == roller_id), None)
            if uses > roller.initial_uses
            else None
        )
        first_use = first.start.astimezone(tz).date() if first else None
        if roller.initial_uses:
            # Used before it was added: its first use was on that day at the latest.
            first_use = roller.added if first_use is None else min(first_use, roller.added)
    end = roller.retired or today
    age = None if first_use is None else (end - first_use).days
    uses_left = max(0, settings.roller_max_uses - uses)
    days_left = None if age is None else max(0, settings.roller_max_days - age)
    reasons = []
    if uses >= settings.roller_max_uses:
        reasons.append(f"{uses} uses (replace after {settings.roller_max_uses})")
    if age is not None and age >= settings.roller_max_days:
        reasons.append(f"{age} days since first use (replace after {settings.roller_max_days})")
    return RollerWear(
        roller,
        uses,
        uses_left,
        age,
        days_left,
        roller.retired is None and bool(reasons),
        "; ".join(reasons),
    )


class RollerCases(Base):
    def settings(self) -> Settings:
        return self.store.settings()

    def set_settings(self, **changes: int) -> Settings:
        checked = {key: limits.setting(key, value) for key, value in changes.items()}
        with self.store.transaction():
            s = replace(self.store.settings(), **checked)  # type: ignore[arg-type]  # ints only
            self.store.put_settings(s)
        return s

    def add_roller(
        self,
        *,
        label: str = "",
        needle_mm: float | None = None,
        first_use: dt.date | None = None,
        initial_uses: int = 0,
    ) -> tuple[Roller, Roller | None]:
        """Add a roller; it becomes the current one and the previous current one is retired."""
        now = self.now()
        today = now.astimezone(self.zone()).date()
        if needle_mm is None:
            plan = self.store.plan()
            if plan is None:
                raise InvalidInput("Give the needle length or set up a plan first.")
            needle_mm = plan.needle_mm
        needle_mm = limits.NEEDLE_MM.check(needle_mm, "needle length")
        initial_uses = limits.EARLIER_USES.check(initial_uses, "number of earlier uses")
        if first_use is not None:
            first_use = limits.day(first_use, "first use")
            if first_use > today:
                raise InvalidInput("The first use cannot be in the future.")
        label = limits.NAME.check(label, "label") or f"{needle_mm:g} mm roller"
        roller = Roller(
            label=label,
            needle_mm=round(needle_mm, 3),
            added=today,
            first_use=first_use,
            initial_uses=initial_uses,
            created_at=now,
        )
        with self.store.transaction():
            previous = current_roller(self.store.rollers())
            if previous is not None:
                self.store.put_roller(replace(previous, retired=today))
                roller = replace(roller, created_at=after(roller.created_at, previous.created_at))
            self.store.put_roller(roller)
        return roller, previous

    def retire_roller(self, ref: str | None = None) -> Roller:
        today = self.local_now().date()
        with self.store.transaction():
            rollers = self.store.rollers()
            if ref is None:
                current = current_roller(rollers)
                if current is None:
                    raise NotFound("There is no current roller to retire.")
                rid = current.id
            else:
                rid = find(rollers, ref, "roller")
            roller = next(r for r in rollers if r.id == rid)
            if roller.retired is not None:
                raise Conflict(f"That roller was retired on {says_day(roller.retired)}.")
            roller = replace(roller, retired=today)
            self.store.put_roller(roller)
        return roller

    def rollers(self) -> list[Roller]:
        return self.store.rollers()

    def roller_wear(self, roller_id: str) -> RollerWear:
        tz = self.zone()
        return wear_of(self.store, roller_id, self.now().astimezone(tz).date(), tz)
