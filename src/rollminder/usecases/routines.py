"""Use cases of routines (issue 12): a face roller and a body roller, each with its own plan.

A facade is bound to one routine (``Rollminder(store, clock, routine=ID)``; without one, the
profile's first routine), and every other use case works on that routine only. These list the
profile's routines, give the facade of one (by name or id), and add, rename and remove them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import NamedTuple, Self

from rollminder import limits
from rollminder.errors import InvalidInput, NotFound
from rollminder.model import Plan, Routine
from rollminder.usecases.base import Base

#: A routine's name: one line, short enough for a table column and a reminder's title.
ROUTINE_NAME = limits.Text(40, lines=False)


class RoutineInfo(NamedTuple):
    """A routine with its current plan (None before it has one) and whether it is the first."""

    routine: Routine
    plan: Plan | None
    first: bool


class RoutineCases(Base):
    def routines(self) -> list[RoutineInfo]:
        """Every routine of the profile, the first first."""
        out = []
        for i, r in enumerate(self.raw.routines()):
            out.append(RoutineInfo(r, self.for_routine(r.id).store.plan(), i == 0))
        return out

    def routine(self) -> Routine | None:
        """The routine this facade works on (None: the profile has none yet)."""
        return self.store.routine()  # type: ignore[attr-defined, no-any-return]

    def find_routine(self, ref: object) -> Routine:
        """The routine named ``ref`` (any case), or whose id starts with it (4 characters or
        more). One line naming the routines there are otherwise."""
        if not isinstance(ref, str) or not ref.strip():
            raise InvalidInput("Give a routine's name: see 'rollminder routine list'.")
        found = self.raw.routines()
        wanted = ref.strip().casefold()
        for r in found:
            if r.name.casefold() == wanted:
                return r
        hits = [r for r in found if len(wanted) >= 4 and r.id.startswith(wanted)]
        if len(hits) == 1:
            return hits[0]
        names = ", ".join(r.name for r in found) or "none yet"
        raise NotFound(f"No routine {limits.shown(ref)}: your routines are {names}.")

    def for_routine(self, ref: str | None) -> Self:
        """The facade of one routine: by id (as stored), by name, or None for the first one."""
        if ref is None:
            return type(self)(self.raw, self.clock)
        ids = {r.id for r in self.raw.routines()}
        rid = ref if ref in ids else self.find_routine(ref).id
        return type(self)(self.raw, self.clock, rid)

    def each_routine(self) -> list[tuple[Routine | None, Self]]:
        """The facade of every routine with a plan, the first first; one (None, this facade)
        for a profile whose rows belong to no routine yet."""
        found = self.raw.routines()
        if not found:
            return [(None, self)]
        out: list[tuple[Routine | None, Self]] = []
        for r in found:
            app = type(self)(self.raw, self.clock, r.id)
            if app.store.plan() is not None:
                out.append((r, app))
        return out

    def several_routines(self) -> bool:
        return len(self.raw.routines()) > 1

    def _name(self, name: object, *, keep: str | None = None) -> str:
        text = ROUTINE_NAME.check(name, "routine name")
        if not text:
            raise InvalidInput("Give the routine a name, such as face or thighs.")
        for r in self.raw.routines():
            if r.name.casefold() == text.casefold() and r.id != keep:
                raise InvalidInput(f"There is a routine named {r.name} already.")
        return text

    def add_routine(self, name: object, **choices: object) -> tuple[Routine, Plan]:
        """A new routine with its own plan (the same choices as :meth:`set_plan`); 1.0 mm and
        longer is never a home routine. The routine and its plan are one transaction."""
        now = self.now()
        with self.raw.transaction():
            text = self._name(name)
            if not self.raw.routines() and self.store.plan() is not None:
                # The profile's rows belong to no routine yet: they become the first one.
                first = self.store.plan()
                assert first is not None
                from rollminder.model import routine_name

                self.raw.put_routine(Routine(name=routine_name(first.zones), created_at=now))
                if text.casefold() == routine_name(first.zones):
                    raise InvalidInput(f"There is a routine named {text} already.")
            previous = [r.created_at for r in self.raw.routines()]
            at = max([now, *(p + dt.timedelta(microseconds=1) for p in previous)])
            routine = Routine(name=text, created_at=at)
            self.raw.put_routine(routine)
            app = self.for_routine(routine.id)
            choices.setdefault("tz", self._zone_name())
            plan: Plan = app.set_plan(**choices)  # type: ignore[attr-defined]
        return routine, plan

    def _zone_name(self) -> str:
        plan = self.store.plan()
        return plan.tz if plan is not None else "UTC"

    def rename_routine(self, ref: object, name: object) -> Routine:
        with self.raw.transaction():
            routine = self.find_routine(ref)
            text = self._name(name, keep=routine.id)
            renamed = Routine(name=text, id=routine.id, created_at=routine.created_at)
            self.raw.put_routine(renamed)
        return renamed

    def remove_routine(self, ref: object, *, with_log: bool = False) -> tuple[Routine, int]:
        """Remove a routine and its plan; its sessions, skips and rollers go too only with
        ``with_log`` (the log is the person's only copy). The last routine stays. Returns the
        routine and how many logged rows went with it."""
        with self.raw.transaction():
            routine = self.find_routine(ref)
            if len(self.raw.routines()) < 2:
                raise InvalidInput(
                    f"{routine.name} is your only routine: change its plan with 'plan set'."
                )
            app = self.for_routine(routine.id)
            store = app.store
            logged = len(store.sessions()) + len(store.skips())
            if logged and not with_log:
                raise InvalidInput(
                    f"{routine.name} has {logged} logged sessions and skips: export them first "
                    "('rollminder export'), then remove it with --with-log."
                )
            rows = 0
            for s in store.sessions():
                rows += self.raw.delete_session(s.id)
            for k in store.skips():
                rows += self.raw.delete_skip(k.id)
            # Plan versions are append-only and a roller is a thing the person owns: they stay,
            # named by the removed routine's id (no routine shows them; an export keeps them).
            for p in store.plans():
                self.raw.put_plan(replace(p, routine=routine.id))
            for roller in store.rollers():
                self.raw.put_roller(replace(roller, routine=routine.id))
            self.raw.delete_routine(routine.id)
        return routine, rows
