"""Reminder delivery: latency from the due instant to arrival, and the idle daemon's cost.

Issue 5, "Speed": over 50 reminders sent by a real `rollminder daemon` process through the
Apprise json:// channel to an HTTP receiver on loopback, latency (arrival - due instant) median
<= 100 ms and max <= 1 s; beside it the peers' granularity: cron runs a job at most once a
minute, and a systemd timer's default AccuracySec=1min lets it fire up to a minute late. Then the
same daemon left idle: resident memory <= 60 MB and CPU < 0.1% of one core over 2 minutes
(`--quick`: 20 s).

The daemon runs on the real clock (no ROLLMINDER_NOW): the plan has a slot open today (UTC) and
the 50 reminders are that slot's snoozes, due 200 ms apart from a few seconds after the start.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench import common
from bench.common import Options, Result

NAME = "remind"
DESCRIPTION = "reminder latency (due -> loopback receiver) and the idle daemon's memory and CPU"

COUNT = 50
SPACING = 0.2  # seconds between due instants
LEAD = 4.0  # seconds from the daemon's start to the first due instant
IDLE_SECONDS = 120.0
IDLE_QUICK = 20.0
TARGET_MEDIAN_MS = 100.0
TARGET_MAX_MS = 1000.0
TARGET_RSS_MB = 60.0
TARGET_CPU_PCT = 0.1


class _Receiver:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                import json

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.arrivals.append((time.time(), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _prepare(home: Path, port: int, start: float) -> list[float]:
    """A data directory whose plan has a slot open now, a json:// channel to the receiver, and
    COUNT snoozes of that slot due from ``start`` on. Returns the due instants (epoch)."""
    import shutil

    from rollminder.env import Env
    from rollminder.model import Plan, Settings
    from rollminder.remind.planner import slot_key
    from rollminder.remind.records import Snooze
    from rollminder.service import Rollminder

    shutil.rmtree(home, ignore_errors=True)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    env = Env(home=home)
    dues = [start + i * SPACING for i in range(COUNT)]
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        store.put_plan(
            Plan(
                needle_mm=0.25,
                sessions=1,
                every_weeks=1,
                weekdays=(today.weekday(),),
                time=dt.time(0, 0),
                tz="UTC",
                minutes=3,
                zones=("forehead", "cheeks", "chin"),
                directions=("vertical", "horizontal"),
                passes=5,
                rest_hours=48,
                start=today - dt.timedelta(days=7),
                created_at=now - dt.timedelta(days=8),
            )
        )
        store.put_settings(Settings(prep_minutes=0))
        app.add_channel(f"json://127.0.0.1:{port}/hook", "bench")
        key = slot_key(dt.datetime.combine(today, dt.time(0), dt.UTC))
        for n, due in enumerate(dues, start=1):
            until = dt.datetime.fromtimestamp(due, dt.UTC)
            store.put_snooze(Snooze(slot=key, n=n, until=until, created_at=now))
    return dues


def _proc_stats(pid: int) -> tuple[float, float]:
    """(CPU seconds used, resident MB) of a process, from /proc.

    CPU time is the scheduler's nanosecond count summed over the process's threads
    (/proc/PID/task/*/schedstat); the utime+stime of /proc/PID/stat counts in 10 ms ticks, too
    coarse for a daemon that works a few milliseconds a minute (used only as a fallback).
    """
    tasks = sorted(Path(f"/proc/{pid}/task").glob("*/schedstat"))
    if tasks:
        cpu = sum(int(t.read_text().split()[0]) for t in tasks) / 1e9
    else:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    return cpu, rss_kb / 1024


def run(options: Options) -> Result:
    errors: list[str] = []
    idle = IDLE_QUICK if getattr(options, "quick", False) else IDLE_SECONDS
    seconds_to_midnight = 86400 - (time.time() % 86400)
    if seconds_to_midnight < idle + 60:  # the open slot closes at midnight UTC
        common.log(f"bench remind: waiting {seconds_to_midnight:.0f} s for midnight UTC")
        time.sleep(seconds_to_midnight + 1)
    receiver = _Receiver()
    home = common.WORK / "remind-home"
    start = time.time() + LEAD
    dues = _prepare(home, receiver.port, start)
    env = common.clean_env({"ROLLMINDER_HOME": str(home), "LC_ALL": "C.UTF-8"})
    env.pop("ROLLMINDER_NOW", None)
    proc = subprocess.Popen(
        [str(common.project_bin("python")), "-m", "rollminder", "daemon"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    latencies: list[float] = []
    cpu_pct = rss_mb = float("nan")
    try:
        deadline = dues[-1] + 10
        while time.time() < deadline:
            snoozed = [a for a in receiver.arrivals if a[1].get("title", "").startswith("Snoozed")]
            if len(snoozed) >= COUNT or proc.poll() is not None:
                break
            time.sleep(0.05)
        snoozed = [a for a in receiver.arrivals if a[1].get("title", "").startswith("Snoozed")]
        arrivals = sorted(t for t, _ in snoozed)
        if len(arrivals) != COUNT:
            errors.append(f"{len(arrivals)} of {COUNT} reminders arrived")
        latencies = [a - d for a, d in zip(arrivals, dues, strict=False)]
        common.log(f"bench remind: idle daemon for {idle:.0f} s")
        time.sleep(2)  # let the last pass settle
        cpu0, _ = _proc_stats(proc.pid)
        t0 = time.monotonic()
        time.sleep(idle)
        cpu1, rss_mb = _proc_stats(proc.pid)
        cpu_pct = 100 * (cpu1 - cpu0) / (time.monotonic() - t0)
    except OSError as exc:
        errors.append(f"could not read the daemon's /proc figures: {exc}")
    finally:
        proc.terminate()
        try:
            _out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
        receiver.close()
        if proc.returncode not in (0, -15):
            errors.append(f"the daemon exited {proc.returncode}: {err.strip()[-200:]}")
    return _report(latencies, cpu_pct, rss_mb, idle, errors)


def _report(
    latencies: list[float], cpu_pct: float, rss_mb: float, idle: float, errors: list[str]
) -> Result:
    med = statistics.median(latencies) * 1000 if latencies else float("nan")
    worst = max(latencies) * 1000 if latencies else float("nan")
    best = min(latencies) * 1000 if latencies else float("nan")
    header = ["", "median ms", "max ms", "min ms"]
    rows = [
        [
            f"rollminder daemon ({len(latencies)} reminders)",
            f"{med:.1f}",
            f"{worst:.1f}",
            f"{best:.1f}",
        ],
        ["cron (peer): runs a job once a minute", "~30000", "60000", "0"],
        ["systemd timer (peer): default AccuracySec=1min", "-", "60000", "0"],
    ]
    checks = [
        (f"latency median <= {TARGET_MEDIAN_MS:g} ms", f"{med:.1f} ms", med <= TARGET_MEDIAN_MS),
        (f"latency max <= {TARGET_MAX_MS:g} ms", f"{worst:.1f} ms", worst <= TARGET_MAX_MS),
        (f"idle RSS <= {TARGET_RSS_MB:g} MB", f"{rss_mb:.1f} MB", rss_mb <= TARGET_RSS_MB),
        (
            f"idle CPU < {TARGET_CPU_PCT:g}% of a core over {idle:.0f} s",
            f"{cpu_pct:.4f}%",
            cpu_pct < TARGET_CPU_PCT,
        ),
    ]
    misses = [f"{t}: {m}" for t, m, ok in checks if not ok]
    table2 = [[t, m, "PASS" if ok else "MISS"] for t, m, ok in checks]
    context = (
        f"{common.today()}; {common.machine_line()}. A `rollminder daemon` process on the real "
        f"clock sends {COUNT} reminders due {SPACING * 1000:.0f} ms apart through Apprise's "
        "json:// channel to an HTTP receiver on loopback; latency = arrival - due instant. "
        f"Then the same daemon idle for {idle:.0f} s (RSS and CPU from /proc)."
    )
    text = "\n\n".join(
        [
            "Reminder delivery\n" + context,
            common.text_table(header, rows),
            common.text_table(["target", "measured", "result"], table2),
            *(["Errors:\n" + "\n".join(f"  {e}" for e in errors)] if errors else []),
        ]
    )
    markdown = "\n\n".join(
        [
            "## Reminder delivery (`bench/run.py remind`)",
            context,
            common.markdown_table(header, rows),
            common.markdown_table(
                ["target", "measured", "result"], [[t, m, f"**{r}**"] for t, m, r in table2]
            ),
        ]
    )
    return Result(NAME, text, markdown, misses, errors)


if __name__ == "__main__":  # pragma: no cover
    print(run(Options()).text)
    sys.exit(0)
