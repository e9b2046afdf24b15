"""The iCalendar feed: `rollminder calendar export` beside `rollminder next` (issue 6).

No target in the issue: this shows what the feed costs (icalendar is imported only by the
calendar commands) on the same 10-year data directory as the start-up bench. Medians of
interleaved rounds, as in bench/startup.py.
"""

from __future__ import annotations

from bench import common
from bench.common import Command, CommandFailed, Options, Result

NAME = "calendar"
DESCRIPTION = "calendar export (8 weeks; with 10 years of history) vs rollminder next"

PY_PASS = "python -c pass"
NEXT = "rollminder next"
EXPORT = "rollminder calendar export"
HISTORY = "rollminder calendar export --include-history"


def run(options: Options) -> Result:
    from bench import data  # imports rollminder: the project's venv

    errors: list[str] = []
    now = data.NOW
    home = common.WORK / "data-10y"
    dataset = data.build(home, now)
    base = {"TZ": "Europe/Berlin", "LC_ALL": "C.UTF-8", "COLUMNS": "100", "NO_COLOR": "1"}
    env = common.clean_env(
        {**base, "ROLLMINDER_HOME": str(home), "ROLLMINDER_NOW": now.isoformat()}
    )
    python, rollminder = str(common.project_bin("python")), str(common.project_bin("rollminder"))
    cmds = [
        Command(PY_PASS, (python, "-c", "pass"), common.clean_env(base)),
        Command(NEXT, (rollminder, "next"), env),
        Command(EXPORT, (rollminder, "calendar", "export"), env),
        Command(HISTORY, (rollminder, "calendar", "export", "--include-history"), env),
    ]
    sizes: dict[str, int] = {}
    working = []
    for command in cmds:
        try:
            _elapsed, proc = common.run_once(command)
        except CommandFailed as exc:
            errors.append(str(exc))
            continue
        sizes[command.label] = len(proc.stdout)
        working.append(command)
    common.log(f"bench calendar: {options.rounds} rounds of {len(working)} commands")
    timings = common.measure_interleaved(working, options)

    header = ["command", "median ms", "p90 ms", "x rollminder next", "output bytes"]
    ref = timings.get(NEXT)
    rows = [
        [
            label,
            common.ms(t.median),
            common.ms(t.p90),
            f"{t.median / ref.median:.1f}" if ref else "-",
            str(sizes[label]),
        ]
        for label, t in timings.items()
    ]
    context = (
        f"{common.today()}; {common.machine_line()}; {options.rounds} interleaved rounds after "
        f"{options.warmup} warm-up rounds.\nrollminder data: 10 years of twice-weekly history "
        f"({dataset.summary()}); ROLLMINDER_NOW={now.isoformat()}."
    )
    text = "\n\n".join(
        [
            "Calendar export\n" + context,
            common.text_table(header, rows),
            *(["Errors:\n" + "\n".join(f"  {e}" for e in errors)] if errors else []),
        ]
    )
    markdown = "\n\n".join(
        [
            "## Calendar export (`bench/run.py calendar`)",
            context.replace("\n", "  \n"),
            common.markdown_table(header, [[f"`{r[0]}`", *r[1:]] for r in rows]),
        ]
    )
    return Result(NAME, text, markdown, [], errors)
