"""``rollminder worker`` (issue 16): claim due rows of the due index, run each profile's delivery
pass, record, and put the profile's next instants back; any number of workers, on any machine
that reaches the PostgreSQL database.

One loop: claim up to ``batch`` due rows (``FOR UPDATE SKIP LOCKED``, leased for :data:`LEASE`),
run the passes of their profiles on ``threads`` threads (the sends are I/O: one channel's send
never holds back another's, as in the daemon), write each profile's next instants, release the
leases, and claim again at once while rows are due; with none, wait :data:`IDLE` seconds.

Exactly once, across workers: the delivery ledger decides, as for the daemon
(:mod:`rollminder.remind.engine`): a delivery is claimed in the ledger before it is sent, so two
workers that run the same profile (a lease ended, a write put the row back) never both send it; a
worker killed after claiming and before sending leaves a claim that the next pass takes over (at
once on the same host, its pid being gone; after ``engine.LEASE`` from another host); only a
kill between the channel accepting and the ``sent`` commit repeats a reminder, once. A killed
worker's due rows come back when their lease ends.

SIGTERM (``stop``) drains: no new claim; the passes under way get :data:`DRAIN` seconds to finish
their sends and record them; what is still sending then keeps its ledger claim (as above).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from rollminder.env import Env
from rollminder.errors import InvalidInput, RollminderError
from rollminder.remind import due, engine, prepared
from rollminder.remind.fastpath import FastPath
from rollminder.remind.metrics import REGISTRY, Registry, backlog_reader

log = logging.getLogger("rollminder.remind")

#: How long a claimed due row stays the worker's (a killed worker's rows come back after it).
LEASE = dt.timedelta(seconds=60)
#: Seconds to wait when nothing is due.
IDLE = 0.5
#: Seconds the passes under way get to finish after SIGTERM.
DRAIN = 1.5
#: A reminder a pass could not send yet (its channel busy) is looked at again this much later.
RETRY = dt.timedelta(seconds=30)


@dataclass
class Stats:
    """What a worker did (the bench reads it)."""

    claimed: int = 0
    passes: int = 0
    sent: int = 0
    failed: int = 0
    errors: int = 0
    claim_seconds: list[float] = field(default_factory=list)
    lateness: list[float] = field(default_factory=list)


class Worker:
    def __init__(
        self,
        env: Env,
        *,
        batch: int = 200,
        threads: int = 16,
        send_deadline: float = engine.SEND_DEADLINE,
        registry: Registry = REGISTRY,
        idle: float = IDLE,
        lease: dt.timedelta = LEASE,
        fast: bool = True,
        ahead: bool = True,
    ) -> None:
        if not env.database_url:
            raise InvalidInput(
                "Workers claim reminders from a PostgreSQL database: pass --database "
                "postgresql://... (with a SQLite file, 'rollminder daemon' or 'serve' sends them)."
            )
        from rollminder.store.postgres_due import DueQueue

        self.env = dataclasses.replace(env, schema_checked=True)
        env.open_store().close()  # checks the schema once, with a one-line error
        self.queue = DueQueue(env.database_url)
        self.batch = batch
        self.threads = threads
        self.send_deadline = send_deadline
        self.registry = registry
        self.idle = idle
        self.lease = lease
        self.stats = Stats()
        self._lock = threading.Lock()
        self.owner = engine.owner()
        registry.backlog = backlog_reader(env.database_url, env.now)
        # Prepared passes (rollminder.remind.prepared): sent from the claimed rows, made idle.
        self.ahead = ahead
        self.fast = FastPath(self.queue, self.owner, registry, self.stats, self._lock,
                             send_deadline, self.env.now) if fast else None  # fmt: skip

    def run(self, stop: threading.Event, *, on_batch: Callable[[int], None] | None = None) -> None:
        """Claim and deliver until ``stop`` is set (then drain, see the module docstring)."""
        drain = threading.Event()  # what the passes under way heed: DRAIN seconds after stop

        def drainer() -> None:
            stop.wait()
            time.sleep(DRAIN)
            drain.set()

        threading.Thread(target=drainer, name="rollminder-drain", daemon=True).start()
        with ThreadPoolExecutor(self.threads, thread_name_prefix="rollminder-pass") as pool:
            while not stop.is_set():
                try:
                    n = self.step(pool, drain)
                except RollminderError as exc:
                    log.error("claiming due reminders failed: %s", exc)
                    n = 0
                    stop.wait(self.idle * 4)
                if on_batch is not None:
                    on_batch(n)
                if n == 0 and (stop.is_set() or self._ahead(pool) == 0):
                    stop.wait(self.idle)
        if self.fast is not None:
            self.fast.close()

    def _ahead(self, pool: ThreadPoolExecutor) -> int:
        if not self.ahead:
            return 0
        try:
            return self.prepare_ahead(pool)
        except RollminderError as exc:
            log.error("preparing reminders failed: %s", exc)
            return 0

    def step(self, pool: ThreadPoolExecutor, drain: threading.Event) -> int:
        """One claim and its passes; the number of rows claimed."""
        now = self.env.now()
        started = time.perf_counter()
        claims = self.queue.claim(now, self.batch, self.owner, self.lease)
        took = time.perf_counter() - started
        self.registry.claim(took, len(claims))
        with self._lock:
            self.stats.claim_seconds.append(took)
            self.stats.claimed += len(claims)
        if not claims:
            return 0
        try:
            full = self.fast.deliver(claims, now) if self.fast is not None else None
            profiles = {(c.profile, c.account) for c in claims
                        if full is None or c.profile_id in full}  # fmt: skip
            list(pool.map(lambda p: self.deliver(p[0], p[1], drain), sorted(profiles, key=str)))
        finally:
            self.queue.release(self.owner, claims)
        return len(claims)

    def prepare_ahead(self, pool: ThreadPoolExecutor) -> int:
        """Idle: prepare the passes of profiles due within :data:`prepared.HORIZON` (see
        :mod:`rollminder.remind.prepared`); the number of profiles looked at."""
        now = self.env.now()
        claims = self.queue.claim_unprepared(
            now, prepared.HORIZON, self.batch, self.owner, self.lease
        )
        if not claims:
            return 0
        profiles = sorted({(c.profile, c.account) for c in claims}, key=str)
        try:
            list(pool.map(lambda p: self.prepare_one(p[0], p[1], now), profiles))
        finally:
            self.queue.release(self.owner, claims)
        return len(profiles)

    def prepare_one(self, profile: str, account: int | None, now: dt.datetime) -> None:
        # One unit of work: the store keeps what it read until it writes the pass (per_request).
        env = dataclasses.replace(self.env, profile=profile, account=account, per_request=True)
        try:
            app = env.open_app(live=True)
        except RollminderError as exc:
            log.error("profile %s: %s", profile, exc)
            return
        try:
            store: Any = app.raw
            version = store.due_prepared_version()
            found = prepared.prepare(app, now)
            store.put_due_prepared(
                version,
                found.to_json() if found else None,
                found.at if found else None,
                found.valid_until if found else None,
            )
            self.registry.prepared(found is not None)
        except Exception as exc:  # one profile's trouble never stops the worker
            log.error("profile %s: preparing failed (%s: %s)", profile, type(exc).__name__, exc)
        finally:
            app.close()

    def deliver(self, profile: str, account: int | None, drain: threading.Event) -> None:
        """The profile's delivery pass, then its next instants."""
        # One unit of work: each read is kept until the pass writes (claims, records).
        env = dataclasses.replace(self.env, profile=profile, account=account, per_request=True)
        try:
            app = env.open_app(live=True)
        except RollminderError as exc:
            log.error("profile %s: %s", profile, exc)
            with self._lock:
                self.stats.errors += 1
            return
        try:
            configs = app.active_channels(lambda: False)  # no desktop on a worker
            kinds = {c.name: c.kind for c in configs}
            with due.quiet(app, refresh=False):
                result = engine.run_pass(
                    app,
                    configs,
                    senders=engine.Senders(self.send_deadline),
                    wait=self.send_deadline,
                    stop=drain,
                )
            after = app.now()
            due.refresh(app, floor=after + RETRY)
            late = [(after - s.reminder.at).total_seconds() for s in result.sent]
            for s, seconds in zip(result.sent, late, strict=True):
                self.registry.sent(kinds.get(s.channel, "?"), seconds)
            for name, _ in result.failed:
                self.registry.failure(kinds.get(name, "?"))
            self.registry.passed()
            with self._lock:
                self.stats.passes += 1
                self.stats.sent += len(result.sent)
                self.stats.failed += len(result.failed)
                self.stats.lateness += late
        except Exception as exc:  # one profile's trouble never stops the worker
            log.error("profile %s: the pass failed (%s: %s)", profile, type(exc).__name__, exc)
            with self._lock:
                self.stats.errors += 1
        finally:
            app.close()


def rebuild(env: Env) -> int:
    """Recompute the due index of every profile the connection's role sees (after a restore:
    the index is derived data, not in a dump). Returns the profiles done."""
    if not env.database_url:
        raise InvalidInput("--rebuild needs a PostgreSQL database (--database).")
    from rollminder.store.postgres_due import DueQueue

    done = 0
    for name, account in DueQueue(env.database_url).profiles():
        app = dataclasses.replace(env, profile=name, account=account).open_app(live=True)
        try:
            due.refresh(app)
            done += 1
        finally:
            app.close()
    return done


def serve_metrics(port: int) -> ThreadingHTTPServer:
    """``/metrics`` of this worker on 127.0.0.1:``port`` (loopback only), on a thread."""
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = REGISTRY.render().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, name="rollminder-metrics", daemon=True).start()
    return server
