"""CLI start-up: rollminder next/history/stats beside `python -c pass` and todoman's `todo list`.

Issue 3, "Speed": on a data directory holding 10 years of twice-weekly history,
`rollminder next` <= 4x `python -c pass` and <= 1/3 of `todo list`; `history` and `stats` <= 1.5x
`next`. Medians of interleaved rounds: each round runs every command once, in a shuffled order.
"""

from __future__ import annotations

import datetime as dt

from bench import common, peer_todoman
from bench.common import Command, CommandFailed, Options, Result, Timing

NAME = "startup"
DESCRIPTION = "CLI start-up: rollminder next/history/stats vs python -c pass and todoman"

PY_PASS = "python -c pass"
#: The floor any click CLI pays before its first line of code: shown, not targeted.
PY_CLICK = "python -c 'import click'"
TODO = "todo list"
NEXT = "rollminder next"
HISTORY = "rollminder history"
STATS = "rollminder stats"

#: (command, reference, limit): median(command) <= limit * median(reference)
TARGETS: tuple[tuple[str, str, float], ...] = (
    (NEXT, PY_PASS, 4.0),
    (NEXT, TODO, 1 / 3),
    (HISTORY, NEXT, 1.5),
    (STATS, NEXT, 1.5),
)


def _limit(limit: float) -> str:
    return f"1/{round(1 / limit)}" if limit < 1 else f"{limit:g}x"


def commands(now: dt.datetime, data_home: str | None) -> tuple[list[Command], dict[str, str]]:
    """The commands to time; rollminder's only when its data directory could be built."""
    base = {"TZ": "Europe/Berlin", "LC_ALL": "C.UTF-8", "COLUMNS": "100", "NO_COLOR": "1"}
    python = str(common.project_bin("python"))
    cmds = [
        Command(PY_PASS, (python, "-c", "pass"), common.clean_env(base)),
        Command(PY_CLICK, (python, "-c", "import click"), common.clean_env(base)),
    ]
    if data_home is not None:
        env = common.clean_env(
            {**base, "ROLLMINDER_HOME": data_home, "ROLLMINDER_NOW": now.isoformat()}
        )
        rollminder = str(common.project_bin("rollminder"))
        cmds += [
            Command(NEXT, (rollminder, "next"), env),
            Command(HISTORY, (rollminder, "history"), env),
            Command(STATS, (rollminder, "stats"), env),
        ]
    return cmds, base


def run(options: Options) -> Result:
    errors: list[str] = []
    from bench import data  # imports rollminder: the project's venv

    now = data.NOW
    home = common.WORK / "data-10y"
    try:
        dataset = data.build(home, now)
        data_line = f"10 years of twice-weekly history ({dataset.summary()})"
    except Exception as exc:  # the store API is young: report, and time the rest
        errors.append(f"could not build the 10-year data directory: {type(exc).__name__}: {exc}")
        data_line = "not built"
    cmds, base = commands(now, None if errors else str(home))

    todo = peer_todoman.ensure_venv()
    config, total, pending = peer_todoman.build(now)
    cmds.insert(1, peer_todoman.list_command(todo, config, base))

    # One probe run each: a command that fails is reported, not timed.
    lines: dict[str, int] = {}
    working: list[Command] = []
    for command in cmds:
        try:
            _elapsed, proc = common.run_once(command)
        except CommandFailed as exc:
            errors.append(str(exc))
            continue
        lines[command.label] = len(proc.stdout.splitlines())
        working.append(command)

    common.log(f"bench startup: {options.rounds} rounds of {len(working)} commands")
    timings = common.measure_interleaved(working, options)
    return report(timings, lines, errors, options, data_line, now, total, pending)


def report(
    timings: dict[str, Timing],
    lines: dict[str, int],
    errors: list[str],
    options: Options,
    data_line: str,
    now: dt.datetime,
    todos: int,
    pending: int,
) -> Result:
    base = timings.get(PY_PASS)
    header = ["command", "median ms", "p90 ms", "x python -c pass", "output lines"]
    rows = []
    for label, timing in timings.items():
        ratio = f"{timing.median / base.median:.1f}" if base else "-"
        rows.append(
            [label, common.ms(timing.median), common.ms(timing.p90), ratio, str(lines[label])]
        )

    misses: list[str] = []
    checks = []
    for command, reference, limit in TARGETS:
        target = f"{command} <= {_limit(limit)} {reference}"
        if command not in timings or reference not in timings:
            checks.append([target, "-", "n/a (not measured)"])
            continue
        ratio = timings[command].median / timings[reference].median
        verdict = "PASS" if ratio <= limit else "MISS"
        if verdict == "MISS":
            misses.append(f"{target}: measured {ratio:.2f}x")
        checks.append([target, f"{ratio:.2f}x", verdict])

    context = (
        f"{common.today()}; {common.machine_line()}; {options.rounds} interleaved rounds after "
        f"{options.warmup} warm-up rounds.\n"
        f"rollminder data: {data_line}; ROLLMINDER_NOW={now.isoformat()}.\n"
        f"todoman {peer_todoman.version()}: {todos} todos in {len(peer_todoman.LISTS)} lists "
        f"({pending} open, listed by `todo list`)."
    )
    text = "\n\n".join(
        [
            "CLI start-up\n" + context,
            common.text_table(header, rows),
            common.text_table(["target", "measured", "result"], checks),
            *(["Errors:\n" + "\n".join(f"  {e}" for e in errors)] if errors else []),
        ]
    )
    markdown = "\n\n".join(
        [
            "## CLI start-up (`bench/run.py startup`)",
            context.replace("\n", "  \n"),
            common.markdown_table(header, [[f"`{r[0]}`", *r[1:]] for r in rows]),
            common.markdown_table(
                ["target (medians)", "measured", "result"],
                [[c[0], c[1], f"**{c[2]}**"] for c in checks],
            ),
        ]
    )
    return Result(NAME, text, markdown, misses, errors)
