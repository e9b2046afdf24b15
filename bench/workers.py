"""Reminders at scale (issue 16), one run on this machine: a private PostgreSQL cluster holding
``ACCOUNTS`` accounts, each with a profile (a plan, a routine and a Web Push device subscribed
at a loopback push service, bench/push_rx.py, in a process of its own), loaded with COPY and
INSERT ... SELECT from a template profile made through the facade; ``DUE`` of them due in the
same minute (their 21:00 session reminder).

- claims: ``rollminder_claim_due`` alone (batches of 1,000, FOR UPDATE SKIP LOCKED, one
  process): due rows claimed per second, over every profile;
- preparing: an idle worker's prepared passes (rollminder.remind.prepared) per second, in
  process, so the time to prepare the peak minute ahead of it;
- 1, 2 and 4 ``rollminder worker`` processes draining the minute end to end (claim, the
  prepared pass's ledger claims, Web Push encrypted per RFC 8291 and VAPID-signed, record, next
  instant): deliveries per second, time to drain, lateness at the receiver (p50/p99/max after
  the minute began, worker start-up included), duplicates and losses counted at the receiver
  (which decrypts and verifies one message in 100);
- for comparison, the full delivery pass (no prepared pass: the previous path) on
  ``FULL_DUE`` profiles with 4 workers;
- the database's size; a cProfile of one worker's prepared batch names where the time goes.

Targets (issue 16): claims >= 10,000/s; the minute drained with p99 lateness <= 60 s; 0 lost.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import json
import os
import pstats
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import common
from bench.common import Options, Result

NAME = "workers"
DESCRIPTION = (
    "due-index workers on PostgreSQL: claims/s, 1/2/4 workers draining a peak minute of Web Push"
)
ACCOUNTS = int(os.environ.get("BENCH_WORKERS_ACCOUNTS", "1000000"))
DUE = int(os.environ.get("BENCH_WORKERS_DUE", "300000"))
QUICK_ACCOUNTS, QUICK_DUE = 50_000, 10_000
FULL_DUE = 2_000  # the full pass's sample (it is about 100 times slower)
WORKERS = (1, 2, 4)
PORT = 19120
BERLIN = ZoneInfo("Europe/Berlin")
SETUP_AT = dt.datetime(2026, 11, 25, 10, tzinfo=BERLIN)
SLOT = dt.datetime(2026, 11, 25, 21, tzinfo=BERLIN)  # Wed 21:00
DRAIN_LIMIT = 1800.0  # seconds a set-up may take to drain
BATCH = 1000  # rows a worker claims at once


class Receiver:
    """bench/push_rx.py in a process of its own, with a device key it decrypts with."""

    def __init__(self, port: int) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.port = port
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        keyfile = common.WORK / "push-rx.key"
        keyfile.parent.mkdir(parents=True, exist_ok=True)
        pem = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()  # fmt: skip
        keyfile.write_text(pem + _b64(self.auth) + "\n")
        keyfile.chmod(0o600)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.push_rx", str(port), str(keyfile), "--check", "100"],
            cwd=str(common.ROOT), env=common.clean_env({"PYTHONPATH": str(common.ROOT)}),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.total()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the push receiver did not start")

    def subscription(self, endpoint: str) -> dict[str, object]:
        from cryptography.hazmat.primitives import serialization

        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": endpoint, "keys": {"p256dh": _b64(point), "auth": _b64(self.auth)}}

    def _get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=60) as r:
            return bytes(r.read())

    def total(self) -> int:
        return int(self._get("/count"))

    def reset(self) -> None:
        self._get("/reset")

    def stats(self) -> dict[str, object]:
        return dict(json.loads(self._get("/stats")))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _template(owner: str, rx: Receiver) -> int:
    """The template profile, through the facade: set up, a Web Push device, its 20:45 prep
    reminder sent by a worker's full pass, then its 21:00 pass prepared by an idle worker."""
    from rollminder.env import Env
    from rollminder.remind import worker as workers
    from rollminder.remind.metrics import Registry

    home = common.WORK / "home-workers"
    env = Env(home=home, profile="template", database_url=owner, clock=lambda: SETUP_AT)
    app = env.open_app()
    app.set_up(
        clinician={}, needle_mm=0.25, sessions=2, weekdays=(0, 2), time=dt.time(21),
        tz="Europe/Berlin", zones=("forehead", "cheeks"),
    )  # fmt: skip
    app.add_push_device(rx.subscription(f"http://127.0.0.1:{PORT}/push/template"), "Bench phone")
    app.close()
    clock = [SLOT - dt.timedelta(minutes=14, seconds=55)]
    w = workers.Worker(Env(home=home, database_url=owner, clock=lambda: clock[0]), threads=1,
                       registry=Registry())  # fmt: skip
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        assert w.step(pool, threading.Event()) == 1, "the template's prep reminder"
        clock[0] = SLOT - dt.timedelta(minutes=10)
        assert w.prepare_ahead(pool) == 1, "the template's 21:00 pass"
    if w.fast:
        w.fast.close()
    rx.reset()
    import psycopg

    with psycopg.connect(owner) as conn:
        row = conn.execute(
            "SELECT p.id FROM profiles p JOIN due_prepared x ON x.profile_id = p.id "
            "WHERE p.name = 'template' AND x.payload IS NOT NULL"
        ).fetchone()
    if row is None:
        raise RuntimeError("the template's pass was not prepared")
    return int(row[0])


def _load(owner: str, rx: Receiver, accounts: int, due: int) -> int:
    """``accounts`` accounts, each with a profile copied from the template; the template's id.
    Accounts, profiles and the due index by COPY; every other table of the template by
    INSERT ... SELECT on the server (the device's endpoint made the profile's own)."""
    import psycopg

    from rollminder.store import postgres_schema as schema

    tid = _template(owner, rx)
    slot_utc = SLOT.astimezone(dt.UTC)
    later = slot_utc + dt.timedelta(days=1)
    with psycopg.connect(owner, autocommit=True) as conn:
        base = int(conn.execute("SELECT max(id) FROM profiles").fetchone()[0]) + 1
        first = int(conn.execute("SELECT coalesce(max(id), 0) FROM accounts").fetchone()[0]) + 1
        with conn.cursor() as cur:
            with cur.copy("COPY accounts (id, email, created_at) FROM STDIN") as copy:
                for i in range(accounts):
                    copy.write_row((first + i, f"a{i:07d}@bench.example", SETUP_AT))
            with cur.copy("COPY profiles (id, name, account_id, created_at) FROM STDIN") as copy:
                for i in range(accounts):
                    copy.write_row((base + i, "default", first + i, SETUP_AT))
            with cur.copy(
                "COPY due_reminders (profile, routine, due_at, prepared) FROM STDIN"
            ) as copy:
                for i in range(accounts):
                    copy.write_row((base + i, "", slot_utc if i < due else later, True))
        for table, top in (("profiles", base + accounts), ("accounts", first + accounts)):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (top,))
        for table in schema.PROFILE_TABLES:
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
            held = conn.execute(f"SELECT count(*) FROM {table} WHERE profile_id = %s", (tid,))
            if not cols or not held.fetchone()[0]:
                continue
            quoted = ", ".join(f'"{c}"' for c in cols)
            chosen = ", ".join(
                "replace(t.url, '/template', '/' || p.id)" if c == "url" else f't."{c}"'
                for c in cols
            )
            conn.execute(
                f"INSERT INTO {table} (profile_id, {quoted}) SELECT p.id, {chosen} "
                f"FROM {table} t CROSS JOIN profiles p WHERE t.profile_id = %s AND p.id >= %s",
                (tid, base),
            )
        conn.execute("DELETE FROM due_reminders WHERE profile = %s", (tid,))
        conn.execute("VACUUM ANALYZE")
    return tid


def _reset(owner: str, tid: int, due: int, *, prepared: bool = True) -> None:
    """The first ``due`` profiles due at 21:00 again (prepared, or not: the full pass), the rest
    the next day; what the last run sent and recorded undone."""
    import psycopg

    slot_utc = SLOT.astimezone(dt.UTC)
    with psycopg.connect(owner, autocommit=True) as conn:
        base = int(conn.execute("SELECT min(profile) FROM due_reminders").fetchone()[0])
        conn.execute("DELETE FROM deliveries WHERE kind <> 'prep'")
        conn.execute(
            "UPDATE due_prepared x SET payload = t.payload, at = t.at, "
            "valid_until = t.valid_until, version = 1 FROM due_prepared t "
            "WHERE t.profile_id = %s AND x.profile_id <> t.profile_id "
            "AND (x.payload IS NULL OR x.version <> 1)",
            (tid,),
        )
        conn.execute(
            "UPDATE due_reminders SET due_at = CASE WHEN profile < %(edge)s THEN %(slot)s "
            "ELSE %(later)s END, prepared = true, leased_until = NULL, leased_by = '' "
            "WHERE (profile < %(edge)s) <> (due_at = %(slot)s) OR leased_until IS NOT NULL "
            "OR NOT prepared OR routine <> ''",
            {"edge": base + due, "slot": slot_utc, "later": slot_utc + dt.timedelta(days=1)},
        )
        if not prepared:
            conn.execute(
                "UPDATE due_prepared SET payload = NULL, version = 2 WHERE profile_id <> %s "
                "AND profile_id < %s",
                (tid, base + due),
            )
        conn.execute("VACUUM ANALYZE due_reminders, deliveries, due_prepared, channel_status")


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


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds of each PostgreSQL process alive now (the cluster's server and backends)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().startswith("postgres"):
                    found[int(entry.name)] = _cpu_seconds(int(entry.name))
            except OSError:
                continue
    return found


def _since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the processes alive at the end spent since ``before`` (a backend that ended
    in between is not counted: a floor)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _machine_cpu() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine so far (/proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks[:8]) - idle) / hz, idle / hz


def _drain(url: str, workers: int, rx: Receiver, due: int) -> dict[str, float]:
    env = common.clean_env(
        {"ROLLMINDER_NOW": SLOT.isoformat(), "ROLLMINDER_CLOCK_SPEED": "1", "PYTHONUNBUFFERED": "1"}
    )
    rx.reset()
    start = time.time()
    rx_cpu, pg_cpu, machine = _cpu_seconds(rx.proc.pid), _postgres_cpu(), _machine_cpu()
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
                str(BATCH),
                "--threads",
                "16",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(common.WORK / f"worker-{workers}-{i}.log").open("w"),
        )
        for i in range(workers)
    ]
    while rx.total() < due and time.time() - start < DRAIN_LIMIT:
        time.sleep(0.5)
    drained = time.time() - start
    # Where the machine's CPU went while draining (read before the workers stop): the profile
    # that names the bottleneck on a machine whose cores all three share.
    busy, idle = (b - a for a, b in zip(machine, _machine_cpu(), strict=True))
    cpu = {
        "cpu workers": sum(_cpu_seconds(p.pid) for p in procs),
        "cpu receiver": _cpu_seconds(rx.proc.pid) - rx_cpu,
        "cpu postgres": _since(pg_cpu, _postgres_cpu()),
        "cpu busy": busy,
        "cpu idle": idle,
    }
    time.sleep(3.0)  # room for a late duplicate
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    got = rx.stats()
    late = sorted(float(t) - start for t in got["times"])  # type: ignore[attr-defined]
    counts: dict[str, int] = got["counts"]  # type: ignore[assignment]
    dup = sum(c - 1 for c in counts.values() if c > 1)
    return {
        "drained": drained,
        "rate": len(late) / drained if drained else 0.0,
        "p50": statistics.median(late) if late else float("nan"),
        "p99": late[max(0, int(len(late) * 0.99) - 1)] if late else float("nan"),
        "max": late[-1] if late else float("nan"),
        "dup": dup,
        "lost": due - len(counts),  # not received when the drain limit ended
        "checked": float(got["checked"]),  # type: ignore[arg-type]
        "refused": float(len(got["refused"])),  # type: ignore[arg-type]
        **cpu,
    }


def _prepare_rate(url: str, owner: str, count: int) -> float:
    """Profiles an idle worker (one process, 4 threads) prepares per second."""
    import psycopg

    from rollminder.env import Env
    from rollminder.remind import worker as workers
    from rollminder.remind.metrics import Registry

    with psycopg.connect(owner, autocommit=True) as conn:
        base = int(conn.execute("SELECT min(profile) FROM due_reminders").fetchone()[0])
        conn.execute(
            "UPDATE due_reminders SET prepared = false, leased_until = NULL, leased_by = '' "
            "WHERE profile < %s",
            (base + count,),
        )
        conn.execute(
            "UPDATE due_prepared SET payload = NULL, version = 2 WHERE profile_id >= %s "
            "AND profile_id < %s",
            (base, base + count),
        )
    clock = SLOT - dt.timedelta(minutes=10)
    registry = Registry()
    env = Env(home=common.WORK / "home-workers", database_url=url, clock=lambda: clock)
    w = workers.Worker(env, batch=100, threads=4, registry=registry)
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        while w.prepare_ahead(pool):
            pass
    took = time.perf_counter() - started
    stored = registry.prepared_passes["stored"]
    if stored != count:
        raise RuntimeError(f"prepared {stored} of {count} passes")
    return count / took


def _profile(url: str) -> str:
    """cProfile of one worker's prepared batch of 1,000 profiles, in this process: the claiming
    thread and the sending loop's thread together."""
    from rollminder.env import Env
    from rollminder.remind import worker as workers
    from rollminder.remind.metrics import Registry

    clock = SLOT.astimezone(dt.UTC) + dt.timedelta(seconds=5)
    w = workers.Worker(
        Env(home=common.WORK / "home-workers", database_url=url, clock=lambda: clock),
        batch=BATCH, threads=1, registry=Registry(),
    )  # fmt: skip
    assert w.fast is not None
    loop = w.fast.sender._started()
    main, sending = cProfile.Profile(), cProfile.Profile()
    loop.call_soon_threadsafe(sending.enable)
    claims = w.queue.claim(clock, BATCH, w.owner, workers.LEASE)
    main.enable()
    left = w.fast.deliver(claims, clock)
    main.disable()
    done = threading.Event()

    def stop() -> None:
        sending.disable()
        done.set()

    loop.call_soon_threadsafe(stop)
    done.wait(10)
    w.queue.release(w.owner, claims)
    w.fast.close()
    if left:
        raise RuntimeError(f"{len(left)} of {len(claims)} profiles left to the full pass")
    out = io.StringIO()
    stats = pstats.Stats(main, stream=out)
    stats.add(sending)
    stats.sort_stats("tottime").print_stats(24)
    return f"{len(claims)} profiles' prepared batch\n" + out.getvalue()


def run(options: Options) -> Result:
    sys.path.insert(0, str(common.ROOT))
    from tests import pg

    from rollminder.store.postgres import close_pools, migrate

    errors: list[str] = []
    accounts = QUICK_ACCOUNTS if options.quick else ACCOUNTS
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
        tid = _load(owner, rx, accounts, due)
        load_s = time.perf_counter() - started
        common.log(f"bench workers: {accounts:,} accounts loaded in {load_s:.0f} s")
        size = int(cluster.sql(f"SELECT pg_database_size('{name}')", database=name)[0][0])
        _reset(owner, tid, accounts)  # every profile due: the claim rate over the whole index
        claim_rate, claimed = _claims(url, accounts)
        common.log(f"bench workers: {claimed:,} claims at {claim_rate:,.0f}/s")
        prepare_rate = _prepare_rate(url, owner, 2_000)
        common.log(f"bench workers: {prepare_rate:,.0f} passes prepared per second")
        figures: dict[str, dict[str, float]] = {}
        for n in WORKERS:
            _reset(owner, tid, due)
            close_pools()
            figures[f"{n}"] = _drain(url, n, rx, due)
            common.log(f"bench workers: {n} worker(s): {figures[f'{n}']}")
        _reset(owner, tid, FULL_DUE, prepared=False)
        close_pools()
        figures["4 full"] = _drain(url, 4, rx, FULL_DUE)
        common.log(f"bench workers: 4 worker(s), full pass: {figures['4 full']}")
        _reset(owner, tid, BATCH)
        close_pools()
        profile_text = _profile(url)
    finally:
        rx.stop()
        close_pools()
        pg.remove(cluster)
    return report(accounts, load_s, size, claim_rate, claimed, prepare_rate, figures,
                  profile_text, due, errors)  # fmt: skip


def report(
    accounts: int,
    load_s: float,
    size: int,
    claim_rate: float,
    claimed: int,
    prepare_rate: float,
    figures: dict[str, dict[str, float]],
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
        if f["refused"]:
            errors.append(f"{n} worker(s): {f['refused']:.0f} messages failed the receiver's check")
        if f["p99"] > 60 and "full" not in n:
            misses.append(f"{n} worker(s): p99 lateness {f['p99']:.0f} s > 60 s")
    rows = [
        [n.replace(" full", " (full pass)"), f"{FULL_DUE if 'full' in n else due:,}",
         f"{f['rate']:,.0f}", f"{f['drained']:.1f} s", f"{f['p50']:.1f} s", f"{f['p99']:.1f} s",
         f"{f['max']:.1f} s", f"{f['dup']:.0f}", f"{f['lost']:.0f}", f"{f['checked']:.0f}"]
        for n, f in figures.items()
    ]  # fmt: skip
    header = ["workers", "due", "deliveries/s", "drain", "late p50", "late p99", "late max",
              "dup", "lost", "checked"]  # fmt: skip
    cpu_header = ["workers", "CPU s: workers", "push receiver", "PostgreSQL", "machine busy",
                  "idle", "worker CPU ms a delivery"]  # fmt: skip
    cpu_rows = [
        [n.replace(" full", " (full pass)"), f"{f['cpu workers']:.0f}", f"{f['cpu receiver']:.0f}",
         f"{f['cpu postgres']:.0f}", f"{f['cpu busy']:.0f}", f"{f['cpu idle']:.0f}",
         f"{1000 * f['cpu workers'] / max(1.0, f['rate'] * f['drained']):.2f}"]
        for n, f in figures.items()
    ]  # fmt: skip
    top = "\n".join(
        line for line in profile_text.splitlines() if line.strip() and "{" not in line[:5]
    )[:3500]
    ahead = due / prepare_rate / 60 if prepare_rate else float("nan")
    text = (
        f"{accounts:,} accounts loaded in {load_s:.0f} s; database {size / 1e6:,.0f} MB; "
        f"claims {claim_rate:,.0f}/s ({claimed:,} rows, batches of 1,000); "
        f"{prepare_rate:,.0f} passes prepared/s (the minute's {due:,}: {ahead:.0f} min); "
        f"{due:,} due in one minute\n"
        + common.text_table(header, rows)
        + "\nCPU while draining\n"
        + common.text_table(cpu_header, cpu_rows)
    )
    markdown = (
        f"{common.machine_line()}, {common.today()}.  \n"
        f"{accounts:,} accounts, each with a profile (plan, routine, a Web Push device at a "
        "loopback push service in a process of its own; accounts, profiles and the due index by "
        "COPY, the rest INSERT ... SELECT from a template made through the app) loaded in "
        f"{load_s:.0f} s; database size {size / 1e6:,.0f} MB. **Claims: {claim_rate:,.0f}/s** "
        f"(`rollminder_claim_due_after`, batches of 1,000, one process, {claimed:,} rows). "
        f"**Preparing: {prepare_rate:,.0f} passes/s** (an idle worker, one process, 4 threads, "
        f"2,000 profiles): the peak minute's {due:,} take {ahead:.0f} minutes to prepare ahead "
        f"(the horizon is 2 hours). {due:,} reminders (the 21:00 session reminder) due in the "
        f"same minute, drained by N `rollminder worker` processes (--batch {BATCH} --threads "
        "16) from their prepared passes, and, for comparison, by the full delivery pass "
        f"({FULL_DUE:,}); lateness counted at the receiver from the minute's start (worker "
        "start-up included); *checked*: messages the receiver decrypted (RFC 8291) and whose "
        "VAPID signature it verified, one in 100, none refused:\n\n"
        + common.markdown_table(header, rows)
        + f"\n\nWhere the CPU went while draining (seconds; the machine has "
        f"{os.cpu_count()} cores, so a drain of T seconds has {os.cpu_count()}T to give; "
        "PostgreSQL: every process of the cluster):\n\n"
        + common.markdown_table(cpu_header, cpu_rows)
        + "\n\nWhere one worker's time goes (cProfile of a prepared batch of "
        f"{BATCH:,} profiles, the claiming thread and the sending loop together, by own "
        "time):\n\n" + "```\n" + top + "\n```\n"
    )
    return Result(NAME, text, markdown, misses, errors)
