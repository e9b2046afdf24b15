"""A worker's batch sent from its prepared passes (issue 16, :mod:`.prepared`): four statements
and one batch of sends for the whole batch of claimed rows, instead of a full delivery pass per
profile.

1. read the batch's prepared passes that hold now, with their channels and send secrets;
2. claim every ledger row they name in one statement (``ON CONFLICT DO NOTHING``): a profile
   whose rows were not all claimed goes to the full pass (which takes over or skips them);
3. send every message (:class:`.batch.BatchSender`), routines due together in one message, the
   words as at the time of sending (:mod:`.messages`);
4. in one transaction: the sent rows recorded with their channels' health, the failed ones
   released, and each profile whose messages all went moved to its next instants.

Exactly once holds as in the engine: a claim is committed before any send; a worker killed
after claiming and before recording leaves claims that the full pass takes over (one repeat,
only for a kill between the channel accepting and the record); ``ROLLMINDER_FAULT`` kills at the
same three steps. A profile with a failed send goes to the full pass at once, which sends what
is left and backs the channel off.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rollminder.remind import engine, messages, webpush
from rollminder.remind.batch import BatchSender, Outgoing
from rollminder.remind.metrics import Registry
from rollminder.remind.prepared import Prepared
from rollminder.remind.records import ChannelConfig

if TYPE_CHECKING:
    from rollminder.remind.worker import Stats
    from rollminder.store.postgres_due import DueClaim, DueQueue, Ready

log = logging.getLogger("rollminder.remind")

#: An outgoing message's key: profile id, channel id, its (slot, kind)s and their instants.
Key = tuple[int, str, tuple[tuple[str, str], ...], tuple[dt.datetime, ...]]


class FastPath:
    def __init__(
        self,
        queue: DueQueue,
        owner: str,
        registry: Registry,
        stats: Stats,
        lock: threading.Lock,
        deadline: float,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.queue = queue
        self.clock = clock
        self.owner = owner
        self.registry = registry
        self.stats = stats
        self.lock = lock
        self.sender = BatchSender(deadline)

    def deliver(self, claims: Sequence[DueClaim], now: dt.datetime) -> set[int]:
        """Send the prepared passes of ``claims``' profiles; the profile ids left to the full
        pass (no prepared pass holding now, a ledger row already there, a failed send)."""
        ids = {c.profile_id for c in claims}
        ready = self.queue.take_prepared(sorted(ids), now, self.owner)
        passes: dict[int, tuple[Ready, Prepared, dict[str, ChannelConfig]]] = {}
        wanted: list[dict[str, Any]] = []
        for rd in ready:
            try:
                found = Prepared.from_json(rd.payload)
                configs = {c.id: c for c in map(_config, rd.channels)}
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("profile #%d: a prepared pass could not be read (%s)", rd.profile_id,
                            type(exc).__name__)  # fmt: skip
                continue
            if not found.holds(now) or any(cid not in configs for cid, _ in found.deliveries):
                continue
            passes[rd.profile_id] = (rd, found, configs)
            for cid, reminders in found.deliveries:
                wanted += [
                    {"p": rd.profile_id, "slot": r.slot, "kind": r.kind, "channel": cid,
                     "due_at": r.at.isoformat(), "late": r.late(now)}
                    for r in reminders
                ]  # fmt: skip
        if not passes:
            return ids
        taken = self.queue.claim_prepared(now, self.owner, wanted)
        engine._fault("claimed")
        going = [
            pid
            for pid, (_, found, _) in passes.items()
            if all((pid, r.slot, r.kind, cid) in taken for cid, rs in found.deliveries for r in rs)
        ]
        items = [item for pid in going for item in _messages(pid, passes[pid], now)]
        outcomes = self.sender.send(items)
        engine._fault("sent")
        after = max(now, self.clock())  # the worker's clock, after the sends
        sent: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        broken: set[int] = set()
        kinds: dict[tuple[int, str], str] = {}
        late: list[tuple[str, float]] = []
        for item, error in zip(items, outcomes, strict=True):
            key: Key = item.key  # type: ignore[assignment]
            pid, cid, keys, due_at = key
            kinds[(pid, cid)] = item.config.kind
            rows = [{"p": pid, "slot": s, "kind": k, "channel": cid} for s, k in keys]
            if error is None:
                sent += [{**row, "sent_at": after.isoformat()} for row in rows]
                late += [(item.config.kind, (after - at).total_seconds()) for at in due_at]
            else:
                failed += rows
                broken.add(pid)
                self.registry.failure(item.config.kind)
                log.warning("profile #%d: channel %s failed: %s", pid, item.config.name, error)
        advance = [
            {"p": pid, "version": passes[pid][0].version,
             "next": {k: v.isoformat() for k, v in passes[pid][1].next.items()}}
            for pid in going if pid not in broken
        ]  # fmt: skip
        self.queue.record_prepared(after, self.owner, sent, failed, advance)
        engine._fault("recorded")
        for kind, seconds in late:
            self.registry.sent(kind, seconds)
        self.registry.fast(len(late))
        self.registry.passed(len(going))
        with self.lock:
            self.stats.passes += len(going)
            self.stats.sent += len(late)
            self.stats.failed += len(failed)
            self.stats.lateness += [s for _, s in late]
        return ids - set(going) | broken

    def close(self) -> None:
        self.sender.close()


def _config(data: dict[str, Any]) -> ChannelConfig:
    created = data["created_at"]
    return ChannelConfig(
        name=str(data["name"]), url=str(data["url"]), masked=str(data["masked"]),
        kind=str(data["kind"]), id=str(data["id"]),
        created_at=dt.datetime.fromisoformat(created) if isinstance(created, str) else created,
    )  # fmt: skip


def _messages(
    pid: int, one: tuple[Ready, Prepared, dict[str, ChannelConfig]], now: dt.datetime
) -> list[Outgoing]:
    rd, found, configs = one
    out = []
    for cid, reminders in found.deliveries:
        config = configs[cid]
        channel = None
        if config.kind == webpush.KIND:  # its sender made here, with the key and token
            channel = webpush.WebPushChannel(
                config, rd.secrets.get(webpush.VAPID_SECRET, ""),
                rd.secrets.get(webpush.ACTION_TOKEN, ""),
            )  # fmt: skip
        for group in messages.groups(list(reminders)):
            title, body, slot = messages.render_group(group, now, {}, config.kind)
            keys = tuple((r.slot, r.kind) for r in group)
            out.append(
                Outgoing(
                    (pid, cid, keys, tuple(r.at for r in group)), config, title, body, slot, channel
                )
            )
    return out
