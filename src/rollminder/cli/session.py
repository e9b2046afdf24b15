"""start: the guided session in the terminal (the check it begins with is in cli/check.py).

With a terminal (standard input and output both terminals) ``start`` draws a live screen and reads
keys; otherwise it prints one timestamped line per cue and reads the check's answers and the
reaction from standard input, one per line (docs/guided-session.md).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx
from rollminder.errors import Cancelled, Conflict, ExitCode, InvalidInput, RollminderError
from rollminder.limits import EARLIER_USES

if TYPE_CHECKING:
    from rollminder.guide import Guide
    from rollminder.model import Roller
    from rollminder.service import Rollminder
    from rollminder.term.runner import Outcome, Run

from rollminder.cli.check import (
    ask_stop_questions,
    has_terminal,
    read_line,
    report_stop,
    show_notes,
)

# ------------------------------------------------------------------ start


def _roller(app: Rollminder, terminal: bool) -> Roller | None:
    """The current roller, after asking (or, from a pipe, adding one from the plan) if none."""
    roller = app.current_roller()
    if roller is None:
        needle = app.plan().needle_mm
        if terminal:
            if not click.confirm(
                f"You have no current roller. Add your {needle:g} mm roller now "
                "(its uses are then counted)?",
                default=True,
            ):
                click.echo("Going on without a roller: this session counts toward none.")
                return None
            uses = click.prompt(
                "  How many times was it used before?",
                default=0,
                type=click.IntRange(EARLIER_USES.lo, EARLIER_USES.hi),
            )
            roller, _ = app.add_roller(initial_uses=uses)
        else:
            roller, _ = app.add_roller()
        click.echo(
            f"Added a {roller.needle_mm:g} mm roller as your current one "
            f"[{fmt.short_id(roller.id)}] (see 'rollminder roller list')."
        )
    wear = app.roller_wear(roller.id)
    if wear.replace_now:
        click.secho(
            f"Time to replace your roller: {wear.reason}. Dull needles tear rather than "
            "pierce the skin; add a new one with 'rollminder roller add'.",
            fg="yellow",
            bold=True,
        )
    elif wear.nearly_worn:
        days = "" if wear.days_left is None else f", {fmt.plural(wear.days_left, 'day')}"
        click.secho(
            f"Your roller is nearly worn: {fmt.plural(wear.uses_left, 'use')}{days} left.",
            fg="yellow",
        )
    return roller


def _second_today(app: Rollminder, terminal: bool) -> None:
    """Ask before a second session on a day that has one (it counts once): on a terminal a
    question whose default is no; from a pipe a refusal naming --again."""
    first = app.session_today()
    if first is None:
        return
    at = f"{first.local_start(app.plan().tz):%H:%M}"
    if not terminal:
        raise Conflict(
            f"You already rolled today at {at}; a second session counts once: "
            "add --again to roll anyway."
        )
    if not click.confirm(
        f"You already rolled today at {at}. A second session the same day counts once. Roll again?",
        default=False,
    ):
        raise Cancelled("Not started: your skin gets its rest.")


def _warn_state(app: Rollminder) -> None:
    """Say so when the plan says not now (a hold, the rest interval, a pause, a clinic blackout):
    the person decides, and the log will say it too."""
    from rollminder import state as s

    outlook = app.outlook(1)
    match outlook.state:
        case s.Resting(until=until):
            why = "the rest interval"
        case s.Held(until=until, hold=hold):
            why = hold.reason
        case s.Paused(until=until) | s.BlackedOut(until=until):
            why = fmt.state_reason(outlook.state)
        case _:
            return
    click.secho(
        f"Note: your plan says no rolling until {fmt.slot_time(until, outlook.now)} ({why}).",
        fg="yellow",
    )


def _ask_reaction(terminal: bool) -> tuple[str, str]:
    from rollminder.model import REACTIONS

    if terminal:
        reaction = click.prompt(
            "Skin reaction", type=click.Choice(REACTIONS), default="none", show_choices=True
        )
        note = click.prompt("A note (Enter for none)", default="", show_default=False)
        return reaction, note
    line = read_line()
    word = (line or "").strip().lower()
    if word in ("", "n"):
        reaction = "none"
    elif word in REACTIONS:
        reaction = word
    else:
        raise InvalidInput(
            f"The reaction is none, mild, moderate or strong, not {word[:40]!r}: "
            "the session is logged without one."
        )
    note = read_line() or ""
    return reaction, note


@click.command(short_help="A guided session: check, live timer with cues, aftercare, log.")
@click.option("--zones", metavar="ZONES", help="Roll only these zones this time.")
@click.option(
    "--minutes",
    type=fmt.Limited(limits.PLAN_MINUTES, "session length in minutes"),
    metavar="MIN",
    help="Minutes of rolling this time (default: the plan's).",
)
@click.option("--quiet", is_flag=True, help="No bell and no spoken cues.")
@click.option("--no-check", is_flag=True, help="Skip the pre-session check this time.")
@click.option(
    "--again", is_flag=True, help="Roll a second session today without being asked (counts once)."
)
@fmt.areas_option(
    "Where the check's yes applies (a sunburn on the thighs): the routines rolling other areas "
    "go on (default: asked, with several routines)."
)
@fmt.routine_option
@pass_ctx
def start(
    ctx: Context,
    zones: str | None,
    minutes: float | None,
    quiet: bool,
    no_check: bool,
    again: bool,
    areas_text: str | None,
) -> None:
    """A guided session: the safety check, then every zone in every direction on a timer with a
    cue at each step, aftercare, and the session logged with the time really rolled.

    With two routines due (a face roller and a body roller), one after the other, with a prompt
    to switch rollers between them; each is logged to its own routine.

    Keys: space pauses and resumes, n skips to the next step, q quits (and asks whether to log
    what was rolled). Without a terminal it prints one timestamped line per cue.
    """
    from rollminder.guide import build_guide
    from rollminder.model import concerns

    areas = fmt.parse_areas(areas_text)
    ctx.live = True  # the session takes minutes: its log reads the clock as it goes
    apps = _due_routines(ctx)
    if len(apps) > 1 and (zones is not None or minutes is not None):
        raise InvalidInput(
            "Several routines are due: give --zones or --minutes with 'start --routine NAME'."
        )
    first = apps[0]
    guides = [
        build_guide(
            one.plan(), zones=fmt.parse_zones(zones) if zones is not None else None, minutes=minutes
        )
        for one in apps
    ]
    terminal = has_terminal()
    if not again:
        for one in apps:
            _second_today(one, terminal)
    # With a terminal the roller comes first (asked once when there is none); from a pipe a
    # missing roller is added only once the check has passed, so bad input changes nothing.
    roller = _roller(first, terminal) if terminal or first.current_roller() else None
    notes = first.clinician_notes()
    show_notes(notes)
    _warn_state(first)
    if not no_check and first.settings().session_check:
        answers, dates, areas = ask_stop_questions(first, terminal, areas)
        outcome = first.run_check(answers, dates, areas)
        if not outcome.ok:
            report_stop(first, outcome)
            # A sunburn on the thighs stops the thighs: the face goes on (issue 12).
            going = [
                (one, g)
                for one, g in zip(apps, guides, strict=True)
                if areas and not concerns(areas, one.home_plan().zones)
            ]
            if not going:
                raise click.exceptions.Exit(ExitCode.REFUSED)
            apps, guides = [a for a, _ in going], [g for _, g in going]
            click.echo(f"Your {fmt.join([_name(a) for a in apps])} routine goes on.")
    for i, (one, guide) in enumerate(zip(apps, guides, strict=True)):
        if i:
            plan = one.plan()
            click.echo(
                f"Next: {_name(one)}. Switch to your {plan.needle_mm:g} mm roller for your "
                f"{fmt.join(plan.zones)}."
            )
            if terminal:
                click.prompt(
                    "  Press Enter when it is in your hand", default="", show_default=False
                )
            _warn_state(one)
        if one is not first:  # its own roller (asked for on a terminal when there is none)
            roller = _roller(one, terminal) if terminal or one.current_roller() else None
        if not terminal and roller is None:
            roller = _roller(one, terminal)
        completed = _session(ctx, one, guide, roller, terminal, quiet, tuple(notes))
        if not completed and i + 1 < len(apps):
            rest = fmt.join([_name(a) for a in apps[i + 1 :]])
            click.echo(f"Stopped before {rest}: start it when you are ready.")
            return


def _name(app: Rollminder) -> str:
    routine = app.routine()
    return routine.name if routine is not None else "your"


def _due_routines(ctx: Context) -> list[Rollminder]:
    """The routines ``start`` runs: the one named by --routine, else those due now (one after
    the other, the first routine first), else the only or first one (as before routines)."""
    app = ctx.app
    if ctx.routine is not None or not app.several_routines():
        return [app]
    from rollminder.state import Due

    due = [one for r, one in app.each_routine() if isinstance(one.outlook(1).state, Due)]
    return due or [app]


def _session(
    ctx: Context,
    app: Rollminder,
    guide: Guide,
    roller: Roller | None,
    terminal: bool,
    quiet: bool,
    notes: tuple[str, ...],
) -> bool:
    """One routine's guided session, logged to it; True when it was rolled to the end."""
    from rollminder.service import rolled_zones
    from rollminder.term.keys import Terminated, terminate_as_exception
    from rollminder.term.runner import Run

    run = Run(guide, ctx.env.monotonic)
    started: list[dt.datetime] = []
    run.on_start = lambda: started.append(app.now())
    interrupted: str | None = None
    exit_code = [int(ExitCode.TERMINATED)]  # 128 + the signal's number (SIGHUP 129)
    with terminate_as_exception():
        try:
            if terminal:
                result = _live(run, quiet, notes)
            else:
                result = run.lines(sys.stdout, lambda: app.local_now().isoformat("T", "seconds"))
        except KeyboardInterrupt:
            interrupted, result = "interrupted", run.stop()
        except Terminated as signalled:
            interrupted, result = "terminated", run.stop()
            exit_code[0] = ExitCode.signalled(signalled.signum)
        except Exception:
            # Something broke mid-session (the terminal went away, a drawing error): the
            # terminal is already restored; keep what was rolled, then let main() report it.
            _keep_quietly(app, guide, run.stop(), started, roller)
            raise

        if interrupted:
            click.echo()
        if result.rolled <= 0 or not started:
            click.echo("Nothing was rolled: nothing logged.")
            _exit_for(interrupted, exit_code[0])
            return False
        rolled = _duration(result.rolled)
        if not result.completed and interrupted != "terminated" and terminal:
            try:
                # A partial session counts neither as kept nor as missed; logging it is a choice.
                keep = click.confirm(f"Log the partial session ({rolled} rolled)?", default=False)
            except (KeyboardInterrupt, EOFError, click.Abort):
                click.echo("\nLogging it anyway: a partial session is never lost.")
                keep = True
            if not keep:
                click.echo("Not logged.")
                _exit_for(interrupted, exit_code[0])
                return False
        logged = app.log_guided(
            started=started[0],
            rolled_seconds=result.rolled,
            zones=rolled_zones(guide, result.rolled_by_step),
            roller_id=roller.id if roller else None,
        )
        assert logged is not None
        _aftercare(guide, terminal)
        what = "Logged" if result.completed else "Logged the partial session"
        click.echo(
            f"{what}: {rolled} rolled ({fmt.join(logged.session.zones)}) "
            f"[{fmt.short_id(logged.session.id)}]."
        )
        if roller is not None:
            wear = app.roller_wear(roller.id)
            click.echo(
                f"Roller: {fmt.plural(wear.uses, 'use')}, {fmt.plural(wear.uses_left, 'use')} left."
            )
        for warning in logged.warnings:
            click.secho(f"Note: {warning}", fg="yellow")
        if interrupted:
            _exit_for(interrupted, exit_code[0])
            return False
        reaction, note = _ask_reaction(terminal)
        app.record_reaction(logged.session.id, reaction, note)
        if reaction in ("moderate", "strong"):
            click.secho(
                "A strong reaction is a reason to rest longer and to ask a dermatologist.",
                fg="yellow",
            )
        return bool(result.completed)


def _keep_quietly(
    app: Rollminder,
    guide: Guide,
    result: Outcome,
    started: list[dt.datetime],
    roller: Roller | None,
) -> None:
    from rollminder.service import rolled_zones

    if result.rolled <= 0 or not started:
        return
    try:
        logged = app.log_guided(
            started=started[0],
            rolled_seconds=result.rolled,
            zones=rolled_zones(guide, result.rolled_by_step),
            roller_id=roller.id if roller else None,
        )
    except RollminderError:
        return
    if logged is not None:
        click.echo(f"Logged the partial session: {_duration(result.rolled)} rolled.", err=True)


def _duration(seconds: float) -> str:
    """'3 min', '1 min 12 s', '45 s'."""
    minutes, secs = divmod(round(seconds), 60)
    if not minutes:
        return f"{secs} s"
    return f"{minutes} min" + (f" {secs} s" if secs else "")


def _exit_for(interrupted: str | None, code: int) -> None:
    if interrupted == "interrupted":
        raise click.exceptions.Exit(ExitCode.INTERRUPTED)
    if interrupted == "terminated":
        raise click.exceptions.Exit(code)


def _live(run: Run, quiet: bool, notes: tuple[str, ...]) -> Outcome:
    from rich.console import Console

    from rollminder.term.cues import Cues
    from rollminder.term.keys import cbreak, read_key

    fd = sys.stdin.fileno()
    console = Console()
    cues = Cues(sys.stdout, quiet=quiet)
    try:
        with cbreak(fd, stopping=run.note_stop):
            return run.live(console, fd, cues, notes=notes, read_key=read_key)
    finally:
        cues.close()


def _aftercare(guide: Guide, terminal: bool) -> None:
    step = guide.steps[-1]
    if terminal:
        from rich.console import Console

        from rollminder.term.screen import text_view

        Console().print(text_view(step, "Aftercare: take care of your skin today."))
    else:
        for line in step.lines:
            click.echo(f"  {line}")
