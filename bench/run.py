#!/usr/bin/env python3
"""Run rollminder's benchmarks and write their results into docs/benchmarks.md.

    bench/run.py [NAME...] [--rounds N] [--strict] [--no-write] [--list]

With no NAME, every benchmark runs. Each benchmark is a module of this folder listed in BENCHES,
with ``DESCRIPTION`` and ``run(options) -> common.Result``; its markdown replaces its own marked
section of docs/benchmarks.md. A benchmark reports: the exit status is 1 only when a command it
times failed, or, with --strict, when a target was missed.

Standard library plus the project's venv (.venv, made by `make bench`); started with another
Python, it re-runs itself with the venv's.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

#: name -> module. Add later benches here (e.g. "guide-drift", "web-latency").
BENCHES: dict[str, str] = {
    "startup": "bench.startup",
    "calendar": "bench.calendar_feed",
    "remind": "bench.remind",
    "drift": "bench.drift",
    "web": "bench.web",
    "idle": "bench.idle",
    "hosted": "bench.hosted",
    "lighthouse": "bench.lighthouse",
    "journal": "bench.journal",
}


def _ensure_project_python() -> None:
    try:
        import rollminder  # noqa: F401
    except ImportError:
        if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
            os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
        sys.exit("bench: rollminder is not installed here; run `make bench` (it makes .venv).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default all)")
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the shuffled order")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="shorter runs where a benchmark offers them (drift: 1 minute; remind: 20 s idle)",
    )
    parser.add_argument(
        "--no-write", dest="write", action="store_false", help="leave docs/benchmarks.md alone"
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    # Run as a script, Python puts bench/ first on sys.path, where a module named like a standard
    # one (bench/calendar.py once did) shadows it for everything imported later. Only the root.
    if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)
    sys.path.insert(0, str(ROOT))
    common = importlib.import_module("bench.common")
    if args.list:
        for name, module in BENCHES.items():
            print(f"{name:14} {importlib.import_module(module).DESCRIPTION}")
        return 0
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)}")
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1 and --warmup at least 0")
    _ensure_project_python()

    options = common.Options(
        rounds=args.rounds,
        warmup=args.warmup,
        seed=args.seed,
        strict=args.strict,
        write=args.write,
        quick=args.quick,
    )
    common.WORK.mkdir(parents=True, exist_ok=True)
    status = 0
    for name in args.names or list(BENCHES):
        result = importlib.import_module(BENCHES[name]).run(options)
        print(result.text, flush=True)
        print()
        if result.errors:
            print(f"{name}: {len(result.errors)} error(s); docs/benchmarks.md not updated.")
            status = 1
            continue
        if options.write:
            common.write_section(name, result.markdown)
            print(f"{name}: results written to {common.DOC.relative_to(ROOT)}")
        if result.misses:
            print(f"{name}: {len(result.misses)} target(s) missed")
            if options.strict:
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
