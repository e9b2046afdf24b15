"""Hosted mode beside the embedded one (issue #15, first step): the same `rollminder serve` (one
uvicorn worker, its own process) answering the dashboard and history of the same 10 years of
history, from SQLite (the data directory) and from PostgreSQL (a private cluster on loopback,
the app connected as a non-owner role, row-level security on), one after the other in one run.

For each page: one client in sequence (median and p95), then 20 concurrent clients (p50, p99,
requests per second). No target yet (the issue's multi-process targets come with accounts and
several serve processes); the table says how far PostgreSQL is from SQLite, as a factor.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time

from bench import common, web
from bench.common import Options, Result

NAME = "hosted"
DESCRIPTION = "dashboard and history: PostgreSQL (RLS on) beside SQLite, same data, one run"
PAGES = ("/", "/history")
PORTS = range(18300, 18400)


def _port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return web._free_port()


def _serve(home: str, port: int, database_url: str | None) -> subprocess.Popen[bytes]:
    from bench import data

    extra = {"ROLLMINDER_HOME": home, "ROLLMINDER_NOW": data.NOW.isoformat()}
    if database_url:
        extra["ROLLMINDER_DATABASE_URL"] = database_url
    env = common.clean_env(extra)
    if not database_url:
        env.pop("ROLLMINDER_DATABASE_URL", None)
    proc = subprocess.Popen(
        [str(common.project_bin("rollminder")), "serve", "--port", str(port), "--no-reminders"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
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
    raise RuntimeError("rollminder serve did not start listening within 30 s")


def _measure(
    home: str, url: str | None, options: Options, errors: list[str]
) -> dict[str, web.Load]:
    port = _port()
    loads = {path: web.Load(path) for path in PAGES}
    proc = _serve(home, port, url)
    try:
        for load in loads.values():
            web._sequential(port, load, max(50, options.rounds * 10), options.warmup * 5)
        for load in loads.values():
            web._concurrent(port, load, max(10, options.rounds), errors)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return loads


def _postgres(dataset: object) -> tuple[object, str]:
    """A private cluster holding ``dataset`` as the default profile; the app role's URL."""
    sys.path.insert(0, str(common.ROOT))
    from tests import pg

    from bench import data
    from rollminder.store.postgres import PostgresStore, close_pools, migrate

    if pg.bin_dir() is None:
        raise RuntimeError("PostgreSQL is not installed (Debian's postgresql)")
    cluster = pg.start_cluster()
    name = cluster.new_database(prefix="rm_bench")
    migrate(cluster.url(name, pg.OWNER), now=data.NOW, app_role=pg.APP)
    url = cluster.url(name, pg.APP)
    store = PostgresStore.open(url, profile="default", now=data.NOW)
    try:
        data.put_all(store, dataset)  # type: ignore[arg-type]
    finally:
        store.close()
        close_pools()
    cluster.sql("VACUUM ANALYZE", database=name)
    return cluster, url


def run(options: Options) -> Result:
    from bench import data

    errors: list[str] = []
    home = common.WORK / "data-hosted-10y"
    dataset = data.build(home, data.NOW)
    data_line = f"10 years of twice-weekly history ({dataset.summary()})"
    common.log("bench hosted: SQLite")
    results = {"SQLite": _measure(str(home), None, options, errors)}
    cluster = None
    try:
        common.log("bench hosted: PostgreSQL (private cluster)")
        cluster, url = _postgres(dataset)
        results["PostgreSQL"] = _measure(str(common.WORK / "home-hosted-pg"), url, options, errors)
    except Exception as exc:  # reported, not raised
        errors.append(f"PostgreSQL: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        if cluster is not None:
            from tests import pg

            pg.remove(cluster)  # type: ignore[arg-type]
    return report(results, errors, options, data_line)


def report(
    results: dict[str, dict[str, web.Load]], errors: list[str], options: Options, data_line: str
) -> Result:
    ms = common.ms
    header = ["page", "store", "1 client p50 ms", "p95 ms", "20 clients p50 ms", "p99 ms",
              "req/s", "p50 x SQLite"]  # fmt: skip
    rows = []
    for path in PAGES:
        base = results.get("SQLite", {}).get(path)
        base_p50 = statistics.median(base.sequential) if base and base.sequential else None
        for store, loads in results.items():
            load = loads[path]
            if not load.sequential or not load.concurrent:
                rows.append([f"`{path}`", store, *["-"] * 6])
                continue
            p50 = statistics.median(load.sequential)
            rows.append([
                f"`{path}` {web.LABELS[path]}", store, ms(p50),
                ms(web._quantile(load.sequential, 95)), ms(statistics.median(load.concurrent)),
                ms(web._quantile(load.concurrent, 99)), f"{len(load.concurrent) / load.wall:.0f}",
                f"{p50 / base_p50:.2f}" if base_p50 else "-",
            ])  # fmt: skip
    intro = (
        f"{common.today()}; {common.machine_line()}.  \n"
        f"rollminder data: {data_line}, the same rows in both stores; ROLLMINDER_NOW fixed.  \n"
        "`rollminder serve --no-reminders` (one uvicorn worker, its own process) on 127.0.0.1, "
        "first on the SQLite data directory, then with `ROLLMINDER_DATABASE_URL` on a private "
        "PostgreSQL cluster (Debian's, loopback TCP, fsync off as in the tests; the app as a "
        "non-owner role, row-level security on). Each page: "
        f"{max(50, options.rounds * 10)} sequential requests, then 20 clients x "
        f"{max(10, options.rounds)}. One run."
    )
    markdown = "\n\n".join(
        [
            "## Hosted mode: PostgreSQL beside SQLite (`bench/run.py hosted`)",
            intro,
            common.markdown_table(header, rows),
            *(["Errors: " + "; ".join(errors[:5])] if errors else []),
        ]
    )
    text = "\n\n".join(
        [f"hosted: {data_line}", common.text_table(header, rows),
         *(["errors: " + "; ".join(errors[:5])] if errors else [])]
    )  # fmt: skip
    return Result(NAME, text, markdown, [], errors)


if __name__ == "__main__":  # pragma: no cover - run through bench/run.py
    os.execvp("python3", ["python3", "bench/run.py", NAME, "--no-write"])
