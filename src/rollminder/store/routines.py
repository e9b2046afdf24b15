"""One routine's view of a profile's store (issue 12: routines).

:class:`RoutineView` is a :class:`~rollminder.store.Store` that shows the use cases one routine
only, so the per-plan use cases and the schedule run unchanged, once per routine:

- plan versions, sessions, skips and rollers: the routine's own (a row whose ``routine`` is ""
  belongs to the profile's first routine); a row put through another routine's view gets its
  id (the first routine's may keep "": a removed first routine's rows get its id first);
- pauses, holds and visits: those whose areas concern the routine's areas (its plan's zones,
  :func:`rollminder.model.concerns`): a facial treatment does not stop the thighs;
- everything else (settings, reminders, secrets, undo journal, routines, transactions): the
  profile's, as the inner store has them.

Without any routine (a new profile) it shows everything, and the first plan put makes the first
routine (named by :func:`rollminder.model.routine_name`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rollminder.errors import NotFound
from rollminder.model import (
    ClinicianAnswer,
    Hold,
    Pause,
    Plan,
    Roller,
    Routine,
    Series,
    Session,
    Settings,
    Skip,
    UndoStep,
    Visit,
    concerns,
    routine_name,
)

if TYPE_CHECKING:
    from rollminder.remind.records import ChannelConfig, ChannelStatus, Delivery, Snooze
    from rollminder.store.roles import Store

T = TypeVar("T", Plan, Session, Skip, Roller)
A = TypeVar("A", Pause, Hold, Visit)


class RoutineView:
    """The store as one routine sees it. ``ref`` is a routine id; None: the first routine."""

    def __init__(self, inner: Store, ref: str | None = None) -> None:
        self.inner = inner
        self.ref = ref

    # -- which routine --------------------------------------------------------------------------

    def routine(self) -> Routine | None:
        """The routine this view shows (None: the profile has none yet)."""
        found = self.inner.routines()
        if self.ref is None:
            return found[0] if found else None
        for r in found:
            if r.id == self.ref:
                return r
        raise NotFound("That routine was removed: run 'rollminder routine list'.")

    def _which(self) -> tuple[str, bool] | None:
        """(id, whether it is the first routine), or None without routines."""
        found = self.inner.routines()
        if not found:
            return None
        if self.ref is None:
            return found[0].id, True
        for i, r in enumerate(found):
            if r.id == self.ref:
                return r.id, i == 0
        raise NotFound("That routine was removed: run 'rollminder routine list'.")

    def _filter(self, rows: list[T]) -> list[T]:
        which = self._which()
        if which is None:
            return rows
        rid, first = which
        return [r for r in rows if r.routine == rid or (first and not r.routine)]

    def _stamp(self, row: T) -> T:
        which = self._which()
        if which is None or row.routine or which[1]:
            return row
        return dataclasses.replace(row, routine=which[0])

    def _zones(self) -> tuple[str, ...]:
        plan = self.plan()
        return plan.zones if plan is not None else ()

    def _concerning(self, rows: list[A]) -> list[A]:
        if len(self.inner.routines()) < 2:
            return rows
        zones = self._zones()
        return [r for r in rows if concerns(r.areas, zones)]

    # -- plan ----------------------------------------------------------------------------------

    def plan(self) -> Plan | None:
        mine = self.plans()
        return mine[-1] if mine else None

    def plans(self) -> list[Plan]:
        return self._filter(self.inner.plans())

    def put_plan(self, plan: Plan) -> None:
        with self.inner.transaction():
            if not self.inner.routines():
                self.inner.put_routine(
                    Routine(name=routine_name(plan.zones), created_at=plan.created_at)
                )
            self.inner.put_plan(self._stamp(plan))

    def settings(self) -> Settings:
        return self.inner.settings()

    def put_settings(self, settings: Settings) -> None:
        self.inner.put_settings(settings)

    # -- log -----------------------------------------------------------------------------------

    def sessions(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Session]:
        return self._filter(self.inner.sessions(since=since, until=until))

    def session(self, id: str) -> Session | None:
        found = self.inner.session(id)
        return found if found is not None and self._filter([found]) else None

    def last_session(self, before: dt.datetime | None = None) -> Session | None:
        if self._which() is None:
            return self.inner.last_session(before)
        mine = self.sessions(until=before)
        return mine[-1] if mine else None

    def put_session(self, session: Session) -> None:
        self.inner.put_session(self._stamp(session))

    def delete_session(self, id: str) -> bool:
        return self.inner.delete_session(id)

    def count_sessions(self, roller_id: str | None = None) -> int:
        if roller_id is not None or self._which() is None:
            return self.inner.count_sessions(roller_id)  # a roller is one physical thing
        return len(self.sessions())

    def skips(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Skip]:
        return self._filter(self.inner.skips(since=since, until=until))

    def put_skip(self, skip: Skip) -> None:
        self.inner.put_skip(self._stamp(skip))

    def delete_skip(self, id: str) -> bool:
        return self.inner.delete_skip(id)

    def pauses(self) -> list[Pause]:
        return self._concerning(self.inner.pauses())

    def put_pause(self, pause: Pause) -> None:
        self.inner.put_pause(pause)

    def delete_pause(self, id: str) -> bool:
        return self.inner.delete_pause(id)

    def rollers(self) -> list[Roller]:
        return self._filter(self.inner.rollers())

    def put_roller(self, roller: Roller) -> None:
        self.inner.put_roller(self._stamp(roller))

    def delete_roller(self, id: str) -> bool:
        return self.inner.delete_roller(id)

    def visits(self) -> list[Visit]:
        return self._concerning(self.inner.visits())

    def put_visit(self, visit: Visit) -> None:
        self.inner.put_visit(visit)

    def delete_visit(self, id: str) -> bool:
        return self.inner.delete_visit(id)

    def series(self) -> list[Series]:
        return self.inner.series()

    def put_series(self, series: Series) -> None:
        self.inner.put_series(series)

    def delete_series(self, id: str) -> bool:
        return self.inner.delete_series(id)

    def holds(self) -> list[Hold]:
        return self._concerning(self.inner.holds())

    def put_hold(self, hold: Hold) -> None:
        self.inner.put_hold(hold)

    def delete_hold(self, id: str) -> bool:
        return self.inner.delete_hold(id)

    def clinician_answers(self) -> list[ClinicianAnswer]:
        return self.inner.clinician_answers()

    def put_clinician_answer(self, answer: ClinicianAnswer) -> None:
        self.inner.put_clinician_answer(answer)

    # -- the profile's, as they are --------------------------------------------------------------

    def channels(self) -> list[ChannelConfig]:
        return self.inner.channels()

    def has_channels(self) -> bool:
        return self.inner.has_channels()

    def put_channel(self, channel: ChannelConfig) -> None:
        self.inner.put_channel(channel)

    def delete_channel(self, id: str) -> bool:
        return self.inner.delete_channel(id)

    def channel_statuses(self) -> dict[str, ChannelStatus]:
        return self.inner.channel_statuses()

    def put_channel_status(self, status: ChannelStatus) -> None:
        self.inner.put_channel_status(status)

    def deliveries(self, since: dt.datetime | None = None) -> list[Delivery]:
        return self.inner.deliveries(since)

    def claim_delivery(self, delivery: Delivery, *, replacing: str | None = None) -> bool:
        return self.inner.claim_delivery(delivery, replacing=replacing)

    def put_delivery(self, delivery: Delivery) -> None:
        self.inner.put_delivery(delivery)

    def delete_delivery(self, slot: str, kind: str, channel: str) -> bool:
        return self.inner.delete_delivery(slot, kind, channel)

    def snoozes(self) -> list[Snooze]:
        return self.inner.snoozes()

    def put_snooze(self, snooze: Snooze) -> None:
        self.inner.put_snooze(snooze)

    def reminder_state(self, key: str) -> str | None:
        return self.inner.reminder_state(key)

    def put_reminder_state(self, key: str, value: str) -> None:
        self.inner.put_reminder_state(key, value)

    def secret(self, name: str) -> str | None:
        return self.inner.secret(name)

    def put_secret(self, name: str, value: str) -> None:
        self.inner.put_secret(name, value)

    def delete_secret(self, name: str) -> bool:
        return self.inner.delete_secret(name)

    def undo_steps(self) -> list[UndoStep]:
        return self.inner.undo_steps()

    def put_undo_step(self, step: UndoStep) -> None:
        self.inner.put_undo_step(step)

    def delete_undo_step(self, id: str) -> bool:
        return self.inner.delete_undo_step(id)

    def routines(self) -> list[Routine]:
        return self.inner.routines()

    def put_routine(self, routine: Routine) -> None:
        self.inner.put_routine(routine)

    def delete_routine(self, id: str) -> bool:
        return self.inner.delete_routine(id)

    @property
    def profile(self) -> str:
        return self.inner.profile

    @property
    def path(self) -> Path | None:
        return self.inner.path

    def transaction(self) -> AbstractContextManager[None]:
        return self.inner.transaction()

    def data_stamp(self) -> tuple[int, int]:
        return self.inner.data_stamp()

    def backup_now(self, dest: Path) -> None:
        self.inner.backup_now(dest)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # What a particular store has besides the roles (SqliteStore.connection, for tests).
        return getattr(self.inner, name)


if TYPE_CHECKING:
    _implements_every_role: type[Store] = RoutineView  # mypy fails here if a role drifts
