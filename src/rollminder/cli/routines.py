"""``rollminder routine``: a face roller and a body roller, each with its own plan (issue 12)."""

from __future__ import annotations

import sys

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx
from rollminder.errors import InvalidInput


@click.group(short_help="Your routines: a face roller and a body roller, each with its plan.")
def routine() -> None:
    """Your routines: each one is some areas with its own roller, needle and plan (a face roller
    twice a week, a body roller once a week). Most people have one."""


@routine.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of {name, id, areas, ...}.")
@pass_ctx
def list_(ctx: Context, as_json: bool) -> None:
    """Every routine with its areas, needle and sessions a week."""
    found = ctx.app.routines()
    if as_json:
        fmt.echo_json(
            [
                {
                    "name": info.routine.name,
                    "id": info.routine.id,
                    "areas": list(info.plan.zones) if info.plan else [],
                    "needle_mm": info.plan.needle_mm if info.plan else None,
                    "sessions": info.plan.sessions if info.plan else None,
                    "every_weeks": info.plan.every_weeks if info.plan else None,
                }
                for info in found
            ]
        )
        return
    if not found:
        fmt.echo("No routine yet: 'rollminder setup' makes your first.")
        return
    for info in found:
        plan = info.plan
        what = "no plan"
        if plan is not None:
            every = "a week" if plan.every_weeks == 1 else f"every {plan.every_weeks} weeks"
            what = f"{', '.join(plan.zones)}; {plan.needle_mm:g} mm, {plan.sessions}x {every}"
        fmt.echo(f"{info.routine.id[:8]}  {info.routine.name}: {what}")


def _choices(
    needle: float | None,
    per_week: int | None,
    days: str | None,
    at: str | None,
    minutes: float | None,
    areas: str | None,
) -> dict[str, object]:
    choices: dict[str, object] = {}
    if needle is not None:
        choices["needle_mm"] = needle
    if per_week is not None:
        choices["sessions"] = per_week
    if days is not None:
        choices["weekdays"] = fmt.parse_days(days)
    if at is not None:
        choices["time"] = fmt.parse_clock(at)
    if minutes is not None:
        choices["minutes"] = minutes
    if areas is not None:
        choices["zones"] = fmt.parse_zones(areas)
    return choices


def plan_options(f: click.decorators.FC) -> click.decorators.FC:
    f = click.option(
        "--areas", metavar="AREAS", help="Areas it rolls, e.g. thighs or forehead,cheeks,chin."
    )(f)
    f = click.option(
        "--minutes",
        type=fmt.Limited(limits.PLAN_MINUTES, "minutes"),
        metavar="MIN",
        help="Minutes of rolling.",
    )(f)
    f = click.option("--time", "at", metavar="HH:MM", help="Time of day, e.g. 21:00.")(f)
    f = click.option("--days", metavar="DAYS", help="Weekdays, e.g. mon,thu.")(f)
    f = click.option(
        "--per-week",
        type=fmt.Limited(limits.PLAN_SESSIONS, "number of sessions"),
        metavar="N",
        help="Sessions per week (default: the needle's).",
    )(f)
    f = click.option(
        "--needle",
        type=fmt.Limited(limits.NEEDLE_MM, "needle length"),
        metavar="MM",
        help="Needle length in mm (under 1.0: longer needles are for clinics).",
    )(f)
    return f


@routine.command("add")
@click.argument("name")
@plan_options
@pass_ctx
def add(
    ctx: Context,
    name: str,
    needle: float | None,
    per_week: int | None,
    days: str | None,
    at: str | None,
    minutes: float | None,
    areas: str | None,
) -> None:
    """Add a routine NAME with its own plan, e.g. 'routine add body --areas thighs --needle 0.5'."""
    if needle is None or areas is None:
        raise InvalidInput(
            "Give the routine's --needle and --areas (e.g. --needle 0.5 --areas thighs)."
        )
    new, plan = ctx.app.add_routine(name, **_choices(needle, per_week, days, at, minutes, areas))
    every = "a week" if plan.every_weeks == 1 else f"every {plan.every_weeks} weeks"
    fmt.echo(
        f"Added routine {new.name}: {', '.join(plan.zones)}, {plan.needle_mm:g} mm, "
        f"{plan.sessions}x {every} at {plan.time:%H:%M}."
    )


@routine.command("edit")
@click.argument("ref", metavar="NAME")
@click.option("--name", "new_name", metavar="NAME", help="A new name.")
@plan_options
@pass_ctx
def edit(
    ctx: Context,
    ref: str,
    new_name: str | None,
    needle: float | None,
    per_week: int | None,
    days: str | None,
    at: str | None,
    minutes: float | None,
    areas: str | None,
) -> None:
    """Rename a routine or change its plan."""
    choices = _choices(needle, per_week, days, at, minutes, areas)
    if new_name is None and not choices:
        raise InvalidInput("Say what to change: --name, --needle, --per-week, --days, --time...")
    app = ctx.app.for_routine(ref)
    with app.raw.transaction():
        if choices:
            app.set_plan(**choices)
        if new_name is not None:
            ctx.app.rename_routine(ref, new_name)
    shown = ctx.app.for_routine(new_name if new_name is not None else ref).routine()
    fmt.echo(f"Changed routine {shown.name if shown else ref}.")


@routine.command("remove")
@click.argument("ref", metavar="NAME")
@click.option("--with-log", is_flag=True, help="Delete its logged sessions and skips too.")
@pass_ctx
def remove(ctx: Context, ref: str, with_log: bool) -> None:
    """Remove a routine (not your only one)."""
    gone, rows = ctx.app.remove_routine(ref, with_log=with_log)
    extra = f" and {rows} logged rows" if rows else ""
    fmt.echo(f"Removed routine {gone.name}{extra}.")


def choose_due(ctx: Context, what: str) -> None:
    """``done`` and ``start`` without --routine: the due routine; with several due, ask which
    (refused in one line without a terminal)."""
    if ctx.routine is not None or not ctx.app.several_routines():
        return
    from rollminder.state import Due

    due = [r for r, app in ctx.app.each_routine() if isinstance(app.outlook(1).state, Due)]
    if len(due) == 1 and due[0] is not None:
        ctx.routine = due[0].id
    elif len(due) > 1:
        names = [r.name for r in due if r is not None]
        if not sys.stdin.isatty():
            raise InvalidInput(
                f"{' and '.join(names)} are due: say which with '{what} --routine NAME'."
            )
        ctx.routine = click.prompt("Which routine", type=click.Choice(names))
    else:
        return
    ctx.close()
