"""The reminders' figures in the Prometheus text format (issue 16): deliveries and failures by
channel kind, the lateness of what was sent, the time and size of the workers' claims, and the
due backlog (read from the database when asked). One registry per process (:data:`REGISTRY`):
the web app's ``/metrics`` shows its own (its reminder thread), each ``rollminder worker`` serves
its own (``--metrics-port``). No dependency: the format is a few lines of text."""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

#: Lateness buckets, seconds.
LATENESS_BUCKETS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
#: Claim batch durations, seconds.
CLAIM_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class Histogram:
    buckets: Sequence[float]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    n: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.buckets)

    def observe(self, value: float) -> None:
        i = bisect.bisect_left(self.buckets, value)
        if i < len(self.counts):
            self.counts[i] += 1
        self.total += value
        self.n += 1

    def lines(self, name: str) -> list[str]:
        out, running = [], 0
        for bound, count in zip(self.buckets, self.counts, strict=True):
            running += count
            out.append(f'{name}_bucket{{le="{bound:g}"}} {running}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.n}')
        out.append(f"{name}_sum {self.total:.6f}")
        out.append(f"{name}_count {self.n}")
        return out


class Registry:
    """The process's figures; every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.delivered: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.lateness = Histogram(LATENESS_BUCKETS)
        self.claims = Histogram(CLAIM_BUCKETS)
        self.claimed = 0
        self.passes = 0
        self.prepared_passes = {"stored": 0, "full": 0}  # prepared ahead / left to the full pass
        self.fast_sent = 0  # reminders sent from a prepared pass
        #: Reads the due backlog (due rows, of which leased, the oldest's age in seconds).
        self.backlog: Callable[[], tuple[int, int, float]] | None = None

    def sent(self, kind: str, late_seconds: float) -> None:
        with self._lock:
            self.delivered[kind] = self.delivered.get(kind, 0) + 1
            self.lateness.observe(max(0.0, late_seconds))

    def failure(self, kind: str) -> None:
        with self._lock:
            self.failed[kind] = self.failed.get(kind, 0) + 1

    def claim(self, seconds: float, rows: int) -> None:
        with self._lock:
            self.claims.observe(seconds)
            self.claimed += rows

    def prepared(self, stored: bool) -> None:
        with self._lock:
            self.prepared_passes["stored" if stored else "full"] += 1

    def fast(self, count: int) -> None:
        with self._lock:
            self.fast_sent += count

    def passed(self, count: int = 1) -> None:
        with self._lock:
            self.passes += count

    def render(self) -> str:
        """The text exposition format, version 0.0.4."""
        backlog = None
        if self.backlog is not None:
            try:
                backlog = self.backlog()
            except Exception:  # the database is down: the rest is still worth reading
                backlog = None
        with self._lock:
            out = [
                "# HELP rollminder_deliveries_total Reminders accepted by a channel.",
                "# TYPE rollminder_deliveries_total counter",
            ]
            out += [
                f'rollminder_deliveries_total{{kind="{_label(k)}"}} {v}'
                for k, v in sorted(self.delivered.items())
            ]
            out += [
                "# HELP rollminder_delivery_failures_total Sends a channel refused or timed out.",
                "# TYPE rollminder_delivery_failures_total counter",
            ]
            out += [
                f'rollminder_delivery_failures_total{{kind="{_label(k)}"}} {v}'
                for k, v in sorted(self.failed.items())
            ]
            out += [
                "# HELP rollminder_lateness_seconds How long after its instant a reminder went.",
                "# TYPE rollminder_lateness_seconds histogram",
                *self.lateness.lines("rollminder_lateness_seconds"),
                "# HELP rollminder_claim_batch_seconds How long one claim of due rows took.",
                "# TYPE rollminder_claim_batch_seconds histogram",
                *self.claims.lines("rollminder_claim_batch_seconds"),
                "# HELP rollminder_claimed_rows_total Due rows claimed by this process.",
                "# TYPE rollminder_claimed_rows_total counter",
                f"rollminder_claimed_rows_total {self.claimed}",
                "# HELP rollminder_passes_total Delivery passes run by this process.",
                "# TYPE rollminder_passes_total counter",
                f"rollminder_passes_total {self.passes}",
                "# HELP rollminder_prepared_total Profiles an idle worker looked at ahead: their"
                " pass stored, or left to the full pass.",
                "# TYPE rollminder_prepared_total counter",
                *(
                    f'rollminder_prepared_total{{result="{k}"}} {v}'
                    for k, v in sorted(self.prepared_passes.items())
                ),
                "# HELP rollminder_prepared_sent_total Reminders sent from a prepared pass.",
                "# TYPE rollminder_prepared_sent_total counter",
                f"rollminder_prepared_sent_total {self.fast_sent}",
            ]
        if backlog is not None:
            due, leased, age = backlog
            out += [
                "# HELP rollminder_due_backlog Due-index rows due now that no worker holds.",
                "# TYPE rollminder_due_backlog gauge",
                f"rollminder_due_backlog {due}",
                "# HELP rollminder_due_leased Rows a worker holds (due again when the lease ends).",
                "# TYPE rollminder_due_leased gauge",
                f"rollminder_due_leased {leased}",
                "# HELP rollminder_due_oldest_seconds How long the oldest due row has waited.",
                "# TYPE rollminder_due_oldest_seconds gauge",
                f"rollminder_due_oldest_seconds {age:.3f}",
            ]
        return "\n".join(out) + "\n"


def backlog_reader(
    url: str, clock: Callable[[], dt.datetime]
) -> Callable[[], tuple[int, int, float]]:
    """Reads the due backlog of the hosted database at ``url``: rows due now, of which leased,
    and how long the oldest has waited (seconds)."""

    def read() -> tuple[int, int, float]:
        from rollminder.store.postgres_due import DueQueue

        now = clock()
        b = DueQueue(url).backlog(now)
        age = (now - b.oldest).total_seconds() if b.oldest is not None else 0.0
        return b.due, b.leased, max(0.0, age)

    return read


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


REGISTRY = Registry()
