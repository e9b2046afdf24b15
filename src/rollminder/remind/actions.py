"""What a reminder's Done and Snooze do (and the CLI's and the web's): snooze the open slot, log
it done, for every routine the reminder named (issue 12: one reminder can name two routines)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rollminder.errors import Conflict, InvalidInput, NotFound
from rollminder.remind import planner
from rollminder.remind.records import Snooze

if TYPE_CHECKING:
    from rollminder.service import Logged, Rollminder

#: The longest snooze: the slot's day ends at midnight anyway.
SNOOZE_MAX = dt.timedelta(hours=12)


def snooze(app: Rollminder, minutes: float = 30) -> Snooze:
    """Remind of the open slot once more, ``minutes`` from now (the slot must be open now)."""
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes != minutes:
        raise InvalidInput("Snooze for a number of minutes, e.g. 30.")
    length = dt.timedelta(minutes=minutes)
    if not dt.timedelta(minutes=1) <= length <= SNOOZE_MAX:
        raise InvalidInput("Snooze for 1 minute to 12 hours (default 30 minutes).")
    from rollminder import schedule

    plan = app.plan()
    now = app.now()
    tz = ZoneInfo(plan.tz)
    slots = schedule.upcoming(plan, app.log_for(plan, now), now, count=1)
    if not slots or not slots[0].due:
        raise NotFound("No session is open now: there is nothing to snooze.")
    slot = slots[0]
    until = now + length
    end = schedule.local_slot(slot.start.date() + dt.timedelta(days=1), dt.time(0), tz)
    if until >= end:
        left = int((end - now).total_seconds() // 60)
        raise InvalidInput(
            f"Today's slot closes at midnight, {left} minutes from now: snooze for less."
        )
    key = planner.slot_key(slot.start, key_id(app))
    with app.store.transaction():
        mine = [z for z in app.store.snoozes() if z.slot == key]
        pending = [z for z in mine if z.until > now]
        n = pending[-1].n if pending else (max((z.n for z in mine), default=0) + 1)
        snoozed = Snooze(slot=key, n=n, until=until.astimezone(dt.UTC), created_at=now)
        app.store.put_snooze(snoozed)
    return snoozed


def key_id(app: Rollminder) -> str:
    """What a routine adds to its slot keys (:func:`planner.slot_key`): its id, except for the
    profile's first routine (whose keys stay as they were before routines)."""
    routine = app.routine()
    found = app.routines()
    if routine is None or not found or found[0].routine.id == routine.id:
        return ""
    return routine.id


def open_now(app: Rollminder, slot: str = "") -> list[Rollminder]:
    """The facades of the routines whose slot is open now, for a reminder's Done and Snooze
    (issue 12: one reminder can name two routines). ``slot``: the keys the reminder named
    (:func:`planner.slot_keys`); those of them still open, else every routine open now."""
    from rollminder import schedule

    now = app.now()
    keys = set(planner.slot_keys(slot))
    out: list[tuple[str, Rollminder]] = []
    for _routine, one in app.each_routine():
        if not one.has_plan():
            continue
        plan = one.plan()
        slots = schedule.upcoming(plan, one.log_for(plan, now), now, count=1)
        if slots and slots[0].due:
            out.append((planner.slot_key(slots[0].start, key_id(one)), one))
    named = [one for key, one in out if key in keys]
    return named or [one for _, one in out]


def snooze_open(app: Rollminder, minutes: float = 30, slot: str = "") -> list[Snooze]:
    """Snooze what a reminder named (:func:`open_now`): every routine open now, or those of
    ``slot``. Refused in one line, nothing changed, when none is open or the time is wrong."""
    found = open_now(app, slot)
    if not found:
        return [snooze(app, minutes)]  # says why in one line
    with app.store.transaction():
        return [snooze(one, minutes) for one in found]


def done_open(app: Rollminder, slot: str = "") -> list[Logged]:
    """Done pressed on a reminder: a session logged now for every routine it named that is open
    (:func:`open_now`); with none open, this facade's routine, as before routines. A routine
    logged a moment ago (the same Done tapped twice) is left out; all of them: Conflict."""
    found = open_now(app, slot)
    if len(found) < 2:
        return [(found[0] if found else app).log_from_reminder()]
    out: list[Logged] = []
    refused: Conflict | None = None
    for one in found:
        try:
            out.append(one.log_from_reminder())
        except Conflict as exc:
            refused = refused or exc
    if not out and refused is not None:
        raise refused
    return out
