"""Reminders at scale (issue 16), one run on this machine: a private PostgreSQL cluster holding
``PROFILES`` profiles (each with a plan, a routine and a json:// channel pointing at a loopback
receiver) whose due index is loaded with COPY, ``DUE`` of them due in the same minute.

- claims: ``rollminder_claim_due`` alone (batches of 1,000, FOR UPDATE SKIP LOCKED, one process):
  due rows claimed per second;
- 1, 2 and 4 ``rollminder worker`` processes draining the minute end to end (claim, the profile's
  delivery pass with its planner and ledger, the HTTP send, record, next instant): deliveries per
  second, time to drain, lateness at the receiver (p50/p99/max after the minute began),
  duplicates and losses counted at the receiver;
- the database's size; a cProfile of one worker's passes names where the time goes.

Targets (issue 16): claims >= 10,000/s; the minute drained with p99 lateness <= 60 s; 0 lost.
"""

from __future__ import annotations

import collections
import cProfile
import datetime as dt
import io
import os
import pstats
import signal
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from bench import common
from bench.common import Options, Result

NAME = "workers"
DESCRIPTION = "due-index workers on PostgreSQL: claims/s, 1/2/4 workers draining a peak minute"
PROFILES = int(os.environ.get("BENCH_WORKERS_PROFILES", "100000"))
DUE = int(os.environ.get("BENCH_WORKERS_DUE", "3000"))
QUICK_DUE = 1_000
WORKERS = (1, 2, 4)
PORT = 19120
BERLIN = ZoneInfo("Europe/Berlin")
SETUP_AT = dt.datetime(2026, 11, 25, 10, tzinfo=BERLIN)
SLOT = dt.datetime(2026, 11, 25, 21, tzinfo=BERLIN)  # Wed 21:00
DRAIN_LIMIT = 240.0  # seconds a set-up may take to drain


class Receiver:
    def __init__(self, port: int) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.times: list[float] = []
        self.lock = threading.Lock()
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with state.lock:
                    state.counts[self.path] += 1
                    state.times.append(time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        ThreadingHTTPServer.request_queue_size = 1024
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()
            self.times.clear()

    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())


def _load(cluster: object, name: str, owner: str, due: int) -> None:
    """A template profile made through the facade, then ``PROFILES`` copies of it: profiles and
    the due index by COPY, plans, routines and channels by INSERT ... SELECT on the server."""
    import psycopg

    from rollminder.env import Env

    env = Env(home=common.WORK / "home-workers", profile="template", database_url=owner,
              clock=lambda: SETUP_AT)  # fmt: skip
    app = env.open_app()
    app.set_up(
        clinician={}, needle_mm=0.25, sessions=2, weekdays=(0, 2), time=dt.time(21),
        tz="Europe/Berlin", zones=("forehead", "cheeks"),
    )  # fmt: skip
    app.add_channel(f"json://127.0.0.1:{PORT}/template", "hook")
    app.close()
    slot_utc = SLOT.astimezone(dt.UTC)
    later = slot_utc + dt.timedelta(days=1)
    with psycopg.connect(owner, autocommit=True) as conn:
        tid = conn.execute("SELECT id FROM profiles WHERE name = 'template'").fetchone()[0]
        base = int(conn.execute("SELECT max(id) FROM profiles").fetchone()[0]) + 1
        with conn.cursor() as cur:
            with cur.copy("COPY profiles (id, name, created_at) FROM STDIN") as copy:
                for i in range(PROFILES):
                    copy.write_row((base + i, f"p{i:07d}", SETUP_AT))
            with cur.copy("COPY due_reminders (profile, routine, due_at) FROM STDIN") as copy:
                for i in range(PROFILES):
                    copy.write_row((base + i, "", slot_utc if i < due else later))
        conn.execute("DELETE FROM due_reminders WHERE profile = %s", (tid,))
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('profiles', 'id'), %s)", (base + PROFILES,)
        )
        for table in ("plans", "routines", "channels", "settings"):
            cols = [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = %s "
                    "AND column_name NOT IN ('profile_id', 'seq') AND is_generated = 'NEVER' "
                    "ORDER BY ordinal_position",
                    (table,),
                ).fetchall()
            ]
            if not cols:
                continue
            quoted = ", ".join(f'"{c}"' for c in cols)
            chosen = ", ".join(
                "replace(t.url, '/template', '/' || p.name)" if c == "url" else f't."{c}"'
                for c in cols
            )
            conn.execute(
                f"INSERT INTO {table} (profile_id, {quoted}) SELECT p.id, {chosen} "
                f"FROM {table} t CROSS JOIN profiles p WHERE t.profile_id = %s AND p.id >= %s",
                (tid, base),
            )
        conn.execute("VACUUM ANALYZE")


def _reset(owner: str, due: int) -> None:
    import psycopg

    slot_utc = SLOT.astimezone(dt.UTC)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("TRUNCATE deliveries, channel_status")
        conn.execute(
            "UPDATE due_reminders d SET leased_until = NULL, leased_by = '', due_at = "
            "CASE WHEN p.name < %s THEN %s ELSE %s END FROM profiles p WHERE p.id = d.profile",
            (f"p{due:07d}", slot_utc, slot_utc + dt.timedelta(days=1)),
        )
        conn.execute("VACUUM ANALYZE due_reminders")


def _claims(url: str, due: int) -> tuple[float, int]:
    from rollminder.store.postgres_due import DueQueue

    queue = DueQueue(url)
    now = SLOT.astimezone(dt.UTC) + dt.timedelta(seconds=1)
    got, started = 0, time.perf_counter()
    while True:
        batch = queue.claim(now, 1000, "bench", dt.timedelta(minutes=5))
        if not batch:
            break
        got += len(batch)
    took = time.perf_counter() - started
    return (got / took if took else 0.0), got


def _drain(url: str, workers: int, rx: Receiver, due: int) -> dict[str, float]:
    env = common.clean_env(
        {"ROLLMINDER_NOW": SLOT.isoformat(), "ROLLMINDER_CLOCK_SPEED": "1", "PYTHONUNBUFFERED": "1"}
    )
    rx.reset()
    start = time.time()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rollminder",
                "--home",
                str(common.WORK / "home-workers"),
                "worker",
                "--database",
                url,
                "--batch",
                "100",
                "--threads",
                "16",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    while rx.total() < due and time.time() - start < DRAIN_LIMIT:
        time.sleep(0.2)
    drained = time.time() - start
    time.sleep(2.0)  # room for a late duplicate
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
    with rx.lock:
        late = sorted(t - start for t in rx.times)
        counts = dict(rx.counts)
    dup = sum(c - 1 for c in counts.values() if c > 1)
    lost = due - len(counts)
    return {
        "drained": drained,
        "rate": len(late) / drained if drained else 0.0,
        "p50": statistics.median(late) if late else float("nan"),
        "p99": late[int(len(late) * 0.99) - 1] if late else float("nan"),
        "max": late[-1] if late else float("nan"),
        "dup": dup,
        "lost": lost,  # not received when the drain limit ended
    }


def _profile(url: str) -> str:
    """cProfile of one worker's passes over 200 due profiles (in this process)."""
    from rollminder.env import Env
    from rollminder.remind import worker as workers
    from rollminder.remind.metrics import Registry

    clock = SLOT.astimezone(dt.UTC) + dt.timedelta(seconds=5)
    w = workers.Worker(
        Env(home=common.WORK / "home-workers", database_url=url, clock=lambda: clock),
        batch=200,
        threads=1,
        registry=Registry(),
    )
    claims = w.queue.claim(clock, 200, w.owner, workers.LEASE)
    prof = cProfile.Profile()  # the passes on this thread, one after the other
    prof.enable()
    for c in claims:
        w.deliver(c.profile, c.account, threading.Event())
    prof.disable()
    w.queue.release(w.owner, claims)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(22)
    return out.getvalue()


def run(options: Options) -> Result:
    sys.path.insert(0, str(common.ROOT))
    from tests import pg

    from rollminder.store.postgres import close_pools, migrate

    errors: list[str] = []
    due = QUICK_DUE if options.quick else DUE
    if pg.bin_dir() is None:
        return Result(NAME, "PostgreSQL is not installed", "", [], ["no PostgreSQL"])
    cluster = pg.start_cluster()
    rx = Receiver(PORT)
    try:
        name = cluster.new_database(prefix="rm_workers")
        owner = cluster.url(name, pg.OWNER)
        migrate(owner, now=SETUP_AT, app_role=pg.APP)
        url = cluster.url(name, pg.APP)
        started = time.perf_counter()
        _load(cluster, name, owner, due)
        load_s = time.perf_counter() - started
        common.log(f"bench workers: {PROFILES:,} profiles loaded in {load_s:.0f} s")
        size = int(cluster.sql(f"SELECT pg_database_size('{name}')", database=name)[0][0])
        _reset(owner, PROFILES)  # every profile due: the claim rate over the whole index
        claim_rate, claimed = _claims(url, PROFILES)
        common.log(f"bench workers: {claimed:,} claims at {claim_rate:,.0f}/s")
        figures = {}
        for n in WORKERS:
            _reset(owner, due)
            close_pools()
            figures[n] = _drain(url, n, rx, due)
            common.log(f"bench workers: {n} worker(s): {figures[n]}")
        _reset(owner, due)
        close_pools()
        profile_text = _profile(url)
    finally:
        rx.server.shutdown()
        close_pools()
        pg.remove(cluster)
    return report(load_s, size, claim_rate, claimed, figures, profile_text, due, errors)


def report(
    load_s: float,
    size: int,
    claim_rate: float,
    claimed: int,
    figures: dict[int, dict[str, float]],
    profile_text: str,
    due: int,
    errors: list[str],
) -> Result:
    misses = []
    if claim_rate < 10_000:
        misses.append(f"claims {claim_rate:,.0f}/s < 10,000/s")
    for n, f in figures.items():
        if f["lost"]:
            misses.append(f"{n} worker(s): {f['lost']:.0f} lost")
        if f["p99"] > 60:
            misses.append(f"{n} worker(s): p99 lateness {f['p99']:.0f} s > 60 s")
    rows = [
        [str(n), f"{f['rate']:,.0f}", f"{f['drained']:.1f} s", f"{f['p50']:.1f} s",
         f"{f['p99']:.1f} s", f"{f['max']:.1f} s", f"{f['dup']:.0f}", f"{f['lost']:.0f}"]
        for n, f in figures.items()
    ]  # fmt: skip
    header = ["workers", "deliveries/s", "drain", "late p50", "late p99", "late max", "dup",
              "lost"]  # fmt: skip
    top = "\n".join(
        line for line in profile_text.splitlines() if line.strip() and "{" not in line[:5]
    )[:3000]
    text = (
        f"{PROFILES:,} profiles loaded in {load_s:.0f} s; database {size / 1e6:,.0f} MB; "
        f"claims {claim_rate:,.0f}/s ({claimed:,} rows, batches of 1,000); "
        f"{due:,} due in one minute\n" + common.text_table(header, rows)
    )
    markdown = (
        f"{common.machine_line()}, {common.today()}.  \n"
        f"{PROFILES:,} profiles (plan, routine, json:// channel to a loopback receiver; "
        f"profiles and the due index by COPY, the rest INSERT ... SELECT from a template) loaded "
        f"in {load_s:.0f} s; database size {size / 1e6:,.0f} MB. **Claims: {claim_rate:,.0f}/s** "
        f"(`rollminder_claim_due`, batches of 1,000, one process, {claimed:,} rows). "
        f"{due:,} reminders due in the same minute, drained by N `rollminder worker` "
        "processes (--batch 100 --threads 16), lateness counted at the receiver from the "
        "minute's start (worker start-up included):\n\n"
        + common.markdown_table(header, rows)
        + "\n\nWhere one worker's time goes (cProfile of 200 profiles' passes on one "
        "thread, by own time):\n\n" + "```\n" + top + "\n```\n"
    )
    return Result(NAME, text, markdown, misses, errors)
