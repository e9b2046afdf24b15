"""One delivery pass: compute what is due, claim it in the ledger, send, record.

Each delivery is one ledger row keyed ``(slot, kind, channel)`` that goes

    claimed  (committed before anything is sent: another process skips the key)
    -> sent  (committed as soon as the channel accepted it)
    -> recorded  (committed with the channel's health: last sent, failures reset)

so a restart resumes without losing or repeating a reminder. A claim left by a process that died
before sending (its pid is gone, or the claim is older than :data:`LEASE`) is taken over and
sent; a row left ``sent`` is only recorded. Only a death between the channel accepting the
message and the ``sent`` commit repeats it, once.

A failing channel is retried with exponential backoff (:func:`backoff`), per channel: its claim is
released, its failure and next try are stored (``rollminder channel list`` shows them) and the
other channels go on. Each channel sends on a daemon thread of its own with a deadline
(:class:`Senders`): a channel that never answers delays no other channel and no later reminder,
and never keeps the process from stopping; its claims stay, for the rules above.

``ROLLMINDER_FAULT=claimed|sent|recorded`` (tests only) kills the process with SIGKILL at that
step of the first delivery, to prove the above.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from rollminder.remind import planner
from rollminder.remind.actions import SNOOZE_MAX as SNOOZE_MAX
from rollminder.remind.actions import done_open as done_open
from rollminder.remind.actions import key_id as key_id
from rollminder.remind.actions import open_now as open_now
from rollminder.remind.actions import snooze as snooze
from rollminder.remind.actions import snooze_open as snooze_open
from rollminder.remind.channels import Channel, ChannelError, build, scrub
from rollminder.remind.flights import SEND_DEADLINE as SEND_DEADLINE
from rollminder.remind.flights import Item, Outcome, _Flight
from rollminder.remind.flights import Senders as Senders
from rollminder.remind.messages import Links as Links
from rollminder.remind.messages import groups as groups
from rollminder.remind.messages import hide_links as hide_links
from rollminder.remind.messages import linked as linked
from rollminder.remind.messages import render as render
from rollminder.remind.messages import render_group as render_group
from rollminder.remind.messages import with_links as with_links
from rollminder.remind.records import ChannelConfig, ChannelStatus, Delivery

if TYPE_CHECKING:
    from rollminder.service import Rollminder

log = logging.getLogger("rollminder.remind")
# A library's logger: silent unless the daemon (or an embedding app) configures logging.
log.addHandler(logging.NullHandler())

#: A claim older than this is taken over even when its owner may be alive.
LEASE = dt.timedelta(minutes=5)
#: Backoff of a failing channel: 30 s, 1 min, 2 min ... at most 30 min.
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(minutes=30)
#: How far back the ledger is read (reminders older than this are stale anyway).
LEDGER_DAYS = 3
#: How long a snooze lasts unless the person says.
SNOOZE_DEFAULT = dt.timedelta(minutes=30)

_HOST = socket.gethostname()
_NONCE = uuid.uuid4().hex[:8]


def owner() -> str:
    """Who holds a claim: host, pid and a per-process nonce."""
    return f"{_HOST}:{os.getpid()}:{_NONCE}"


def _owner_dead(held_by: str) -> bool:
    if held_by == owner():
        return True  # our own claim from an earlier, interrupted pass
    host, _, rest = held_by.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def backoff(failures: int) -> dt.timedelta:
    """The wait after ``failures`` failures in a row (1, 2, ...)."""
    step: dt.timedelta = BACKOFF_FIRST * (2 ** max(0, min(failures - 1, 20)))
    return min(step, BACKOFF_MAX)


def _fault(step: str) -> None:
    if os.environ.get("ROLLMINDER_FAULT") == step:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class Sent:
    reminder: planner.Reminder
    channel: str  # the channel's name
    late: bool


@dataclass
class PassResult:
    """What one pass did, and when the next one should run."""

    now: dt.datetime
    sent: list[Sent] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (channel name, error)
    next_at: dt.datetime | None = None
    unreachable: bool = False  # due reminders, but no channel at all
    channels: int = 0


def compute(app: Rollminder, now: dt.datetime) -> list[planner.Reminder]:
    """Every reminder due now or later for the profile: every routine's (issue 12), each
    routine's slots keyed by :func:`planner.slot_key` with its id unless it is the first; without
    a plan, a clinic-only person's visit and booking reminders, at 09:00 in their zone."""
    if not app.several_routines():
        return _compute_one(app, now)
    first = app.routines()[0].routine.id if app.routines() else ""
    found: dict[tuple[str, str], planner.Reminder] = {}
    for routine, one in app.each_routine():
        if routine is None:
            continue
        rid = "" if routine.id == first else routine.id
        for r in _compute_one(one, now, routine=routine.name, routine_id=rid):
            found.setdefault((r.slot, r.kind), r)  # a visit or a series is the profile's: once
    if not found and not app.has_plan():
        return _compute_one(app, now)
    return sorted(found.values(), key=lambda r: (r.at, r.kind, r.slot))


def _compute_one(
    app: Rollminder, now: dt.datetime, *, routine: str = "", routine_id: str = ""
) -> list[planner.Reminder]:
    if not app.has_plan():
        if not app.clinic_only():
            return []
        found = planner.clinic_reminders(app.visits(), app.series_status(), now, app.zone())
        found = [r for r in found if r.until is None or now < r.until]
        return sorted(found, key=lambda r: (r.at, r.kind))
    plan = app.plan()  # while travelling: the plan's time in the zone the person is in
    log_ = app.log_for(plan, now)
    current = app.current_roller()
    wear = app.roller_wear(current.id) if current is not None else None
    return planner.reminders(
        plan,
        log_,
        app.store.settings(),
        now,
        snoozes=app.store.snoozes(),
        roller=wear,
        series=app.series_status(),
        routine=routine,
        routine_id=routine_id,
    )


def ahead(found: Sequence[planner.Reminder], now: dt.datetime) -> list[planner.Reminder]:
    """The reminders not due yet that may go out now with one that is (issue 12): another
    routine's prep or session reminder for a slot within the hour on the same day
    (:func:`planner.joinable`), so two routines due the same evening get one message, not two a
    few minutes apart. A pass sends one only with a due reminder it sends on that channel."""
    due = planner.due(found, now)
    return [
        r
        for r in found
        if r.at > now
        and r.kind in (planner.PREP, planner.SESSION)
        and (r.until is None or now < r.until)
        and any(planner.joinable(d, r) for d in due)
    ]


Chosen = list[tuple[ChannelConfig, planner.Reminder, Delivery | None]]


def choose(
    configs: Sequence[ChannelConfig],
    due: Sequence[planner.Reminder],
    early: Sequence[planner.Reminder],
    ledger: Mapping[tuple[str, str, str], Delivery],
    statuses: Mapping[str, ChannelStatus],
    now: dt.datetime,
    *,
    busy: Callable[[str], bool] = lambda cid: False,
) -> tuple[Chosen, dt.datetime | None]:
    """What a pass at ``now`` claims: (channel, reminder, the ledger row its claim replaces or
    None) in the order the claims are made, and the earliest retry of a channel backing off (None:
    none). Pure: the delivery pass (:func:`run_pass`) and the worker's prepared passes
    (:mod:`rollminder.remind.prepared`) share it, so both send exactly the same."""
    # How far each slot's sequence got on each channel (see planner.stage): nothing earlier
    # goes out after a later one, so a clock step never repeats a slot's reminders.
    reached: dict[tuple[str, str], int] = {}
    for d in ledger.values():
        st = planner.stage(d.kind)
        if st is not None:
            reached[(d.slot, d.channel)] = max(st, reached.get((d.slot, d.channel), -1))
    out: Chosen = []
    retry: dt.datetime | None = None
    for config in configs:
        if busy(config.id):
            continue  # still sending (or stuck): its reminders wait for it, no one else does
        status = statuses.get(config.id)
        if status and status.retry_at and now < status.retry_at:
            retry = status.retry_at if retry is None else min(retry, status.retry_at)
            continue

        def held_by(r: planner.Reminder, cid: str = config.id) -> Delivery | bool | None:
            """The ledger row to replace (None: none yet), or False: not this reminder."""
            held = ledger.get((r.slot, r.kind, cid))
            st = planner.stage(r.kind)
            if held is None and st is not None and st < reached.get((r.slot, cid), -1):
                return False  # a later reminder of this slot already went out on this channel
            if held is None:
                return None
            if held.state == "claimed" and (
                _owner_dead(held.owner) or now - held.claimed_at > LEASE
            ):
                return held
            return False

        mine = [r for r in due if held_by(r) is not False]
        mine += [
            r
            for r in early
            if any(planner.joinable(d, r) for d in mine) and held_by(r) is not False
        ]
        for r in mine:
            held = held_by(r)
            if held is not False:
                out.append((config, r, held if isinstance(held, Delivery) else None))
    return out, retry


def run_pass(
    app: Rollminder,
    configs: Sequence[ChannelConfig],
    *,
    channel_for: Callable[[ChannelConfig], Channel] = build,
    links: Links | None = None,
    senders: Senders | None = None,
    wait: float | None = None,
    stop: threading.Event | None = None,
) -> PassResult:
    """Send what is due now on every channel in ``configs``; see the module docstring.

    ``links`` (given by the web app's reminder loop) adds action links to the body of session
    and snooze reminders sent through a channel other than the desktop (whose notification has
    Done and Snooze buttons of its own).

    Each channel sends on a thread of its own (see :class:`Senders`). The pass waits for the
    sends it started at most ``wait`` seconds (default: the senders' deadline) or until ``stop``
    is set; what finishes later is recorded by a later pass with the same ``senders`` (the
    daemon's). Without ``senders`` the pass has its own."""
    if senders is None:
        senders = Senders()
    now = app.now()
    result = PassResult(now=now, channels=len(configs))
    names = {c.id: c.name for c in configs}
    statuses = app.store.channel_statuses()
    _settle(app, senders, result, statuses)  # what earlier passes' senders did since
    statuses = app.store.channel_statuses()
    found = compute(app, now) + app.photo_reminders(now)  # the skin journal (issue 17)
    due = planner.due(found, now)
    early = ahead(found, now)
    result.next_at = planner.next_at(found, now)
    me = owner()
    ledger = {(d.slot, d.kind, d.channel): d for d in app.store.deliveries(since=None)}

    # Finish what a dead process left sent but not recorded (never send those again).
    for d in ledger.values():
        if d.state == "sent" and _owner_dead(d.owner):
            _record(app, d, now)

    if due and not configs:
        result.unreachable = True
    chosen, backoff_at = choose(configs, due, early, ledger, statuses, now, busy=senders.busy)
    if backoff_at is not None:
        result.next_at = backoff_at if result.next_at is None else min(result.next_at, backoff_at)
    work: dict[str, list[Item]] = {}
    for config, r, held in chosen:
        claim = Delivery(
            slot=r.slot,
            kind=r.kind,
            channel=config.id,
            state="claimed",
            due_at=r.at,
            claimed_at=now,
            owner=me,
            late=r.late(now),
        )
        if held is None:
            taken = app.store.claim_delivery(claim)
        else:
            taken = app.store.claim_delivery(claim, replacing=held.owner)
        if taken:
            work.setdefault(config.id, []).append((config, r, claim))
    if work:
        _fault("claimed")
        actions: Mapping[str, str] = {}
        if links is not None and any(linked(r) for items in work.values() for _, r, _ in items):
            try:  # read here, on the pass's thread: the store is not shared with the senders
                actions = dict(links(app))
            except Exception as exc:  # the reminder goes out without its links
                log.warning("the action links could not be made (%s)", type(exc).__name__)

        def deliver(items: list[Item]) -> Outcome:
            """One channel's sends, in order, routines due together in one message (each claim
            gets that message's outcome); stops at the first failure."""
            config = items[0][0]
            channel = channel_for(config)
            out: Outcome = []
            failed: str | None = None
            claims = {(r.slot, r.kind): claim for _, r, claim in items}
            for group in groups([r for _, r, _ in items]):
                mine = [claims[(r.slot, r.kind)] for r in group]
                if failed is not None:
                    out += [(claim, failed) for claim in mine]
                    continue
                title, body, slot = render_group(group, now, actions, config.kind)
                try:
                    channel.send(title, body, slot=slot)
                    out += [(claim, None) for claim in mine]
                except ChannelError as exc:
                    failed = hide_links(str(exc) or "failed", actions)
                    out += [(claim, failed) for claim in mine]
                except Exception as exc:  # a channel must not take the pass down
                    failed = hide_links(scrub(f"{type(exc).__name__}: {exc}", config.url), actions)
                    out += [(claim, failed) for claim in mine]
            return out

        deadline = time.monotonic() + senders.deadline
        for cid, items in work.items():
            senders.start(_Flight(cid, names[cid], items, deadline), deliver)
        senders.wait(senders.deadline if wait is None else wait, set(work), stop)
        _settle(app, senders, result, statuses)
    return result


def _settle(
    app: Rollminder, senders: Senders, result: PassResult, statuses: Mapping[str, ChannelStatus]
) -> None:
    """Record what the senders did: each reminder a channel accepted goes claimed -> sent ->
    recorded; a failed one's claim is released and the channel backs off. A channel past its
    deadline counts as failed now (its claims stay: see :class:`Senders`)."""
    for flight in senders.done():
        cid = flight.channel
        errors: list[str] = []
        if flight.out is None:  # overdue: given up on, not waited for
            flight.overdue = True
            errors.append(f"no answer within {senders.deadline:g} seconds")
        else:
            reminders = {(r.slot, r.kind): r for _, r, _ in flight.items}
            for claim, error in flight.out:
                r = reminders[(claim.slot, claim.kind)]
                if error is None:
                    _fault("sent")
                    sent = replace(claim, state="sent", sent_at=app.now())
                    app.store.put_delivery(sent)
                    _record(app, sent, app.now())
                    _fault("recorded")
                    result.sent.append(Sent(r, flight.name, claim.late))
                    log.info(
                        "sent %s reminder for %s via %s%s",
                        r.kind,
                        r.slot,
                        flight.name,
                        " (catch-up)" if claim.late else "",
                    )
                else:
                    app.store.delete_delivery(claim.slot, claim.kind, claim.channel)
                    errors.append(error)
            if flight.overdue:
                continue  # its failure was counted when it missed the deadline
        if errors:
            status = _failed(app, cid, errors[0], statuses.get(cid))
            result.failed.append((flight.name, errors[0]))
            log.warning(
                "channel %s failed (%d in a row): %s; next try at %s",
                flight.name,
                status.failures,
                errors[0],
                status.retry_at.isoformat() if status.retry_at else "-",
            )
            if status.retry_at is not None:
                nxt = status.retry_at
                result.next_at = nxt if result.next_at is None else min(result.next_at, nxt)


def _record(app: Rollminder, delivery: Delivery, now: dt.datetime) -> None:
    with app.store.transaction():
        app.store.put_delivery(replace(delivery, state="recorded", recorded_at=now))
        status = app.store.channel_statuses().get(delivery.channel, ChannelStatus(delivery.channel))
        app.store.put_channel_status(
            replace(status, failures=0, retry_at=None, last_sent_at=delivery.sent_at or now)
        )


def _failed(
    app: Rollminder, channel_id: str, error: str, before: ChannelStatus | None
) -> ChannelStatus:
    now = app.now()
    with app.store.transaction():
        current = (
            app.store.channel_statuses().get(channel_id) or before or ChannelStatus(channel_id)
        )
        failures = current.failures + 1
        status = replace(
            current,
            failures=failures,
            last_error=error,
            last_error_at=now,
            retry_at=now + backoff(failures),
        )
        app.store.put_channel_status(status)
    return status


def heartbeat(app: Rollminder, what: str, **facts: object) -> None:
    """Note that ``what`` (daemon, remind) ran now: ``rollminder next`` and ``service status``
    read it."""
    app.store.put_reminder_state(what, json.dumps({"at": app.now().isoformat(), **facts}))
