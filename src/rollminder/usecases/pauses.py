"""Use cases of pauses: days with no sessions and no reminders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from rollminder import limits
from rollminder.errors import Conflict, InvalidInput
from rollminder.model import Pause
from rollminder.usecases.base import Base, check_areas, find, says_day
from rollminder.usecases.undo import KEEP, Keep, journal


def _checked(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    first = limits.day(first, "pause's first day")
    last = limits.day(last, "pause's last day")
    if last < first:
        raise InvalidInput("The pause must end on or after the day it starts.")
    if (last - first).days > limits.PAUSE_DAYS:
        raise InvalidInput("A pause can last at most two years.")
    return first, last


def _no_overlap(pause: Pause, pauses: Sequence[Pause]) -> None:
    """Two pauses of the same areas never overlap (a face pause and a thighs pause may)."""
    from rollminder.model import expand_areas

    mine = expand_areas(pause.areas)
    for p in pauses:
        if p.areas and pause.areas and not (expand_areas(p.areas) & mine):
            continue
        if p.id != pause.id and p.first <= pause.last and pause.first <= p.last:
            raise Conflict(
                f"That overlaps your pause from {says_day(p.first)} through "
                f"{says_day(p.last)}: end or cancel that one first."
            )


class PauseCases(Base):
    def pause(
        self, first: dt.date, last: dt.date, reason: str = "", areas: Sequence[str] = ()
    ) -> Pause:
        """A pause of the routines rolling ``areas`` (issue 12; default: every routine)."""
        first, last = _checked(first, last)
        pause = Pause(
            first=first,
            last=last,
            reason=limits.REASON.check(reason, "reason"),
            created_at=self.now(),
            areas=check_areas(areas, "pause's areas"),
        )
        with self.store.transaction():
            _no_overlap(pause, self.raw.pauses())
            self.store.put_pause(pause)
        return pause

    def edit_pause(
        self,
        ref: str,
        *,
        first: dt.date | None = None,
        last: dt.date | None = None,
        reason: str | Keep = KEEP,
    ) -> Pause:
        """Change a pause's days or reason (by a prefix of its id), with the same checks as
        pausing anew; it keeps its id. ``undo`` takes it back."""
        now = self.now()
        if reason is not KEEP:
            reason = limits.REASON.check(reason, "reason")
        with self.store.transaction():
            pauses = self.store.pauses()
            pid = find(pauses, ref, "pause")
            old = next(p for p in pauses if p.id == pid)
            new_first, new_last = _checked(
                old.first if first is None else first, old.last if last is None else last
            )
            pause = replace(
                old,
                first=new_first,
                last=new_last,
                reason=old.reason if isinstance(reason, Keep) else reason,
            )
            _no_overlap(pause, pauses)
            self.store.put_pause(pause)
            journal(self.store, now, "edit", [(old, pause)])
        return pause

    def pauses(self) -> list[Pause]:
        """Every pause of the profile, whatever its areas (each says which it stops)."""
        return self.raw.pauses()

    def resume(self) -> Pause | None:
        """End the pause that holds today (it ends yesterday; removed if it began today).

        Pauses that overlap (an import can bring them) all end, so resuming always resumes.
        Returns the pause as it was, or None when today is not paused. ``undo`` takes it back.
        """
        now = self.now()
        today = now.astimezone(self.zone()).date()
        ended = None
        with self.store.transaction():
            changes: list[tuple[Pause, Pause | None]] = []
            for p in self.store.pauses():
                if p.covers(today):
                    if p.first == today:
                        self.store.delete_pause(p.id)
                        changes.append((p, None))
                    else:
                        shorter = replace(p, last=today - dt.timedelta(days=1))
                        self.store.put_pause(shorter)
                        changes.append((p, shorter))
                    ended = ended or p
            journal(self.store, now, "edit", changes)
        return ended

    def cancel_pause(self, ref: str) -> Pause:
        """Delete a pause (by a prefix of its id); ``undo`` brings it back."""
        with self.store.transaction():
            pauses = self.store.pauses()
            pid = find(pauses, ref, "pause")
            self.store.delete_pause(pid)
            pause = next(p for p in pauses if p.id == pid)
            journal(self.store, self.now(), "delete", [(pause, None)])
            return pause
