"""check: the pre-session safety check in the terminal, and its questions (which ``start`` and
``setup`` ask too). Without a terminal the answers are read from standard input, one per line."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import click

from rollminder.cli import Context, fmt, pass_ctx
from rollminder.errors import ExitCode, InvalidInput, RollminderError

if TYPE_CHECKING:
    from rollminder.rules import CheckQuestion
    from rollminder.service import CheckOutcome, Rollminder

YES = ("y", "yes")
NO = ("n", "no")


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def read_line() -> str | None:
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


#: The stop questions that ask where (issue 12): a sunburn on the thighs does not stop the face.
ASKS_WHERE = ("sun",)


def ask_where(app: Rollminder, terminal: bool) -> tuple[str, ...] | None:
    """Where a sunburn is, with several routines (None: one routine, nothing to ask). On a
    terminal a question (Enter: everywhere); from a pipe the next line (empty: everywhere)."""
    if not app.several_routines():
        return None
    prompt = "Where? Areas such as face or thighs (Enter: everywhere)"
    while True:
        if terminal:
            text = click.prompt(f"  {prompt}", default="", show_default=False)
        else:
            click.echo(f"Check: {prompt}")
            line = read_line()
            if line is None:
                raise InvalidInput(
                    "No answer to 'where?' on standard input (areas, or an empty line for "
                    "everywhere): nothing was changed."
                )
            text = line
        if not text.strip():
            return ()
        try:
            return fmt.parse_areas(text) or ()
        except RollminderError as exc:
            if not terminal:
                raise
            click.secho(f"  {exc.message}", fg="red", err=True)


def ask_stop_questions(
    app: Rollminder, terminal: bool, areas: tuple[str, ...] | None = None
) -> tuple[dict[str, bool], dict[str, dt.datetime], tuple[str, ...] | None]:
    """The stop questions, until the first yes, and where (a sunburn, with several routines,
    unless ``areas`` says). From a pipe: one 'y' or 'n' line each; a dated question takes
    'y DATE' ('y 2026-11-24 21:00', 'y yesterday'); where is one more line."""
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
            if areas is None and question.key in ASKS_WHERE:
                areas = ask_where(app, terminal)
            break
    return answers, dates, areas


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
    line = read_line()
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
@fmt.areas_option(
    "Where a yes applies, e.g. thighs (with several routines: the others go on; "
    "default: asked for a sunburn, else everywhere)."
)
@pass_ctx
def check(
    ctx: Context, clinician: bool, show_holds: bool, lift: str | None, areas_text: str | None
) -> None:
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
                f"  {h.reason}" + (f" ({', '.join(h.areas)})" if h.areas else "")
            )
        return
    if clinician:
        if not has_terminal():
            raise InvalidInput("'check --clinician' needs a terminal to ask its questions.")
        ask_clinician_questions(app)
        return
    areas = fmt.parse_areas(areas_text)
    app.plan()
    answers, dates, areas = ask_stop_questions(app, has_terminal(), areas)
    outcome = app.run_check(answers, dates, areas)
    if outcome.ok:
        click.echo("All clear: roll when ready ('rollminder start --no-check').")
        return
    report_stop(app, outcome)
    raise click.exceptions.Exit(ExitCode.REFUSED)
