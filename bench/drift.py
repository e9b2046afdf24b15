"""Guided-session timing: drift, cue lateness and CPU of ``rollminder start``'s loop (issue 4).

Two processes run at the same time, in real time, for a whole session (3 minutes; 1 with
``--quick``), each drawing every frame of the live screen to a null terminal:

- ``rollminder``: the real loop (``rollminder.term.runner.Run.live``) with the real screen, the
  real timer (monotonic deadlines) and a key reader that waits on a file descriptor as the real
  one does (select with a timeout), only no key ever comes;
- ``naive``: the peer, the loop people write first: for each step, cue, then once a second draw
  the same frame and ``time.sleep(1)``.

Reported: total drift (the last cue against the session's planned end), each cue's lateness
against its planned time (the first cue sets time zero), and the CPU time each process used during
the session, as a share of one core. Targets (issue 4): drift <= 50 ms, every cue <= 100 ms late,
CPU <= 5 % of one core.

    bench/run.py drift [--quick]          # or: .venv/bin/python bench/drift.py [--quick]
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

try:
    from bench import common
except ImportError:  # run as a script
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench import common

DESCRIPTION = "guided session: drift, cue lateness and CPU, real loop vs a naive sleep loop"
TARGET_DRIFT = 0.050
TARGET_LATE = 0.100
TARGET_CPU = 0.05


def _guide(minutes: float) -> Any:
    import datetime as dt

    from rollminder.guide import build_guide
    from rollminder.rules import make_plan

    plan = make_plan(needle_mm=0.25, start=dt.date(2026, 11, 25), created_at=T0)
    return build_guide(plan, minutes=minutes)


def _console() -> Any:
    from rich.console import Console

    return Console(
        file=io.StringIO() if os.environ.get("DRIFT_KEEP") else open(os.devnull, "w"),
        force_terminal=True,
        width=100,
        height=40,
        color_system="truecolor",
    )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker_real(minutes: float) -> dict[str, Any]:
    from rollminder.env import Monotonic
    from rollminder.term.cues import Cues
    from rollminder.term.runner import Run

    guide = _guide(minutes)
    times: list[float] = []

    class Recording(Cues):
        def cue(self, text: str) -> None:
            times.append(time.monotonic())

    read_end, write_end = os.pipe()  # never written: select waits out its timeout
    first = [True]

    def read_key(fd: int, timeout: float) -> str | None:
        if first[0]:  # the preparation screen waits for a key: start at once
            first[0] = False
            return " "
        import select

        select.select([fd], [], [], max(0.0, timeout))
        return None

    run = Run(guide, Monotonic())
    cpu0, wall0 = _cpu(), time.monotonic()
    run.live(_console(), read_end, Recording(None, quiet=True), read_key=read_key)
    cpu, wall = _cpu() - cpu0, time.monotonic() - wall0
    os.close(read_end)
    os.close(write_end)
    return {"cues": times, "seconds": [s.seconds for s in guide.rolling], "cpu": cpu, "wall": wall}


def worker_naive(minutes: float) -> dict[str, Any]:
    from rich.live import Live

    from rollminder.term import screen

    guide = _guide(minutes)
    times: list[float] = []
    cpu0, wall0 = _cpu(), time.monotonic()
    with Live(console=_console(), screen=True, auto_refresh=False) as live:
        rolled = 0
        for step in guide.rolling:
            times.append(time.monotonic())
            for left in range(step.seconds, 0, -1):
                view = screen.View(guide, step, float(left), float(rolled), False)
                live.update(screen.roll_view(view), refresh=True)
                time.sleep(1)
                rolled += 1
        times.append(time.monotonic())  # "Done. Aftercare."
    cpu, wall = _cpu() - cpu0, time.monotonic() - wall0
    return {"cues": times, "seconds": [s.seconds for s in guide.rolling], "cpu": cpu, "wall": wall}


def _figures(data: dict[str, Any]) -> dict[str, float]:
    times, seconds = data["cues"], data["seconds"]
    t0 = times[0]
    planned = [t0 + sum(seconds[:i]) for i in range(len(seconds) + 1)]
    late = [t - p for t, p in zip(times, planned, strict=True)]
    return {
        "drift": late[-1],
        "late_max": max(late[:-1]),
        "late_mean": sum(late[:-1]) / len(late[:-1]),
        "cpu": data["cpu"] / data["wall"],
        "cues": len(times),
    }


def run(options: common.Options) -> common.Result:
    minutes = 1.0 if options.quick else 3.0
    common.log(f"bench drift: two {minutes:g}-minute sessions side by side, in real time")
    python = str(common.project_bin("python"))
    if not os.path.exists(python):
        python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(common.ROOT)}
    procs = {
        kind: subprocess.Popen(
            [python, __file__, "--worker", kind, "--minutes", str(minutes)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for kind in ("rollminder", "naive")
    }
    results: dict[str, dict[str, float]] = {}
    errors: list[str] = []
    for kind, proc in procs.items():
        out, err = proc.communicate(timeout=minutes * 60 * 3 + 120)
        if proc.returncode != 0:
            errors.append(f"{kind} worker exited {proc.returncode}: {err.strip()[-300:]}")
            continue
        results[kind] = _figures(json.loads(out))

    header = ("loop", "drift at end (ms)", "latest cue (ms)", "mean cue (ms)", "CPU (% of a core)")
    rows = [
        (
            kind,
            f"{r['drift'] * 1000:.1f}",
            f"{r['late_max'] * 1000:.1f}",
            f"{r['late_mean'] * 1000:.1f}",
            f"{r['cpu'] * 100:.2f}",
        )
        for kind, r in results.items()
    ]
    misses = []
    mine = results.get("rollminder")
    if mine is not None:
        if abs(mine["drift"]) > TARGET_DRIFT:
            misses.append(f"drift {mine['drift'] * 1000:.1f} ms > 50 ms")
        if mine["late_max"] > TARGET_LATE:
            misses.append(f"a cue {mine['late_max'] * 1000:.1f} ms late > 100 ms")
        if mine["cpu"] > TARGET_CPU:
            misses.append(f"CPU {mine['cpu'] * 100:.2f} % > 5 %")
    length = f"{minutes:g}-minute session ({'--quick' if minutes < 3 else 'full'})"
    text = common.text_table(header, rows)
    if misses:
        text += "\nmissed: " + "; ".join(misses)
    markdown = (
        "## Guided session timing (bench/drift.py)\n\n"
        f"{common.today()}; {common.machine_line()}; one {length}, the real loop and a naive "
        "sleep-per-tick loop side by side, in real time, each drawing every frame of the live "
        "screen to a null terminal.\n\n"
        + common.markdown_table(header, rows)
        + "\n\nTargets (issue 4): drift <= 50 ms, every cue <= 100 ms late, CPU <= 5 % of a core. "
        + ("Missed: " + "; ".join(misses) + "." if misses else "All met.")
    )
    return common.Result("drift", text, markdown, misses=misses, errors=errors)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="bench/drift.py", description=DESCRIPTION)
    parser.add_argument("--worker", choices=("rollminder", "naive"))
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--quick", action="store_true", help="a 1-minute session")
    args = parser.parse_args(argv)
    if args.worker:
        work = worker_real if args.worker == "rollminder" else worker_naive
        print(json.dumps(work(args.minutes)))
        return 0
    options = common.Options(write=False, quick=args.quick)
    result = run(options)
    print(result.text)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
