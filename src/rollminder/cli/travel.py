"""`rollminder travel`: slots and reminders follow the zone you are in, then return."""

from __future__ import annotations

from typing import Any

import click

from rollminder.cli import Context, fmt, pass_ctx

_HELP_ZONE = "Where you are: a city (New York, Tokyo) or an IANA zone (America/New_York)."


def _describe(ctx: Context, travel: Any) -> str:
    from rollminder.zonenames import city

    today = ctx.app.local_now().date()
    until = f" through {fmt.day_text(travel.until, today)}" if travel.until else ""
    return (
        f"Travelling: your sessions and reminders follow {city(travel.tz)} time{until} "
        f"(at {ctx.app.plan().time:%H:%M} there). Back home: 'rollminder travel end'."
    )


def echo_travel_note(app: Any) -> None:
    """One line for `next` and `plan` while a travel is on."""
    from rollminder.zonenames import city

    current = app.travel()
    if current is not None:
        today = app.local_now().date()
        until = f" through {fmt.day_text(current.until, today)}" if current.until else ""
        fmt.echo(
            f"Travelling{until}: times are {city(current.tz)}'s "
            "('rollminder travel end' when back)."
        )


@click.group(invoke_without_command=True, short_help="Travelling: follow the zone you are in.")
@click.option("--tz", "zone", type=fmt.Zone(), metavar="ZONE", help=_HELP_ZONE)
@click.option(
    "--until",
    metavar="DATE",
    help="Your last day there (included), e.g. 2026-12-20 or 'fri'; without it, until "
    "'travel end'.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the travel as JSON.")
@click.pass_context
def travel(cctx: click.Context, zone: str | None, until: str | None, as_json: bool) -> None:
    """Follow the zone you are in while away: your slots and reminders come at your plan's time
    there, sessions keep the zone they were done in, rest still counts in days.

    'travel --tz ZONE' starts (or changes) a travel, 'travel end' ends it, 'travel' alone says
    whether one is on.
    """
    if cctx.invoked_subcommand is not None:
        if zone or until or as_json:
            raise click.UsageError("Give --tz, --until or --json to 'travel' itself, not to 'end'.")
        return
    ctx: Context = cctx.obj
    app = ctx.app
    if zone is None and until is not None:
        raise click.UsageError("Give the zone too: --tz ZONE --until DATE.")
    if zone is not None:
        from zoneinfo import ZoneInfo

        from rollminder.timeparse import parse_date

        last = None
        if until is not None:
            today = app.now().astimezone(ZoneInfo(zone)).date()
            last = parse_date(until, today=today, prefer="future")
        started = app.start_travel(zone, last)
        if started.tz == started.home:
            fmt.echo("That is your plan's own zone: no travel is on.")
            return
    current = app.travel() if app.has_plan() else None
    if as_json:
        fmt.echo_json(
            None
            if current is None
            else {
                "tz": current.tz,
                "until": current.until.isoformat() if current.until else None,
                "home": current.home,
            }
        )
        return
    app.plan()  # no plan: say how to make one
    if current is None:
        fmt.echo("No travel is on: your sessions follow your plan's zone.")
        return
    fmt.echo(_describe(ctx, current))


@travel.command("end", short_help="Back home: follow your plan's zone again.")
@pass_ctx
def travel_end(ctx: Context) -> None:
    """Back home: slots and reminders follow your plan's own zone again."""
    from rollminder.zonenames import city

    app = ctx.app
    app.plan()
    ended = app.end_travel()
    home = city(app.home_plan().tz)
    if ended is None:
        fmt.echo(f"No travel was on: your sessions follow {home} time.")
    else:
        fmt.echo(f"Welcome back: your sessions and reminders follow {home} time again.")
