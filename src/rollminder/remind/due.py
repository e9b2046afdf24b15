"""The due index (issue 16): each routine's next reminder instant, kept where workers can claim it.

:func:`next_due` says, from the same planner as the delivery pass (:func:`engine.compute`) and
the delivery ledger, when each routine of a profile next has something to send: the earliest
reminder not yet delivered on some channel (after the channel's backoff, after a live claim's
lease), and at most :data:`RECHECK` ahead, so that what only time changes (a travel's end) is
looked at twice a day. Routine "" is the profile's first routine and the profile's own reminders
(visits, bookings, rollers).

It is kept in one place: :class:`Tracked` wraps the profile's store for the facade
(``service.Rollminder``) and recomputes the index in the same transaction as every write that
can move it (plans, sessions, skips, pauses, holds, visits, series, rollers, routines, settings,
snoozes, channels); a delivery pass (``engine.run_pass``) recomputes it once at its end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rollminder.remind import planner

if TYPE_CHECKING:
    from rollminder.remind.records import ChannelConfig, ChannelStatus, Delivery
    from rollminder.service import Rollminder
    from rollminder.store.roles import Store

#: The index never points further ahead than this: a profile is looked at twice a day at least.
RECHECK = dt.timedelta(hours=12)

#: Writes that cannot move a reminder (or that a delivery pass makes, which recomputes at its end).
_UNTRACKED = frozenset(
    {
        "put_reminder_state",
        "put_secret",
        "delete_secret",
        "put_undo_step",
        "delete_undo_step",
        "put_due_index",
        "put_due_prepared",
        "put_delivery",
        "delete_delivery",
        "claim_delivery",
        "put_channel_status",
        "delete_damaged_row",
    }
)


def routine_of(slot: str) -> str:
    """The routine a reminder's key belongs to: the id after ``/`` in a slot key
    (:func:`planner.slot_key`), else "" (the first routine, or the profile's own reminders)."""
    if ":" in slot.partition("T")[0]:  # roller:ID, visit:ID, book:SERIES:N
        return ""
    return slot.partition("/")[2]


def next_due(app: Rollminder, now: dt.datetime) -> dict[str, dt.datetime]:
    """Each routine's next instant at which a delivery pass has something to send (see the
    module docstring); empty when nothing can be sent (no channel, nothing planned)."""
    from rollminder.remind import engine

    configs = app.store.channels()
    if not configs:
        return {}
    found = engine.compute(app, now)
    if not found and not app.has_plan() and not app.clinic_only():
        return {}
    found += app.photo_reminders(now)  # the skin journal's (issue 17), through the same ledger
    ledger = {(d.slot, d.kind, d.channel): d for d in app.store.deliveries(since=None)}
    return instants(configs, found, ledger, app.store.channel_statuses(), now)


def instants(
    configs: Sequence[ChannelConfig],
    found: Sequence[planner.Reminder],
    ledger: Mapping[tuple[str, str, str], Delivery],
    statuses: Mapping[str, ChannelStatus],
    now: dt.datetime,
) -> dict[str, dt.datetime]:
    """:func:`next_due` from what it read: the planner's reminders, the ledger, the channels'
    health (a worker's prepared pass asks it with the ledger as it will be once sent)."""
    from rollminder.remind import engine

    reached: dict[tuple[str, str], int] = {}
    for d in ledger.values():
        st = planner.stage(d.kind)
        if st is not None:
            reached[(d.slot, d.channel)] = max(st, reached.get((d.slot, d.channel), -1))
    out: dict[str, dt.datetime] = {}
    for r in found:
        if r.until is not None and r.until <= now:
            continue
        st = planner.stage(r.kind)
        for c in configs:
            held = ledger.get((r.slot, r.kind, c.id))
            if held is None:
                if st is not None and st < reached.get((r.slot, c.id), -1):
                    continue  # a later reminder of the slot went out on this channel
                at = r.at
            elif held.state == "claimed":
                at = r.at if engine._owner_dead(held.owner) else held.claimed_at + engine.LEASE
                at = max(at, r.at)
            else:
                continue  # sent or recorded
            status = statuses.get(c.id)
            if status is not None and status.retry_at is not None and status.retry_at > at:
                at = status.retry_at
            if r.until is not None and at >= r.until:
                continue
            key = routine_of(r.slot)
            out[key] = min(out.get(key, at), at)
    cap = now + RECHECK
    out = {k: min(v, cap) for k, v in out.items()}
    out.setdefault("", cap)
    return dict(sorted(out.items()))


def refresh(app: Rollminder, *, floor: dt.datetime | None = None) -> dict[str, dt.datetime]:
    """Recompute the profile's index and store it. ``floor`` (a worker after its pass): an entry
    still due is put off to then, so a reminder a pass could not send now (its channel is still
    busy) is looked at again later, not at once and again."""
    now = app.now()
    entries = next_due(app, now)
    if floor is not None:
        entries = {k: max(v, floor) if v <= now else v for k, v in entries.items()}
    tracked = _tracker(app)
    if tracked is not None:
        with tracked.quiet(refresh=False):
            app.store.put_due_index(entries)
    else:
        app.store.put_due_index(entries)
    return entries


def _tracker(app: Rollminder) -> Tracked | None:
    raw = app.raw
    return raw if isinstance(raw, Tracked) else None


@contextmanager
def quiet(app: Rollminder, *, refresh: bool = True) -> Iterator[Tracked | None]:
    """Hold back the recomputation while a delivery pass writes; at the end, recompute once if
    anything was written (unless ``refresh`` is False: the caller does it)."""
    tracked = _tracker(app)
    if tracked is None:
        yield None
        return
    with tracked.quiet(refresh=refresh):
        yield tracked


class Tracked:
    """The profile's store, for the facade: every write that can move a reminder marks the index
    stale, and the index is recomputed (``on_change()``) just before the outermost transaction
    commits, so the write and its index commit together. A write outside a transaction gets one.
    Everything else is the inner store's."""

    def __init__(self, inner: Store, on_change: Callable[[Tracked], None]) -> None:
        self.inner = inner
        self._on_change = on_change
        self._depth = 0
        self._stale = False
        self._quiet = 0
        self._quiet_dirty = False

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if name in _UNTRACKED or not name.startswith(("put_", "delete_", "claim_")):
            if (
                self._quiet
                and name in _UNTRACKED
                and name not in ("put_due_index", "put_due_prepared")
            ):
                return self._marking(value)
            return value
        return self._tracking(value)

    def _marking(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            self._quiet_dirty = True
            return method(*args, **kwargs)

        return write

    def _tracking(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            if self._quiet:
                self._quiet_dirty = True
                return method(*args, **kwargs)
            with self.transaction():
                self._stale = True
                return method(*args, **kwargs)

        return write

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.inner.transaction():
            self._depth += 1
            try:
                yield
                if self._depth == 1 and self._stale and not self._quiet:
                    self._stale = False
                    self._on_change(self)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._stale = False

    @contextmanager
    def quiet(self, *, refresh: bool = True) -> Iterator[None]:
        """No recomputation while inside (a delivery pass); at the end, once, if something was
        written and ``refresh``."""
        outer = self._quiet == 0
        if outer:
            self._quiet_dirty = False
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1
        if outer and refresh and self._quiet_dirty:
            self._quiet_dirty = False
            with self.transaction():
                self._on_change(self)
