"""check and start: the pre-session check and the guided session in the terminal.

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
from rollminder.errors import ExitCode, InvalidInput, RollminderError
from rollminder.limits import EARLIER_USES

if TYPE_CHECKING:
    from rollminder.guide import Guide
    from rollminder.model import Roller
    from rollminder.rules import CheckQuestion
    from rollminder.service import CheckOutcome, Rollminder
    from rollminder.term.runner import Outcome, Run

YES = ("y", "yes")
NO = ("n", "no")


def _has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _read_line() -> str | None:
    """One line of standard input without its end, or None at the end of input."""
    line = sys.stdin.readline()
    return None if line == "" else line.rstrip("\r\n")


def _treatment_time(app: Rollminder, text: str) -> dt.datetime:
    """When a retinoid or peel was used; a day alone counts from its last minute (safe side)."""
    from rollminder.timeparse import parse_when

    return parse_when(
        text, now=app.now(), tz=app.zone(), prefer="past", default_time=dt.time(23, 59)
    )


# ------------------------------------------------------------------ the questions


def ask_stop_questions(
    app: Rollminder, terminal: bool
) -> tuple[dict[str, bool], dict[str, dt.datetime]]:
    """The stop questions, until the first yes. From a pipe: one 'y' or 'n' line each; a dated
    question takes 'y DATE' ('y 2026-11-24 21:00', 'y yesterday')."""
    from rollminder.rules import STOP_QUESTIONS

    answers: dict[str, bool] = {}
    dates: dict[str, dt.datetime] = {}
    if terminal:
        click.echo("Before you roll (a yes to any of these means: not today):")
    for question in STOP_QUESTIONS:
        if terminal:
            yes = click.confirm(f"  {question.text}", default=False)
            if yes and question.asks_date:
                when = _ask_when(app, question)
                if when is not None:
                    dates[question.key] = when
        else:
            click.echo(f"Check: {question.text} [y/n]")
            yes, when = _pipe_answer(app, question)
            if when is not None:
                dates[question.key] = when
        answers[question.key] = yes
        if yes:
            break
    return answers, dates


def _ask_when(app: Rollminder, question: CheckQuestion) -> dt.datetime | None:
    while True:
        text = click.prompt(
            "  When? (e.g. 'yesterday 22:00'; Enter if you are not sure: we count from now)",
            default="",
            show_default=False,
        )
        if not text.strip():
            return None
        try:
            return _treatment_time(app, text)
        except RollminderError as exc:
            click.secho(f"  {exc.message}", fg="red", err=True)


def _pipe_answer(app: Rollminder, question: CheckQuestion) -> tuple[bool, dt.datetime | None]:
    line = _read_line()
    if line is None:
        raise InvalidInput(
            f"No answer to the check question {question.key!r} on standard input (y or n): "
            "nothing was changed."
        )
    word, _, rest = line.strip().partition(" ")
    word = word.lower()
    if word in NO and not rest:
        return False, None
    if word in YES:
        if rest.strip() and question.asks_date:
            return True, _treatment_time(app, rest.strip())
        if rest.strip():
            raise InvalidInput(f"Answer {question.key!r} with y or n, not {line[:40]!r}.")
        return True, None
    raise InvalidInput(
        f"Answer the check question {question.key!r} with y or n, not {line[:40]!r}: "
        "nothing was changed."
    )


def report_stop(app: Rollminder, outcome: CheckOutcome) -> None:
    from rollminder.rules import stop_question

    assert outcome.stopped_by is not None
    question = stop_question(outcome.stopped_by)
    now = app.local_now()
    click.secho(f"Don't roll today: {question.reason}.", fg="yellow", bold=True)
    if outcome.skip is not None:
        slot = outcome.skip.slot.astimezone(now.tzinfo)
        click.echo(f"Skipped the session of {fmt.slot_time(slot, now)}. Nothing was logged.")
    else:
        click.echo("Nothing was logged.")
    if outcome.hold_until is not None:
        click.echo(f"No rolling until {fmt.slot_time(outcome.hold_until, now)}.")
    if outcome.next_slot is not None:
        kind = " (catch-up)" if outcome.next_slot.kind == "catch-up" else ""
        click.echo(f"Next session: {fmt.slot_time(outcome.next_slot.start, now)}{kind}.")
    else:
        click.echo("No session can be scheduled yet.")


def show_notes(notes: list[str]) -> None:
    for note in notes:
        click.secho(f"Note: {note}", fg="yellow")


def ask_clinician_questions(app: Rollminder) -> None:
    """The "ask a clinician first" questions (a terminal is needed); yes answers are kept as
    standing notes."""
    from rollminder.rules import CLINICIAN_QUESTIONS

    click.echo("Ask a clinician first if any of these apply (a yes is kept as a note):")
    current = app.clinician_answers()
    answers = {
        q.key: click.confirm(f"  {q.text}", default=current.get(q.key, False))
        for q in CLINICIAN_QUESTIONS
    }
    app.set_clinician_answers(answers)
    notes = app.clinician_notes()
    if notes:
        show_notes(notes)
    else:
        click.echo("No notes: nothing to ask a clinician about from these questions.")


# ------------------------------------------------------------------ check


@click.command(short_help="The pre-session safety check ('--clinician': the standing questions).")
@click.option(
    "--clinician",
    is_flag=True,
    help="Answer the 'ask a clinician first' questions (kept as standing notes).",
)
@click.option("--holds", "show_holds", is_flag=True, help="List the holds not over yet.")
@click.option("--lift", metavar="ID", help="Remove a hold (a date given by mistake).")
@pass_ctx
def check(ctx: Context, clinician: bool, show_holds: bool, lift: str | None) -> None:
    """The "don't roll today" questions. A yes skips today's session with the reason and
    reschedules; a retinoid, peel, Botox or filler date holds rolling off until its interval has
    passed. Exit status 0: roll when ready; 1: not today.

    From a pipe, answer one 'y' or 'n' line per question ('y 2026-11-24 21:00' gives a date).
    """

    app = ctx.app
    if lift is not None:
        hold = app.lift_hold(lift)
        click.echo(f"Lifted the hold ({hold.reason}) [{fmt.short_id(hold.id)}].")
        return
    if show_holds:
        now = app.local_now()
        holds = app.holds()
        if not holds:
            click.echo("No holds: nothing keeps you from rolling but your plan.")
        for h in holds:
            click.echo(
                f"{fmt.short_id(h.id)}  until {fmt.slot_time(h.until.astimezone(now.tzinfo), now)}"
                f"  {h.reason}"
            )
        return
    if clinician:
        if not _has_terminal():
            raise InvalidInput("'check --clinician' needs a terminal to ask its questions.")
        ask_clinician_questions(app)
        return
    app.plan()
    answers, dates = ask_stop_questions(app, _has_terminal())
    outcome = app.run_check(answers, dates)
    if outcome.ok:
        click.echo("All clear: roll when ready ('rollminder start --no-check').")
        return
    report_stop(app, outcome)
    raise click.exceptions.Exit(ExitCode.REFUSED)


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
    line = _read_line()
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
    note = _read_line() or ""
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
@pass_ctx
def start(
    ctx: Context, zones: str | None, minutes: float | None, quiet: bool, no_check: bool
) -> None:
    """A guided session: the safety check, then every zone in every direction on a timer with a
    cue at each step, aftercare, and the session logged with the time really rolled.

    Keys: space pauses and resumes, n skips to the next step, q quits (and asks whether to log
    what was rolled). Without a terminal it prints one timestamped line per cue.
    """
    from rollminder.guide import build_guide
    from rollminder.service import rolled_zones

    ctx.live = True  # the session takes minutes: its log reads the clock as it goes
    app = ctx.app
    plan = app.plan()
    guide = build_guide(
        plan, zones=fmt.parse_zones(zones) if zones is not None else None, minutes=minutes
    )
    terminal = _has_terminal()
    # With a terminal the roller comes first (asked once when there is none); from a pipe a
    # missing roller is added only once the check has passed, so bad input changes nothing.
    roller = _roller(app, terminal) if terminal or app.current_roller() else None
    notes = app.clinician_notes()
    show_notes(notes)
    _warn_state(app)
    if not no_check and app.settings().session_check:
        answers, dates = ask_stop_questions(app, terminal)
        outcome = app.run_check(answers, dates)
        if not outcome.ok:
            report_stop(app, outcome)
            raise click.exceptions.Exit(ExitCode.REFUSED)
    if not terminal and roller is None:
        roller = _roller(app, terminal)

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
                result = _live(run, quiet, tuple(notes))
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
            return
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
                return
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
            return
        reaction, note = _ask_reaction(terminal)
        app.record_reaction(logged.session.id, reaction, note)
        if reaction in ("moderate", "strong"):
            click.secho(
                "A strong reaction is a reason to rest longer and to ask a dermatologist.",
                fg="yellow",
            )


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
