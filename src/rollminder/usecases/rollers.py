"""Use cases of rollers and their wear, and of the settings that judge it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from rollminder import limits
from rollminder.errors import Conflict, InvalidInput, NotFound
from rollminder.model import Roller, Settings
from rollminder.usecases.base import Base, after, current_roller, find, says_day
from rollminder.usecases.undo import KEEP, Keep, check_flag, journal

if TYPE_CHECKING:
    from rollminder.store import Store


class RollerInUse(Conflict):
    """A roller is current: adding or bringing back another one would retire it."""

    def __init__(self, current: Roller) -> None:
        super().__init__(
            f"Your current roller is {current.label!r}: adding another one retires it."
        )
        self.current = current


def _checked(
    needle_mm: float,
    first_use: dt.date | None,
    initial_uses: int,
    today: dt.date,
    *,
    first_use_was: dt.date | None = None,
) -> tuple[float, dt.date | None, int]:
    """A roller's needle, first use and earlier uses, checked as adding one checks them (a
    first use already stored stays allowed)."""
    needle_mm = limits.NEEDLE_MM.check(needle_mm, "needle length")
    initial_uses = limits.EARLIER_USES.check(initial_uses, "number of earlier uses")
    if first_use is not None and first_use != first_use_was:
        first_use = limits.day(first_use, "first use")
        if first_use > today:
            raise InvalidInput("The first use cannot be in the future.")
    return needle_mm, first_use, initial_uses


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
        first_use = first.local_start(tz.key).date() if first else None
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
        checked: dict[str, Any] = {k: limits.setting(k, v) for k, v in changes.items()}
        with self.store.transaction():
            s = replace(self.store.settings(), **checked)
            self.store.put_settings(s)
        return s

    def add_roller(
        self,
        *,
        label: str = "",
        needle_mm: float | None = None,
        first_use: dt.date | None = None,
        initial_uses: int = 0,
        replace_current: bool = True,
    ) -> tuple[Roller, Roller | None]:
        """Add a roller; it becomes the current one and the previous current one is retired.
        With ``replace_current`` false, a current roller refuses it (:class:`RollerInUse`: a
        face asks the person first, since renaming the current one may be what they meant)."""
        check_flag(replace_current, "replace_current")
        now = self.now()
        today = now.astimezone(self.zone()).date()
        if needle_mm is None:
            plan = self.store.plan()
            if plan is None:
                raise InvalidInput("Give the needle length or set up a plan first.")
            needle_mm = plan.needle_mm
        needle_mm, first_use, initial_uses = _checked(needle_mm, first_use, initial_uses, today)
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
                if not replace_current:
                    raise RollerInUse(previous)
                self.store.put_roller(replace(previous, retired=today))
                roller = replace(roller, created_at=after(roller.created_at, previous.created_at))
            self.store.put_roller(roller)
        return roller, previous

    def edit_roller(
        self,
        ref: str | None = None,
        *,
        label: str | Keep = KEEP,
        needle_mm: float | None = None,
        first_use: dt.date | Keep | None = KEEP,
        initial_uses: int | None = None,
    ) -> Roller:
        """Change a roller (by a prefix of its id; None: the current one) with the same checks
        as adding it: rename it, correct its needle, first use or earlier uses. It keeps its id;
        ``undo`` takes it back."""
        now = self.now()
        today = now.astimezone(self.zone()).date()
        with self.store.transaction():
            old = self._roller(ref)
            checked_needle, checked_first, checked_uses = _checked(
                old.needle_mm if needle_mm is None else needle_mm,
                old.first_use if isinstance(first_use, Keep) else first_use,
                old.initial_uses if initial_uses is None else initial_uses,
                today,
                first_use_was=old.first_use,
            )
            new_label = old.label
            if not isinstance(label, Keep):
                new_label = limits.NAME.check(label, "label") or f"{checked_needle:g} mm roller"
            roller = replace(
                old,
                label=new_label,
                needle_mm=round(checked_needle, 3),
                first_use=checked_first,
                initial_uses=checked_uses,
            )
            self.store.put_roller(roller)
            journal(self.store, now, "edit", [(old, roller)])
        return roller

    def rename_roller(self, label: str, ref: str | None = None) -> Roller:
        """Rename a roller (None: the current one)."""
        if isinstance(label, str) and not label.strip():
            raise InvalidInput("Give the roller's new name.")
        return self.edit_roller(ref, label=label)

    def use_roller(
        self, ref: str, *, replace_current: bool = False
    ) -> tuple[Roller, Roller | None]:
        """Bring a retired roller back as the current one. The current roller (if any) is
        retired today, and only with ``replace_current`` (else :class:`RollerInUse`). Returns the
        roller brought back and the one retired; ``undo`` takes both back."""
        check_flag(replace_current, "replace_current")
        now = self.now()
        today = now.astimezone(self.zone()).date()
        with self.store.transaction():
            old = self._roller(ref)
            if old.retired is None:
                raise Conflict(f"{old.label!r} is already in use.")
            current = current_roller(self.store.rollers())
            changes: list[tuple[Roller, Roller]] = []
            if current is not None:
                if not replace_current:
                    raise RollerInUse(current)
                retired = replace(current, retired=today)
                self.store.put_roller(retired)
                changes.append((current, retired))
            revived = replace(old, retired=None)
            self.store.put_roller(revived)
            # The roller brought back is what the person acted on: it comes first.
            journal(self.store, now, "edit", [(old, revived), *changes])
        return revived, current

    def retire_roller(self, ref: str | None = None) -> Roller:
        """Retire a roller (None: the current one); ``undo`` takes it back."""
        now = self.now()
        today = now.astimezone(self.zone()).date()
        with self.store.transaction():
            rollers = self.store.rollers()
            if ref is None:
                current = current_roller(rollers)
                if current is None:
                    raise NotFound("There is no current roller to retire.")
                rid = current.id
            else:
                rid = find(rollers, ref, "roller")
            old = next(r for r in rollers if r.id == rid)
            if old.retired is not None:
                raise Conflict(f"That roller was retired on {says_day(old.retired)}.")
            roller = replace(old, retired=today)
            self.store.put_roller(roller)
            journal(self.store, now, "edit", [(old, roller)])
        return roller

    def _roller(self, ref: str | None) -> Roller:
        rollers = self.store.rollers()
        if ref is None:
            current = current_roller(rollers)
            if current is None:
                raise NotFound("There is no current roller: give the roller's id.")
            return current
        rid = find(rollers, ref, "roller")
        return next(r for r in rollers if r.id == rid)

    def rollers(self) -> list[Roller]:
        return self.store.rollers()

    def roller_wear(self, roller_id: str) -> RollerWear:
        tz = self.zone()
        return wear_of(self.store, roller_id, self.now().astimezone(tz).date(), tz)
