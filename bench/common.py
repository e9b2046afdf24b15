"""Shared helpers for the benchmarks: paths, the project's interpreter, timing and reporting.

Standard library only, so a bench module can be read and run without anything else.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"  # gitignored: venvs and generated data, reused across runs
DOC = ROOT / "docs" / "benchmarks.md"
PROJECT_VENV = ROOT / ".venv"


def project_bin(name: str) -> Path:
    """An executable of the project's venv (``make bench`` creates it)."""
    return PROJECT_VENV / "bin" / name


@dataclass
class Options:
    rounds: int = 30
    warmup: int = 2
    seed: int = 1
    strict: bool = False
    write: bool = True
    quick: bool = (
        False  # shorter runs where a bench offers them (remind: idle window; drift: 1 min)
    )


@dataclass
class Result:
    """What one bench module reports. ``markdown`` replaces its section of docs/benchmarks.md."""

    name: str
    text: str
    markdown: str
    misses: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Command:
    label: str
    argv: tuple[str, ...]
    env: Mapping[str, str]


@dataclass
class Timing:
    label: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p90(self) -> float:
        if len(self.seconds) < 2:
            return self.seconds[0]
        return statistics.quantiles(self.seconds, n=10, method="inclusive")[8]


class CommandFailed(Exception):
    def __init__(self, command: Command, proc: subprocess.CompletedProcess[bytes]) -> None:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        tail = err[-1] if err else "(no output on stderr)"
        super().__init__(f"{command.label!r} exited {proc.returncode}: {tail}")


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without variables that change how Python starts, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTHON") and k not in ("VIRTUAL_ENV", "ROLLMINDER_HOME")
    }
    env.update(extra)
    return env


def run_once(command: Command) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter()
    proc = subprocess.run(
        command.argv, env=dict(command.env), capture_output=True, stdin=subprocess.DEVNULL
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise CommandFailed(command, proc)
    return elapsed, proc


def measure_interleaved(commands: Sequence[Command], options: Options) -> dict[str, Timing]:
    """Run every command once per round, in a shuffled order each round, after warm-up rounds.

    Interleaving spreads slow phases of the machine (another process, a frequency change) over all
    commands instead of over whichever happened to run then.
    """
    rng = random.Random(options.seed)
    for _ in range(options.warmup):
        for command in commands:
            run_once(command)
    timings = {c.label: Timing(c.label) for c in commands}
    order = list(commands)
    for _ in range(options.rounds):
        rng.shuffle(order)
        for command in order:
            elapsed, _proc = run_once(command)
            timings[command.label].seconds.append(elapsed)
    return timings


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


def today() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for n, row in enumerate([header, *rows]):
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def begin_marker(name: str) -> str:
    return f"<!-- bench:{name}:begin (written by bench/run.py; edit outside the markers) -->"


def end_marker(name: str) -> str:
    return f"<!-- bench:{name}:end -->"


DOC_HEADER = """# Benchmarks

`make bench` (or `.venv/bin/python bench/run.py [NAME...]`) measures and rewrites the marked
sections below; text outside the markers is kept. Figures are wall time on the machine named in
each section. A benchmark reports: it fails only with `--strict`. See docs/development.md.
"""


def replace_section(document: str, name: str, body: str) -> str:
    """``document`` with the marked section ``name`` set to ``body`` (appended when missing)."""
    begin, end = begin_marker(name), end_marker(name)
    block = f"{begin}\n{body.strip()}\n{end}"
    start = document.find(begin)
    stop = document.find(end, start + 1) if start >= 0 else -1
    if start >= 0 and stop >= 0:
        return document[:start] + block + document[stop + len(end) :]
    if not document.strip():
        document = DOC_HEADER
    return document.rstrip("\n") + "\n\n" + block + "\n"


def write_section(name: str, body: str, path: Path = DOC) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    new = replace_section(old, name, body)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
