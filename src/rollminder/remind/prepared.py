"""Prepared passes (issue 16): what a worker will send at a profile's next instant, worked out
ahead of time, so that the peak minute sends from the claimed rows alone.

At about 21:00 local time hundreds of thousands of reminders fall due in the same minute. A full
delivery pass reads the profile's plan, log, pauses, rollers, settings, ledger ... and runs the
planner: some 250 statements and 10 ms of CPU a profile, far too much for that minute. So an idle
worker (nothing due now) looks ahead: for each profile due within :data:`HORIZON` it runs the
same choice as the pass (:func:`engine.choose`) on a facade whose clock reads the profile's next
instant, and stores the result (:class:`Prepared`): each channel's reminders, how long the
choice holds (:attr:`Prepared.valid_until`), and the due index once they are sent
(:attr:`Prepared.next`). At the instant, the worker claims the due rows, reads their prepared
passes in one query, claims the ledger rows of a whole batch in one statement, sends, and
records the batch and advances its due rows in one transaction (:mod:`.worker`).

It never sends what the full pass would not:

- every write that can move a reminder drops the profile's prepared pass in its own transaction
  (the due index's ``put_due_index``, called by :class:`.due.Tracked`), and a prepared pass is
  stored only if no such write came between its reading and its storing (a version number);
- a profile is prepared only when its ledger holds nothing in flight (every row recorded), its
  channels are all ones a worker sends on, and the choice claims only fresh ledger rows;
- the choice holds until the next reminder of the profile falls due, a chosen one goes stale, a
  backing-off channel may try again, or :data:`WINDOW` after the instant: past it (workers down
  for a while), the full pass runs;
- the ledger decides as always: a batch claims with ``ON CONFLICT DO NOTHING``, and a profile
  whose claim met a row goes through the full pass, which takes over or skips it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rollminder.remind import planner
from rollminder.remind.records import Delivery

if TYPE_CHECKING:
    from rollminder.service import Rollminder

#: How long after its instant a prepared pass may still be sent as prepared.
WINDOW = dt.timedelta(minutes=15)
#: Idle workers prepare the profiles due within this.
HORIZON = dt.timedelta(hours=2)


@dataclass(frozen=True)
class Prepared:
    """One profile's pass at ``at``: per channel id, its reminders in claim order."""

    at: dt.datetime
    valid_until: dt.datetime
    deliveries: tuple[tuple[str, tuple[planner.Reminder, ...]], ...]
    next: dict[str, dt.datetime] = field(default_factory=dict)

    def holds(self, now: dt.datetime) -> bool:
        return self.at <= now < self.valid_until

    def to_json(self) -> str:
        return json.dumps(
            {
                "at": self.at.isoformat(),
                "valid_until": self.valid_until.isoformat(),
                "deliveries": [
                    [cid, [_reminder_out(r) for r in rs]] for cid, rs in self.deliveries
                ],
                "next": {k: v.isoformat() for k, v in self.next.items()},
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> Prepared:
        data = json.loads(text) if isinstance(text, str) else text
        return cls(
            at=_instant(data["at"]),
            valid_until=_instant(data["valid_until"]),
            deliveries=tuple(
                (str(cid), tuple(_reminder_in(r) for r in rs)) for cid, rs in data["deliveries"]
            ),
            next={str(k): _instant(v) for k, v in data["next"].items()},
        )


def _instant(text: str) -> dt.datetime:
    at = dt.datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError("a prepared instant must be aware")
    return at.astimezone(dt.UTC)


def _reminder_out(r: planner.Reminder) -> dict[str, Any]:
    start = r.slot_start
    zone = ""
    if start is not None and isinstance(start.tzinfo, ZoneInfo):
        zone = start.tzinfo.key
    return {
        "slot": r.slot,
        "kind": r.kind,
        "at": r.at.isoformat(),
        "until": r.until.isoformat() if r.until else None,
        "title": r.title,
        "body": r.body,
        "start": start.isoformat() if start else None,
        "zone": zone,
        "routine": r.routine,
        "what": r.what,
    }


def _reminder_in(d: dict[str, Any]) -> planner.Reminder:
    start = dt.datetime.fromisoformat(d["start"]) if d.get("start") else None
    if start is not None and d.get("zone"):
        start = start.astimezone(ZoneInfo(d["zone"]))  # the plan's zone: its words and dates
    return planner.Reminder(
        slot=str(d["slot"]),
        kind=str(d["kind"]),
        at=_instant(d["at"]),
        until=_instant(d["until"]) if d.get("until") else None,
        title=str(d["title"]),
        body=str(d["body"]),
        slot_start=start,
        routine=str(d.get("routine", "")),
        what=str(d.get("what", "")),
    )


def prepare(app: Rollminder, now: dt.datetime) -> Prepared | None:
    """The profile's pass at its next instant, if that is within :data:`HORIZON` of ``now`` and
    the pass can be prepared (see the module docstring); else None."""
    from rollminder.remind import due, engine

    entries = due.next_due(app, now)
    if not entries:
        return None
    at = max(min(entries.values()), now)
    if at - now > HORIZON:
        return None
    then = type(app)(app.raw, lambda: at)  # the same store, its clock at the instant
    configs = then.store.channels()
    if not configs or any(c.kind == "desktop" for c in configs):
        return None  # nothing to send on, or a desktop (a worker has none: the full pass)
    ledger = {(d.slot, d.kind, d.channel): d for d in then.store.deliveries(since=None)}
    if any(d.state != "recorded" for d in ledger.values()):
        return None  # something in flight: the full pass settles it
    statuses = then.store.channel_statuses()
    found = engine.compute(then, at) + then.photo_reminders(at)
    chosen, _ = engine.choose(
        configs, planner.due(found, at), engine.ahead(found, at), ledger, statuses, at
    )
    if not chosen or any(held is not None for _, _, held in chosen):
        return None
    keys = {(r.slot, r.kind) for _, r, _ in chosen}
    limits = [at + WINDOW]
    limits += [r.at for r in found if r.at > at and (r.slot, r.kind) not in keys]
    limits += [r.until for _, r, _ in chosen if r.until is not None]
    limits += [s.retry_at for s in statuses.values() if s.retry_at and s.retry_at > at]
    per_channel: dict[str, list[planner.Reminder]] = {}
    after = dict(ledger)
    for config, r, _ in chosen:
        per_channel.setdefault(config.id, []).append(r)
        after[(r.slot, r.kind, config.id)] = Delivery(
            slot=r.slot, kind=r.kind, channel=config.id, state="recorded", due_at=r.at,
            claimed_at=at, owner="", sent_at=at, recorded_at=at,
        )  # fmt: skip
    sent_on = set(per_channel)
    healthy = {
        cid: replace(s, failures=0, retry_at=None) if cid in sent_on else s
        for cid, s in statuses.items()
    }
    return Prepared(
        at=at,
        valid_until=min(limits),
        deliveries=tuple((cid, tuple(rs)) for cid, rs in per_channel.items()),
        next=due.instants(configs, found, after, healthy, at),
    )
