"""setup, plan, next, status."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from rollminder.cli import Context, fmt, pass_ctx
from rollminder.errors import InvalidInput, RollminderError
from rollminder.model import WEEKDAYS, ZONES


def local_zone_name() -> str:
    """The system's IANA zone: $TZ, then /etc/localtime's target, then UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and "/" in tz and not tz.startswith("/"):
        return tz
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
        name = Path("/etc/timezone").read_text(encoding="utf-8").strip()
        if name:
            return name
    except OSError:
        pass
    return "UTC"


def plan_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The plan's options, shared by `setup` and `plan set`."""
    options = [
        click.option("--needle", type=float, help="Needle length in mm (0.25, 0.5, 0.75)."),
        click.option(
            "--per-week",
            "sessions",
            type=int,
            help="Sessions per week (per period with --every-weeks).",
        ),
        click.option("--every-weeks", type=int, help="Period in weeks (0.75 mm: 3)."),
        click.option("--days", help="Preferred days, e.g. mon,thu."),
        click.option("--time", "clock", help="Local time of the sessions, e.g. 21:00."),
        click.option("--tz", help="IANA time zone, e.g. Europe/Berlin."),
        click.option("--minutes", type=float, help="Session length in minutes (about 3)."),
        click.option("--zones", help=f"Zones: face or {', '.join(ZONES)}."),
        click.option(
            "--directions",
            help="vertical, horizontal, diagonal-up-right, diagonal-up-left, or all.",
        ),
        click.option("--passes", type=int, help="Passes per direction (about 5)."),
        click.option("--rest", help="Minimum rest from the last session, e.g. 48h or 7d."),
        click.option(
            "--blackout-before",
            type=int,
            help="Days without home rolling before a clinic visit (default 7).",
        ),
        click.option(
            "--blackout-after",
            type=int,
            help="Days without home rolling after a clinic visit (default 14).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def plan_choices(**opts: Any) -> dict[str, Any]:
    """Turn the options people typed into plan fields (None = not given)."""
    out: dict[str, Any] = {
        "needle_mm": opts.get("needle"),
        "sessions": opts.get("sessions"),
        "every_weeks": opts.get("every_weeks"),
        "minutes": opts.get("minutes"),
        "passes": opts.get("passes"),
        "tz": opts.get("tz"),
        "blackout_before_days": opts.get("blackout_before"),
        "blackout_after_days": opts.get("blackout_after"),
    }
    if opts.get("days") is not None:
        out["weekdays"] = fmt.parse_days(opts["days"])
    if opts.get("clock") is not None:
        out["time"] = fmt.parse_clock(opts["clock"])
    if opts.get("zones") is not None:
        out["zones"] = fmt.parse_zones(opts["zones"])
    if opts.get("directions") is not None:
        out["directions"] = fmt.parse_directions(opts["directions"])
    if opts.get("rest") is not None:
        out["rest_hours"] = fmt.parse_rest(opts["rest"])
    return {k: v for k, v in out.items() if v is not None}


def describe_plan(plan: Any, now: dt.datetime | None = None) -> None:
    from rollminder.rules import period_phrase, plan_warning

    days = ", ".join(WEEKDAYS[d].capitalize() for d in plan.weekdays)
    click.echo(f"Needle     {plan.needle_mm:g} mm")
    click.echo(
        f"Routine    {period_phrase(plan.sessions, plan.every_weeks)}, on {days} "
        f"at {plan.time:%H:%M} ({plan.tz})"
    )
    click.echo(
        f"Session    about {plan.minutes:g} min: {fmt.join(plan.zones)}; "
        f"{fmt.plural(plan.passes, 'pass')} x {fmt.join(plan.directions)}".replace(
            "passs", "passes"
        )
    )
    rest = plan.rest_hours
    click.echo(
        f"Rest       at least {rest // 24} days" if rest % 24 == 0 else f"Rest       {rest} h"
    )
    click.echo(
        f"Clinic     no home rolling {plan.blackout_before_days} days before to "
        f"{plan.blackout_after_days} days after a visit"
    )
    click.echo(f"Since      {plan.start:%a %Y-%m-%d}")
    warning = plan_warning(plan)
    if warning:
        click.secho(f"Note: {warning}", fg="yellow")


def show_preview(ctx: Context, plan: Any) -> None:
    slots = ctx.app.preview(plan, 4)
    now = ctx.app.local_now()
    click.echo("Next sessions: " + ", ".join(fmt.slot_time(s.start, now) for s in slots))


# ------------------------------------------------------------------ setup


def _ask(prompt: str, default: str, parse: Callable[[str], Any]) -> Any:
    """Ask until the answer parses; the error is shown in one line."""
    while True:
        text = click.prompt(prompt, default=default, show_default=True)
        try:
            return parse(text)
        except RollminderError as exc:
            click.secho(f"  {exc.message}", fg="red", err=True)


def _count(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 7:
        raise InvalidInput("Type a number from 1 to 7.")
    return int(text)


def _wizard(ctx: Context, given: dict[str, Any]) -> dict[str, Any]:
    from rollminder.rules import (
        NEEDLE_TABLE,
        NO_HOME_PLAN_REASON,
        make_plan,
        needle_rule,
        period_phrase,
    )

    def check_plan(**partial: Any) -> None:
        """Refuse an answer as soon as the plan so far breaks a rule (asked again)."""
        make_plan(start=ctx.app.local_now().date(), **partial)

    click.echo("Needle lengths and what rollminder plans for them:")
    for rule in NEEDLE_TABLE:
        click.echo(
            f"  {rule.label:13s} {period_phrase(rule.sessions, rule.every_weeks)}, "
            f"at least {rule.rest_hours // 24} days apart"
        )
    click.echo(f"  1.0 mm +      {NO_HOME_PLAN_REASON.split(':')[0]}.")

    def needle(text: str) -> float:
        try:
            value = float(text.replace("mm", "").strip())
        except ValueError:
            raise InvalidInput("Type the needle length in mm, e.g. 0.25.") from None
        needle_rule(value)
        return value

    choices = dict(given)
    if "needle_mm" not in choices:
        choices["needle_mm"] = _ask("Needle length (mm)", "0.25", needle)
    rule = needle_rule(choices["needle_mm"])
    if "sessions" not in choices and "every_weeks" not in choices:
        if rule.every_weeks == 1:
            choices["sessions"] = _ask("Sessions a week", str(rule.sessions), _count)
        else:
            choices["sessions"], choices["every_weeks"] = 1, rule.every_weeks
    if "weekdays" not in choices:
        from rollminder.rules import default_weekdays

        default = default_weekdays(
            choices.get("sessions", rule.sessions), choices.get("every_weeks", rule.every_weeks)
        )

        def days(text: str) -> tuple[int, ...]:
            weekdays = fmt.parse_days(text)
            check_plan(**{**choices, "weekdays": weekdays})
            return weekdays

        choices["weekdays"] = _ask("Which days", ",".join(WEEKDAYS[d] for d in default), days)
    if "time" not in choices:
        choices["time"] = _ask("At what time", "21:00", fmt.parse_clock)
    if "tz" not in choices:
        from rollminder.rules import check_zone

        choices["tz"] = _ask(
            "Time zone", local_zone_name(), lambda t: check_zone(t.strip()) and t.strip()
        )
    if "zones" not in choices:
        choices["zones"] = _ask(
            "Zones (face, forehead, cheeks, chin, neck, chest, spots)",
            "forehead,cheeks,chin",
            fmt.parse_zones,
        )
    return choices


@click.command()
@plan_options
@click.option("--yes", "-y", is_flag=True, help="Don't ask: use the options and defaults.")
@pass_ctx
def setup(ctx: Context, /, yes: bool, **opts: Any) -> None:
    """Create your plan (a short wizard, or all at once with options and --yes)."""
    from rollminder.rules import NOT_MEDICAL_ADVICE

    app = ctx.app
    choices = plan_choices(**opts)
    interactive = not yes and sys.stdin.isatty()
    if not yes and not interactive:
        raise InvalidInput("setup needs a terminal to ask its questions, or --yes with options.")
    click.secho(NOT_MEDICAL_ADVICE, fg="yellow")
    if (
        app.has_plan()
        and interactive
        and not click.confirm("You already have a plan. Replace its settings?", default=False)
    ):
        raise click.Abort
    if interactive:
        choices = _wizard(ctx, choices)
    else:
        choices.setdefault("needle_mm", 0.25)
        choices.setdefault("tz", local_zone_name())
    plan = app.set_plan(**choices)
    click.echo()
    describe_plan(plan)
    show_preview(ctx, plan)
    click.echo("Log a session with 'rollminder done'; see what's next with 'rollminder next'.")


# ------------------------------------------------------------------ plan


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.pass_context
def plan(cctx: click.Context, as_json: bool) -> None:
    """Show your plan; 'plan set' changes it."""
    if cctx.invoked_subcommand is not None:
        return
    ctx: Context = cctx.obj
    current = ctx.app.plan()
    if as_json:
        fmt.echo_json(fmt.plan_json(current))
    else:
        describe_plan(current)


@plan.command("set")
@plan_options
@pass_ctx
def plan_set(ctx: Context, /, **opts: Any) -> None:
    """Change your plan: only the options you give change (new needle, new defaults)."""
    choices = plan_choices(**opts)
    if not choices:
        raise InvalidInput("Nothing to change: give at least one option (see --help).")
    ctx.app.plan()  # a plan must exist
    updated = ctx.app.set_plan(**choices)
    describe_plan(updated)
    show_preview(ctx, updated)


# ------------------------------------------------------------------ next and status


def _state_line(status: Any, now: dt.datetime) -> str:
    until = fmt.slot_time(status.until, now) if status.until else ""
    if status.state == "due":
        return "Due now: it's time to roll."
    if status.state == "paused":
        return f"Paused until {until} ({status.reason})."
    if status.state == "blackout":
        return f"No home rolling until {until}: {status.reason}."
    if status.state == "resting":
        return f"Resting until {until}."
    if status.state == "none":
        return "Nothing can be scheduled in the next five years (check your pauses)."
    if status.next is not None:
        return (
            f"Next session in {fmt.countdown(status.next.start - now)}: "
            f"{fmt.slot_time(status.next.start, now)}."
        )
    return "On track."


@click.command("next")
@click.option(
    "--count",
    "-n",
    type=click.IntRange(1, 100),
    default=3,
    show_default=True,
    help="How many slots to show.",
)
@click.option("--json", "as_json", is_flag=True, help="A JSON array of {start, kind, due}.")
@pass_ctx
def next_(ctx: Context, count: int, as_json: bool) -> None:
    """Your next sessions, and the state now (due, resting, paused, clinic blackout)."""
    status, slots = ctx.app.next(count)
    if as_json:
        fmt.echo_json([fmt.slot_json(s) for s in slots])
        return
    now = ctx.app.local_now()
    click.echo(_state_line(status, now))
    for s in slots:
        mark = " (due now)" if s.due else ""
        kind = " catch-up" if s.kind == "catch-up" else ""
        click.echo(f"  {fmt.slot_time(s.start, now)}{kind}{mark}")
    if not slots:
        click.echo("  No sessions ahead.")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """The state now, in one line."""
    state, _ = ctx.app.next(1)
    if as_json:
        fmt.echo_json(fmt.status_json(state))
        return
    now = ctx.app.local_now()
    line = _state_line(state, now)
    if state.next and state.state not in ("due", "waiting"):
        line += f" Next: {fmt.slot_time(state.next.start, now)}."
    click.echo(line)
