"""Fixing mistakes: every edit and deletion of a session, skip, pause, visit or roller is written
to the undo journal (in the store, so a later CLI run, or the web app, can take it back), and
:meth:`UndoCases.undo` takes back the newest one.

A step records every row it changed, before and after. Undo puts the rows back as they were
before, but only when each row is still as the step left it and putting it back breaks no rule
of the log (a session at the same minute, a second skip that day, overlapping pauses, a second
visit at that time, two current rollers); otherwise it refuses and changes nothing.

Rows are written to the journal as tagged JSON (the memory store's file format), which gives
every value back with its own type, whatever limits applied when the row was made.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from rollminder.errors import Conflict, InvalidInput
from rollminder.model import Pause, Roller, Session, Skip, UndoStep, Visit
from rollminder.usecases.base import Base, HasId, says_at, says_day

if TYPE_CHECKING:
    from rollminder.store import Store

#: How many steps back undo can go.
KEEP_STEPS = 50

Record = Session | Skip | Pause | Roller | Visit
Action = Literal["edit", "delete"]

#: The kind of each record, as a person names it (and as ``edit KIND ID`` takes it).
KIND_OF: dict[type[Any], str] = {
    Session: "session",
    Skip: "skip",
    Pause: "pause",
    Visit: "visit",
    Roller: "roller",
}


class Keep(Enum):
    """A field an edit leaves as it is (where ``None`` is a value the field can take)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class Change:
    """One row an edit or a deletion changed: ``after`` is None for a deletion."""

    before: Record
    after: Record | None

    @property
    def kind(self) -> str:
        return KIND_OF[type(self.before)]


@dataclass(frozen=True)
class Step:
    """An edit or a deletion: what :meth:`UndoCases.undo` took back (or would take back)."""

    action: Action
    changes: tuple[Change, ...]
    at: dt.datetime  # when it was done

    @property
    def main(self) -> Change:
        """The row the person acted on (a roller brought back comes before the one it retired)."""
        return self.changes[0]


def _classes() -> dict[str, type[Any]]:
    return {cls.__name__: cls for cls in KIND_OF}


def _encode(changes: Sequence[Change]) -> str:
    from rollminder.store import memory_file

    return json.dumps(
        [
            {"before": memory_file.encode(c.before), "after": memory_file.encode(c.after)}
            for c in changes
        ],
        ensure_ascii=False,
        sort_keys=True,
    )


def _decode(step: UndoStep) -> Step:
    from rollminder.store import memory_file

    try:
        rows = json.loads(step.changes)
        changes = tuple(
            Change(
                memory_file.decode(row["before"], _classes()),
                memory_file.decode(row["after"], _classes()),
            )
            for row in rows
        )
        if step.action not in ("edit", "delete") or not changes:
            raise ValueError("not a step")
        for c in changes:
            if type(c.before) not in KIND_OF or (
                c.after is not None and type(c.after) is not type(c.before)
            ):
                raise ValueError("not a record")
    except (ValueError, TypeError, KeyError, AttributeError):
        raise Conflict(
            "The last change was recorded by another version of rollminder and cannot be undone."
        ) from None
    return Step(step.action, changes, step.created_at)  # type: ignore[arg-type]


def journal(
    store: Store, now: dt.datetime, action: Action, changes: Sequence[tuple[Record, Record | None]]
) -> None:
    """Record an edit or a deletion (call inside the transaction that makes it). An edit that
    changed nothing is not recorded. Only the newest KEEP_STEPS steps are kept."""
    kept = [Change(before, after) for before, after in changes if before != after]
    if not kept:
        return
    steps = store.undo_steps()
    created = now
    if steps and created <= steps[-1].created_at:  # a clock set back keeps the order
        created = steps[-1].created_at + dt.timedelta(microseconds=1)
    store.put_undo_step(UndoStep(action=action, changes=_encode(kept), created_at=created))
    for old in steps[: max(0, len(steps) + 1 - KEEP_STEPS)]:
        store.delete_undo_step(old.id)


def rows_of(store: Store, kind: str) -> list[Any]:
    if kind == "session":
        return store.sessions()
    if kind == "skip":
        return store.skips()
    if kind == "pause":
        return store.pauses()
    if kind == "visit":
        return store.visits()
    if kind == "roller":
        return store.rollers()
    raise InvalidInput(f"Unknown kind {kind!r}.")


def put_row(store: Store, record: Record) -> None:
    match record:
        case Session():
            store.put_session(record)
        case Skip():
            store.put_skip(record)
        case Pause():
            store.put_pause(record)
        case Visit():
            store.put_visit(record)
        case Roller():
            store.put_roller(record)


def delete_row(store: Store, record: Record) -> None:
    match record:
        case Session():
            store.delete_session(record.id)
        case Skip():
            store.delete_skip(record.id)
        case Pause():
            store.delete_pause(record.id)
        case Visit():
            store.delete_visit(record.id)
        case Roller():
            store.delete_roller(record.id)


def said(record: Record, tz: ZoneInfo) -> str:
    """A record in the words of the core's messages: 'the session of Sun 6 Dec 2026 21:05'."""
    match record:
        case Session():
            return f"the session of {says_at(record.start.astimezone(tz))}"
        case Skip():
            return f"the skip of {says_at(record.slot.astimezone(tz))}"
        case Pause():
            return f"the pause from {says_day(record.first)} through {says_day(record.last)}"
        case Visit():
            return f"the visit of {says_at(record.at.astimezone(tz))}"
        case Roller():
            return f"the roller {record.label!r}"


class UndoCases(Base):
    def last_change(self) -> Step | None:
        """The step ``undo`` would take back, or None when there is nothing to undo."""
        steps = self.store.undo_steps()
        return _decode(steps[-1]) if steps else None

    def undo(self) -> Step | None:
        """Take back the newest edit or deletion; None when there is nothing to undo. Refuses
        (Conflict, nothing changed) when a row changed since, or putting it back would break a
        rule of the log; the step then stays, to be undone once that is sorted out."""
        tz = self.zone()
        with self.store.transaction():
            steps = self.store.undo_steps()
            if not steps:
                return None
            step = _decode(steps[-1])
            ids = {c.before.id for c in step.changes}
            for c in step.changes:
                now_there = next(
                    (r for r in rows_of(self.store, c.kind) if r.id == c.before.id), None
                )
                if now_there != c.after:
                    what = said(c.after or c.before, tz)
                    done = "changed" if now_there is not None else "deleted"
                    if c.after is None:
                        done = "brought back another way"
                    raise Conflict(f"Cannot undo: {what} was {done} since. Nothing was changed.")
            for c in step.changes:
                others = [r for r in rows_of(self.store, c.kind) if r.id not in ids]
                _check_restore(c.before, others, tz)
            for c in step.changes:
                put_row(self.store, c.before)
            self.store.delete_undo_step(steps[-1].id)
        return step


def _check_restore(row: Record, others: Sequence[HasId], tz: ZoneInfo) -> None:
    """Refuse to put ``row`` back where the log now has what it would clash with."""
    clash: str | None = None
    match row:
        case Session():
            if any(isinstance(o, Session) and o.start == row.start for o in others):
                clash = f"a session at {says_at(row.start.astimezone(tz))} is logged now"
        case Skip():
            day = row.slot.astimezone(tz).date()
            if any(isinstance(o, Skip) and o.slot.astimezone(tz).date() == day for o in others):
                clash = f"the slot of {says_day(day)} is skipped now"
        case Pause():
            for o in others:
                if isinstance(o, Pause) and o.first <= row.last and row.first <= o.last:
                    clash = (
                        f"it would overlap your pause from {says_day(o.first)} through "
                        f"{says_day(o.last)}"
                    )
                    break
        case Visit():
            if any(isinstance(o, Visit) and o.at == row.at for o in others):
                clash = f"a visit at {says_at(row.at.astimezone(tz))} is recorded now"
        case Roller():
            current = [o for o in others if isinstance(o, Roller) and o.retired is None]
            if row.retired is None and current:
                clash = f"{current[-1].label!r} is your current roller now"
    if clash is not None:
        raise Conflict(f"Cannot undo: {clash}. Nothing was changed.")


def check_flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{what} is true or false.")
    return value
