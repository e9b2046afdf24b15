"""The sends in flight (:class:`Senders`): one daemon thread per channel, each with its own
deadline, so one channel can never delay another or stop the daemon from stopping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from rollminder.remind import planner
from rollminder.remind.records import ChannelConfig, Delivery

#: Seconds a channel may take to send before it counts as failed (its claims stay).
SEND_DEADLINE = 20.0

Item = tuple[ChannelConfig, planner.Reminder, Delivery]
Outcome = list[tuple[Delivery, str | None]]  # each claim, and its error (None: sent)


@dataclass
class _Flight:
    """One channel's sends, on a thread of their own."""

    channel: str  # the channel's id
    name: str
    items: list[Item]
    deadline: float  # time.monotonic() after which the pass stops waiting for it
    thread: threading.Thread | None = None
    out: Outcome | None = None  # set by the thread when it is done
    overdue: bool = False  # already counted as failed (it missed its deadline)


class Senders:
    """The sends in flight: one daemon thread per channel, each with its own deadline
    (:data:`SEND_DEADLINE` seconds), so a channel that never answers (a receiver that drips its
    reply a byte a second) can delay no other channel and no later pass.

    A pass starts the sends and records what has finished, on its own thread (the store is never
    shared with the senders). A channel with a send still in flight is *busy*: later passes leave
    its reminders for when it is done. One past its deadline counts as failed (its backoff
    starts) but is not waited for: its thread is a daemon, so the process can stop at once, and
    its claims stay in the ledger, where a later process takes them over (see the module
    docstring). If the thread ends after all, what it did is recorded then.

    The daemon keeps one for its whole life; a single pass (``rollminder remind``) makes its own
    and waits for it up to the deadline."""

    def __init__(self, deadline: float = SEND_DEADLINE) -> None:
        self.deadline = deadline
        self.flights: dict[str, _Flight] = {}
        #: Set by a sender thread when it is done (the daemon wakes up to record it).
        self.finished = threading.Event()
        self._lock = threading.Lock()

    def busy(self, channel: str | None = None) -> bool:
        with self._lock:
            return bool(self.flights) if channel is None else channel in self.flights

    def start(self, flight: _Flight, work: Callable[[list[Item]], Outcome]) -> None:
        def run() -> None:
            try:
                out = work(flight.items)
            except BaseException as exc:  # never leave a flight without an outcome
                why = f"{type(exc).__name__}"
                out = [(claim, why) for _, _, claim in flight.items]
            with self._lock:
                flight.out = out
            self.finished.set()

        flight.thread = threading.Thread(
            target=run, name=f"rollminder-send-{flight.name}"[:60], daemon=True
        )
        with self._lock:
            self.flights[flight.channel] = flight
        flight.thread.start()

    def done(self) -> list[_Flight]:
        """The flights that have finished (taken out), and those newly past their deadline
        (left in)."""
        now = time.monotonic()
        found: list[_Flight] = []
        with self._lock:
            self.finished.clear()
            for cid, flight in list(self.flights.items()):
                if flight.out is not None:
                    del self.flights[cid]
                    found.append(flight)
                elif not flight.overdue and now >= flight.deadline:
                    found.append(flight)
        return found

    def next_deadline(self) -> float | None:
        """The earliest deadline (time.monotonic()) of a flight not yet counted as failed."""
        with self._lock:
            left = [f.deadline for f in self.flights.values() if not f.overdue]
        return min(left) if left else None

    def wait(self, seconds: float, channels: set[str], stop: threading.Event | None) -> None:
        """Wait until every flight of ``channels`` is done or overdue, ``seconds`` pass, or
        ``stop`` is set (checked every 50 ms)."""
        end = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            with self._lock:
                pending = [
                    f
                    for c, f in self.flights.items()
                    if c in channels and f.out is None and now < f.deadline
                ]
            if not pending or now >= end or (stop is not None and stop.is_set()):
                return
            step = min(end, min(f.deadline for f in pending)) - now
            self.finished.wait(min(step, 0.05))
