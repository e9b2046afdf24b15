"""Web app latency: `rollminder serve` (one uvicorn worker, a subprocess) on loopback with 10 years
of history, measured by HTTP clients in this process.

For each URL: one client in sequence (median and p95 over N requests), then 20 concurrent
clients on keep-alive connections (p50, p99, requests per second). The floor is a static file
served by the same server in the same run (/static/css/app.css): every page is quoted as a
multiple of it. Also the dashboard's page weight (its HTML plus the CSS and JS it links).

Targets (issue #7): dashboard p99 <= 50 ms and >= 300 requests per second with 20 concurrent
clients; dashboard page weight <= 100 KB.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import time
from dataclasses import dataclass, field

from bench import common, httpload
from bench.common import Options, Result

NAME = "web"
DESCRIPTION = "web app: page latency and requests/s under 20 clients, static file as the floor"
CLIENTS = 20
STATIC = "/static/css/app.css"
PAGES = ("/", "/history", "/session/go", "/session/guide.json")
LABELS = {
    STATIC: "static file (floor)",
    "/": "dashboard",
    "/history": "history",
    "/session/go": "session page",
    "/session/guide.json": "guide.json",
}
P99_TARGET_MS = 50.0
RPS_TARGET = 300.0
WEIGHT_TARGET = 100 * 1024


@dataclass
class Load:
    path: str
    sequential: list[float] = field(default_factory=list)  # seconds per request, one client
    concurrent: list[float] = field(default_factory=list)  # seconds per request, 20 clients
    wall: float = 0.0  # seconds for all the concurrent requests
    nbytes: int = 0


def _quantile(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method)."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_server(home: str, port: int) -> subprocess.Popen[bytes]:
    from bench import data

    env = common.clean_env(
        {"ROLLMINDER_HOME": home, "ROLLMINDER_NOW": data.NOW.isoformat(), "PYTHONUNBUFFERED": "1"}
    )
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


def _page_weight(port: int) -> tuple[int, list[tuple[str, int]]]:
    """The dashboard's HTML plus every stylesheet and script it links, in bytes (uncompressed)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        html = httpload.get(conn, "/")
        parts = [("/ (HTML)", len(html))]
        text = html.decode("utf-8", errors="replace")
        links = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', text)
        links += re.findall(r'<script[^>]+src="([^"]+)"', text)
        for url in links:
            parts.append((url, len(httpload.get(conn, url))))
    finally:
        conn.close()
    return sum(n for _, n in parts), parts


def run(options: Options) -> Result:
    from bench import data

    errors: list[str] = []
    home = common.WORK / "data-web-10y"
    dataset = data.build(home, data.NOW)
    data_line = f"10 years of twice-weekly history ({dataset.summary()})"
    port = _free_port()
    count = max(50, options.rounds * 10)  # sequential requests per URL
    per_client = max(10, options.rounds)  # concurrent requests per client and URL
    loads = {path: Load(path) for path in (STATIC, *PAGES)}
    weight, parts = 0, []
    proc = _start_server(str(home), port)
    try:
        common.log(f"bench web: {count} sequential and {CLIENTS}x{per_client} concurrent per URL")
        for load in loads.values():
            load.sequential, load.nbytes = httpload.sequential(
                port, load.path, count, options.warmup * 5
            )
        for load in loads.values():
            load.concurrent, load.wall = httpload.concurrent(
                [port], load.path, CLIENTS, per_client, errors
            )
        weight, parts = _page_weight(port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return report(loads, weight, parts, errors, options, data_line, count, per_client)


def report(
    loads: dict[str, Load],
    weight: int,
    parts: list[tuple[str, int]],
    errors: list[str],
    options: Options,
    data_line: str,
    count: int,
    per_client: int,
) -> Result:
    ms = common.ms
    floor = loads[STATIC]
    floor_seq = statistics.median(floor.sequential) if floor.sequential else float("nan")
    floor_rps = len(floor.concurrent) / floor.wall if floor.wall else float("nan")
    header = [
        "URL",
        "1 client p50 ms",
        "p95 ms",
        "x static",
        f"{CLIENTS} clients p50 ms",
        "p99 ms",
        "req/s",
        "x static req/s",
        "bytes",
    ]
    rows = []
    for path, load in loads.items():
        if not load.sequential or not load.concurrent:
            rows.append([f"`{path}` {LABELS[path]}", *["-"] * 8])
            continue
        seq = statistics.median(load.sequential)
        rps = len(load.concurrent) / load.wall
        rows.append(
            [
                f"`{path}` {LABELS[path]}",
                ms(seq),
                ms(_quantile(load.sequential, 95)),
                f"{seq / floor_seq:.1f}",
                ms(statistics.median(load.concurrent)),
                ms(_quantile(load.concurrent, 99)),
                f"{rps:.0f}",
                f"{rps / floor_rps:.2f}",
                str(load.nbytes),
            ]
        )
    dash = loads["/"]
    misses: list[str] = []
    checks = []
    if dash.concurrent:
        p99 = _quantile(dash.concurrent, 99) * 1000
        rps = len(dash.concurrent) / dash.wall
        checks.append((f"dashboard p99 <= {P99_TARGET_MS:g} ms", f"{p99:.1f} ms", p99 <= 50))
        checks.append((f"dashboard >= {RPS_TARGET:g} req/s", f"{rps:.0f} req/s", rps >= 300))
    checks.append(
        ("dashboard page weight <= 100 KB", f"{weight / 1024:.1f} KB", weight <= WEIGHT_TARGET)
    )
    target_rows = [[name, got, "**PASS**" if ok else "**MISS**"] for name, got, ok in checks]
    misses = [name for name, _got, ok in checks if not ok]
    weight_rows = [[url, str(n)] for url, n in parts]
    intro = (
        f"{common.today()}; {common.machine_line()}.  \n"
        f"rollminder data: {data_line}; ROLLMINDER_NOW fixed.  \n"
        f"`rollminder serve --no-reminders` (one uvicorn worker, its own process) on 127.0.0.1; "
        f"clients in the bench's process over keep-alive connections: {count} sequential requests "
        f"per URL (after {options.warmup * 5} warm-up), then {CLIENTS} concurrent clients x "
        f"{per_client} requests. Latency is per request as the client sees it. Floor: "
        f"`{STATIC}` served by the same server in the same run."
    )
    markdown = "\n\n".join(
        [
            "## Web app latency (`bench/run.py web`)",
            intro,
            common.markdown_table(header, rows),
            "Dashboard page weight (uncompressed; no gzip):",
            common.markdown_table(["part", "bytes"], [*weight_rows, ["total", str(weight)]]),
            common.markdown_table(["target", "measured", "result"], target_rows),
            *(["Errors: " + "; ".join(errors[:5])] if errors else []),
        ]
    )
    text = "\n\n".join(
        [
            f"web: {data_line}",
            common.text_table(header, rows),
            common.text_table(["part", "bytes"], [*weight_rows, ["total", str(weight)]]),
            common.text_table(["target", "measured", "result"], target_rows),
            *(["errors: " + "; ".join(errors[:5])] if errors else []),
        ]
    )
    return Result(NAME, text, markdown, misses, errors)


if __name__ == "__main__":  # pragma: no cover - run through bench/run.py
    os.execvp("python3", ["python3", "bench/run.py", NAME, "--no-write"])
