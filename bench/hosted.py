"""Hosted mode beside the embedded one (issue #15), in one run on this machine:

- SQLite: one profile with a year of history, one `rollminder serve` (the embedded mode);
- PostgreSQL: 10,000 profiles with a year of history each (loaded with COPY), 2 and then 4
  `rollminder serve` processes on the database (the app connected as a non-owner role,
  row-level security on), serving one profile in the middle of the table.

A password is set in both, as a hosted deployment has: clients sign in once and send the
session cookie, so every request also checks the sign-in record. For the dashboard and history:
one client in sequence (p50), then 20 and 100 concurrent clients (spread evenly over the serve
processes, as Caddy's round robin does; p50, p99, requests per second). Sign-in: the median of
sequential sign-ins (the password hash's cost included). Targets: hosted dashboard p99 <= 50 ms
at 20 clients; no hosted figure worse than 2x SQLite's.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import common
from bench.common import Options, Result

NAME = "hosted"
DESCRIPTION = (
    "dashboard, history, sign-in: 2 and 4 serve processes on PostgreSQL (10,000 profiles) "
    "beside SQLite"
)
PAGES = ("/", "/history")
LABELS = {"/": "dashboard", "/history": "history"}
PORTS = range(18300, 18400)
PROFILES = 10_000
SERVED = "p05000"  # the profile the serve processes answer for
CLIENTS = (20, 100)
PROCESSES = (2, 4)
PASSWORD = "bench password 42"
SIGN_INS = 15


@dataclass
class Figures:
    """One page's timings in one set-up."""

    sequential: list[float] = field(default_factory=list)
    concurrent: dict[int, tuple[list[float], float]] = field(default_factory=dict)


@dataclass
class Setup:
    label: str
    processes: int
    pages: dict[str, Figures] = field(default_factory=dict)
    sign_in: list[float] = field(default_factory=list)


def _ports(count: int) -> list[int]:
    found = []
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError("no free ports in 18300-18399")


def _serve(home: str, port: int, database_url: str | None, profile: str) -> subprocess.Popen[bytes]:
    from bench import data

    extra = {"ROLLMINDER_HOME": home, "ROLLMINDER_NOW": data.NOW.isoformat()}
    if database_url:
        extra["ROLLMINDER_DATABASE_URL"] = database_url
    env = common.clean_env(extra)
    if not database_url:
        env.pop("ROLLMINDER_DATABASE_URL", None)
    proc = subprocess.Popen(
        [str(common.project_bin("rollminder")), "--profile", profile, "serve", "--port",
         str(port), "--no-reminders"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"rollminder serve exited {proc.returncode}: {err.strip()[-300:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("rollminder serve did not start listening within 60 s")


def _stop(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if proc.stderr:
            proc.stderr.close()


# -- HTTP ------------------------------------------------------------------------------------------


def _request(
    conn: http.client.HTTPConnection, method: str, path: str, cookie: str, body: str = ""
) -> tuple[int, bytes, str]:
    headers = {"Connection": "keep-alive"}
    if cookie:
        headers["Cookie"] = cookie
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    set_cookie = response.getheader("set-cookie") or ""
    return response.status, data, set_cookie.split(";", 1)[0]


def _get(conn: http.client.HTTPConnection, path: str, cookie: str) -> None:
    status, _, _ = _request(conn, "GET", path, cookie)
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status}")


def _sign_in(port: int) -> tuple[str, float]:
    """A signed-in session's cookie, and how long the sign-in POST took."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        status, page, cookie = _request(conn, "GET", "/login", "")
        found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or not found or not cookie:
            raise RuntimeError(f"GET /login: HTTP {status}")
        form = urllib.parse.urlencode(
            {"password": PASSWORD, "next": "/", "csrf_token": found.group(1).decode()}
        )
        start = time.perf_counter()
        status, _, signed = _request(conn, "POST", "/login", cookie, form)
        took = time.perf_counter() - start
        if status != 303 or not signed:
            raise RuntimeError(f"POST /login: HTTP {status}")
        return signed, took
    finally:
        conn.close()


def _sequential(port: int, path: str, cookie: str, count: int, warmup: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    try:
        for _ in range(warmup):
            _get(conn, path, cookie)
        for _ in range(count):
            start = time.perf_counter()
            _get(conn, path, cookie)
            times.append(time.perf_counter() - start)
    finally:
        conn.close()
    return times


def _concurrent(
    ports: Sequence[int], path: str, cookie: str, clients: int, per_client: int, errors: list[str]
) -> tuple[list[float], float]:
    """``clients`` keep-alive connections, spread evenly over ``ports``; all the timings and the
    wall time."""
    barrier = threading.Barrier(clients + 1)
    results: list[list[float]] = [[] for _ in range(clients)]

    def client(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[slot % len(ports)], timeout=120)
        try:
            _get(conn, path, cookie)  # connect and warm up before the clock starts
            barrier.wait()
            for _ in range(per_client):
                start = time.perf_counter()
                _get(conn, path, cookie)
                results[slot].append(time.perf_counter() - start)
        except Exception as exc:  # reported, not raised: the other clients finish
            errors.append(f"{path}: {type(exc).__name__}: {str(exc)[:120]}")
            barrier.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return [t for r in results for t in r], time.perf_counter() - start


def _measure(setup: Setup, home: str, url: str | None, options: Options, errors: list[str]) -> None:
    profile = SERVED if url else "default"
    ports = _ports(setup.processes)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            procs.append(_serve(home, port, url, profile))
        cookie, _ = _sign_in(ports[0])
        for _ in range(SIGN_INS):
            setup.sign_in.append(_sign_in(ports[len(setup.sign_in) % len(ports)])[1])
        rounds = max(50, options.rounds * 5)
        for path in PAGES:
            figures = setup.pages.setdefault(path, Figures())
            figures.sequential = _sequential(ports[0], path, cookie, rounds, options.warmup * 5)
            for port in ports[1:]:  # every process warm before the concurrent runs
                _sequential(port, path, cookie, 0, options.warmup * 5)
        for clients in CLIENTS:
            per_client = max(5, 2000 // clients) if options.rounds >= 10 else 5
            for path in PAGES:
                setup.pages[path].concurrent[clients] = _concurrent(
                    ports, path, cookie, clients, per_client, errors
                )
    finally:
        _stop(procs)


# -- the data --------------------------------------------------------------------------------------


def _sqlite_home(dataset: object) -> Path:
    """A data directory holding ``dataset`` as the default profile, with the password set."""
    import shutil

    from bench import data
    from rollminder.env import Env
    from rollminder.store.sqlite import SqliteStore
    from rollminder.web import signins

    home = common.WORK / "data-hosted-1y"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    with SqliteStore.open(home / "rollminder.db", profile="default", now=data.NOW) as store:
        data.put_all(store, dataset)  # type: ignore[arg-type]
    app = Env(home=home, clock=lambda: data.NOW, database_url=None).open_app()
    try:
        signins.set_password(app, PASSWORD)
    finally:
        app.close()
    return home


def _copy_profiles(url: str, dataset: object) -> None:
    """``PROFILES`` profiles, each holding ``dataset``'s rows (COPY, one statement a table)."""
    import psycopg

    from bench import data
    from rollminder.store import postgres_rows as rows

    d: data.Dataset = dataset  # type: ignore[assignment]
    tables = [
        (rows.PLANS, [d.plan]), (rows.ROLLERS, d.rollers), (rows.SERIES, d.series),
        (rows.VISITS, d.visits), (rows.PAUSES, d.pauses), (rows.SKIPS, d.skips),
        (rows.SESSIONS, d.sessions),
    ]  # fmt: skip
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY profiles (id, name, created_at) FROM STDIN") as copy:
            for pid in range(1, PROFILES + 1):
                copy.write_row((pid, f"p{pid - 1:05d}", data.NOW))
        cur.execute("SELECT setval(pg_get_serial_sequence('profiles', 'id'), %s)", (PROFILES,))
        for table, objects in tables:
            encoded = [table.encode(obj) for obj in objects]  # type: ignore[attr-defined]
            quoted = ", ".join(f'"{c}"' for c in table.columns)
            with cur.copy(f"COPY {table.name} (profile_id, {quoted}) FROM STDIN") as copy:
                for pid in range(1, PROFILES + 1):
                    for values in encoded:
                        copy.write_row((pid, *values))


def _postgres(dataset: object) -> tuple[object, str]:
    """A private cluster holding ``PROFILES`` profiles of ``dataset``; the app role's URL."""
    sys.path.insert(0, str(common.ROOT))
    from tests import pg

    from bench import data
    from rollminder.env import Env
    from rollminder.store.postgres import close_pools, migrate
    from rollminder.web import signins

    if pg.bin_dir() is None:
        raise RuntimeError("PostgreSQL is not installed (Debian's postgresql)")
    cluster = pg.start_cluster()
    name = cluster.new_database(prefix="rm_bench")
    owner = cluster.url(name, pg.OWNER)
    migrate(owner, now=data.NOW, app_role=pg.APP)
    started = time.perf_counter()
    _copy_profiles(owner, dataset)
    cluster.sql("VACUUM ANALYZE", database=name)
    common.log(f"bench hosted: {PROFILES} profiles loaded in {time.perf_counter() - started:.0f} s")
    url = cluster.url(name, pg.APP)
    env = Env(home=common.WORK / "home-hosted-pg", profile=SERVED, clock=lambda: data.NOW,
              database_url=url)  # fmt: skip
    app = env.open_app()
    try:
        signins.set_password(app, PASSWORD)
    finally:
        app.close()
        close_pools()
    return cluster, url


def _rows_in(cluster: object, url: str) -> int:
    name = url.rsplit("/", 1)[1]
    found = cluster.sql("SELECT count(*) FROM sessions", database=name)  # type: ignore[attr-defined]
    return int(found[0][0])


def run(options: Options) -> Result:
    from bench import data

    errors: list[str] = []
    dataset = data.generate(data.NOW, years=1)
    data_line = f"a year of twice-weekly history ({dataset.summary()}) per profile"
    setups: list[Setup] = []
    common.log("bench hosted: SQLite, one profile, one serve process")
    sqlite = Setup("SQLite, 1 profile", 1)
    setups.append(sqlite)
    _measure(sqlite, str(_sqlite_home(dataset)), None, options, errors)
    cluster = None
    sessions = 0
    try:
        common.log(f"bench hosted: PostgreSQL, {PROFILES} profiles (private cluster)")
        cluster, url = _postgres(dataset)
        sessions = _rows_in(cluster, url)
        for processes in PROCESSES:
            common.log(f"bench hosted: PostgreSQL, {processes} serve processes")
            setup = Setup(f"PostgreSQL, {PROFILES:,} profiles", processes)
            setups.append(setup)
            _measure(setup, str(common.WORK / "home-hosted-pg"), url, options, errors)
    except Exception as exc:  # reported, not raised
        errors.append(f"PostgreSQL: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        if cluster is not None:
            from tests import pg

            pg.remove(cluster)  # type: ignore[arg-type]
    return report(setups, errors, options, data_line, sessions)


def _p(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def report(
    setups: list[Setup], errors: list[str], options: Options, data_line: str, sessions: int
) -> Result:
    ms = common.ms
    header = ["page", "store", "serve processes", "1 client p50 ms"]
    for clients in CLIENTS:
        header += [f"{clients} clients p50 ms", "p99 ms", "req/s"]
    header += ["worst x SQLite"]
    rows: list[list[str]] = []
    base = setups[0] if setups and setups[0].processes == 1 else None
    verdicts: list[list[str]] = []
    worst_overall = 0.0
    for path in PAGES:
        for setup in setups:
            figures = setup.pages.get(path)
            if figures is None or not figures.sequential:
                continue
            row = [f"`{path}` {LABELS[path]}", setup.label, str(setup.processes),
                   ms(statistics.median(figures.sequential))]  # fmt: skip
            ratios = []
            base_fig = base.pages.get(path) if base else None
            if base_fig and setup is not base:
                ratios.append(
                    statistics.median(figures.sequential) / statistics.median(base_fig.sequential)
                )
            for clients in CLIENTS:
                times, wall = figures.concurrent.get(clients, ([], 0.0))
                if not times:
                    row += ["-", "-", "-"]
                    continue
                rate = len(times) / wall
                row += [ms(statistics.median(times)), ms(_p(times, 99)), f"{rate:.0f}"]
                if base_fig and setup is not base and clients in base_fig.concurrent:
                    btimes, bwall = base_fig.concurrent[clients]
                    ratios.append(_p(times, 99) / _p(btimes, 99))
                    ratios.append((len(btimes) / bwall) / rate)
            worst = max(ratios) if ratios else 1.0
            if setup is not base:
                worst_overall = max(worst_overall, worst)
            row.append(f"{worst:.2f}" if setup is not base else "1.00")
            rows.append(row)
            if path == "/" and setup is not base and 20 in figures.concurrent:
                p99 = _p(figures.concurrent[20][0], 99)
                target = f"dashboard p99 at 20 clients, {setup.processes} processes <= 50 ms"
                verdicts.append([target, ms(p99), "**PASS**" if p99 <= 0.050 else "**MISS**"])
    verdicts.append([
        "no hosted figure worse than 2x SQLite (p50, p99, req/s)",
        f"{worst_overall:.2f}x", "**PASS**" if worst_overall <= 2 else "**MISS**",
    ])  # fmt: skip
    sign_rows = [[s.label, str(s.processes), ms(statistics.median(s.sign_in)),
                  ms(max(s.sign_in))] for s in setups if s.sign_in]  # fmt: skip
    per_client = max(5, 2000 // CLIENTS[0]) if options.rounds >= 10 else 5
    intro = (
        f"{common.today()}; {common.machine_line()}.  \n"
        f"rollminder data: {data_line}; PostgreSQL holds {PROFILES:,} such profiles "
        f"({sessions:,} sessions), loaded with COPY; ROLLMINDER_NOW fixed.  \n"
        "`rollminder serve --no-reminders` processes on 127.0.0.1 with a password set: the "
        "clients sign in once and send the cookie. SQLite: the data directory, one process. "
        "PostgreSQL: a private cluster (Debian's, loopback TCP, fsync off as in the tests), the "
        "app as a non-owner role under row-level security, the serve processes answering one "
        "profile; the clients are spread evenly over the processes. Each page: "
        f"{max(50, options.rounds * 5)} sequential requests, then 20 clients x {per_client} and "
        f"100 clients x {max(5, 2000 // 100) if options.rounds >= 10 else 5} (Python threads "
        'on the same 2 cores as the servers and the database). One run. "worst x SQLite": '
        "the largest of the p50, p99 and inverse req/s ratios to SQLite's."
    )
    markdown = "\n\n".join([
        "## Hosted mode: PostgreSQL with many profiles beside SQLite (`bench/run.py hosted`)",
        intro,
        common.markdown_table(header, rows),
        "Sign-in (`POST /login`, the password's scrypt hash checked, a sign-in record written):",
        common.markdown_table(["store", "serve processes", "median ms", "max ms"], sign_rows),
        common.markdown_table(["target", "measured", "result"], verdicts),
        *(["Errors: " + "; ".join(errors[:5])] if errors else []),
    ])  # fmt: skip
    text = "\n\n".join(
        [f"hosted: {data_line}", common.text_table(header, rows),
         common.text_table(["store", "processes", "sign-in median ms", "max ms"], sign_rows),
         common.text_table(["target", "measured", "result"], verdicts),
         *(["errors: " + "; ".join(errors[:5])] if errors else [])]
    )  # fmt: skip
    misses = [target for target, _, result in verdicts if "MISS" in result]
    return Result(NAME, text, markdown, misses, errors)


if __name__ == "__main__":  # pragma: no cover - run through bench/run.py
    os.execvp("python3", ["python3", "bench/run.py", NAME, "--no-write"])
