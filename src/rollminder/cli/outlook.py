"""next and status: the state now and the coming slots (of every routine when there are
several)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx
from rollminder.cli.travel import echo_travel_note

if TYPE_CHECKING:
    from rollminder.state import State


def _last_day(until: dt.datetime) -> dt.date:
    """A pause or blackout 'until' midnight ends the day before: that is the day people name."""
    return (until - dt.timedelta(seconds=1)).date()


def _state_line(state: State, now: dt.datetime) -> str:
    """The state now in one sentence (the CLI's words for :mod:`rollminder.state`)."""
    from rollminder import state as s

    today = now.date()
    match state:
        case s.Due():
            return "Due now: it's time to roll."
        case s.Paused(pause=pause, until=until):
            through = fmt.day_text(_last_day(until), today)
            why = fmt.oneline(pause.reason)
            return f"Paused through {through}: {why}." if why else f"Paused through {through}."
        case s.BlackedOut(visit=visit, until=until):
            through = fmt.day_text(_last_day(until), today)
            where = f" at {fmt.oneline(visit.clinic)}" if visit.clinic else ""
            on = fmt.day_text(visit.at.astimezone(now.tzinfo).date(), today)
            return f"No home rolling through {through}: clinic visit{where} on {on}."
        case s.Held(hold=hold, until=until):
            return f"No rolling until {fmt.slot_time(until, now)}: {hold.reason}."
        case s.Resting(until=until):
            return f"Resting until {fmt.slot_time(until, now)}."
        case s.Unschedulable():
            return "Nothing can be scheduled in the next five years (check your pauses)."
        case s.Waiting(next=slot):
            return (
                f"Next session in {fmt.countdown(slot.start - now)}: "
                f"{fmt.slot_time(slot.start, now)}."
            )


def _slot_line(slot: Any, now: dt.datetime) -> str:
    """'Tue 1 Dec 21:00', with '(catch-up)' and '(due now)' where they apply."""
    marks = [m for m, on in (("catch-up", slot.kind == "catch-up"), ("due now", slot.due)) if on]
    return fmt.slot_time(slot.start, now) + (f" ({', '.join(marks)})" if marks else "")


@click.command("next", short_help="Your next sessions and the state now.")
@click.option(
    "--count",
    "-n",
    type=fmt.Limited(limits.COUNT, "number of slots"),
    metavar="N",
    default=3,
    help="How many sessions to show, 1 to 100 (default 3).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="A JSON array of {start, kind, due, routine}: start in ISO 8601 with the offset; kind "
    "'planned' or 'catch-up'; routine the routine's name.",
)
@fmt.routine_option
@pass_ctx
def next_(ctx: Context, count: int, as_json: bool) -> None:
    """Your next sessions, and the state now (due, resting, paused, clinic blackout); with
    several routines, each one's, or only --routine NAME's."""
    if ctx.routine is None and ctx.app.several_routines():
        _next_of_every_routine(ctx, count, as_json)
        return
    outlook = ctx.app.outlook(count)
    if as_json:
        routine = ctx.app.routine()
        name = routine.name if routine is not None else None
        fmt.echo_json([{**fmt.slot_json(s), "routine": name} for s in outlook.slots])
        return
    now = outlook.now
    fmt.echo(_state_line(outlook.state, now))
    for s in outlook.slots:
        fmt.echo(f"  {_slot_line(s, now)}")
    if not outlook.slots:
        fmt.echo("  No sessions ahead.")
    echo_travel_note(ctx.app)
    if not ctx.app.reachable():
        fmt.echo(fmt.UNREACHABLE, err=True)
    for note in ctx.app.clinician_notes():
        fmt.secho(f"Note: {note}", fg="yellow")


def _next_of_every_routine(ctx: Context, count: int, as_json: bool) -> None:
    """``next`` with several routines: each routine's state and slots, under its name; the JSON
    is every routine's slots, by time, each with its routine."""
    found = [(r, app.outlook(count)) for r, app in ctx.app.each_routine()]
    if as_json:
        rows = [
            (s.start, {**fmt.slot_json(s), "routine": r.name if r else None})
            for r, outlook in found
            for s in outlook.slots
        ]
        rows.sort(key=lambda row: row[0])
        fmt.echo_json([row for _, row in rows])
        return
    for r, outlook in found:
        now = outlook.now
        fmt.echo(f"{r.name if r else ''}: {_state_line(outlook.state, now)}")
        for s in outlook.slots:
            fmt.echo(f"  {_slot_line(s, now)}")
        if not outlook.slots:
            fmt.echo("  No sessions ahead.")
    echo_travel_note(ctx.app)
    if not ctx.app.reachable():
        fmt.echo(fmt.UNREACHABLE, err=True)
    for note in ctx.app.clinician_notes():
        fmt.secho(f"Note: {note}", fg="yellow")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """The state now, in one line."""
    outlook = ctx.app.outlook(1)
    state, now = outlook.state, outlook.now
    if as_json:
        fmt.echo_json(fmt.status_json(state))
        return
    line = _state_line(state, now)
    if state.next and state.name not in ("due", "waiting"):
        line += f" Next: {_slot_line(state.next, now)}."
    fmt.echo(line)
