"""Use cases of pauses: days with no sessions and no reminders."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from rollminder import limits
from rollminder.errors import Conflict, InvalidInput
from rollminder.model import Pause
from rollminder.usecases.base import Base, find, says_day


class PauseCases(Base):
    def pause(self, first: dt.date, last: dt.date, reason: str = "") -> Pause:
        first = limits.day(first, "pause's first day")
        last = limits.day(last, "pause's last day")
        if last < first:
            raise InvalidInput("The pause must end on or after the day it starts.")
        if (last - first).days > limits.PAUSE_DAYS:
            raise InvalidInput("A pause can last at most two years.")
        pause = Pause(
            first=first,
            last=last,
            reason=limits.REASON.check(reason, "reason"),
            created_at=self.now(),
        )
        with self.store.transaction():
            for p in self.store.pauses():
                if p.first <= last and first <= p.last:
                    raise Conflict(
                        f"That overlaps your pause from {says_day(p.first)} through "
                        f"{says_day(p.last)}: end or cancel that one first."
                    )
            self.store.put_pause(pause)
        return pause

    def pauses(self) -> list[Pause]:
        return self.store.pauses()

    def resume(self) -> Pause | None:
        """End the pause that holds today (it ends yesterday; removed if it began today).

        Pauses that overlap (an import can bring them) all end, so resuming always resumes.
        Returns the pause as it was, or None when today is not paused.
        """
        today = self.local_now().date()
        ended = None
        with self.store.transaction():
            for p in self.store.pauses():
                if p.covers(today):
                    if p.first == today:
                        self.store.delete_pause(p.id)
                    else:
                        self.store.put_pause(replace(p, last=today - dt.timedelta(days=1)))
                    ended = ended or p
        return ended

    def cancel_pause(self, ref: str) -> Pause:
        with self.store.transaction():
            pauses = self.store.pauses()
            pid = find(pauses, ref, "pause")
            self.store.delete_pause(pid)
            return next(p for p in pauses if p.id == pid)
