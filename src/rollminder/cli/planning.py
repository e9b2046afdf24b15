"""setup and plan (next and status are in cli/outlook.py)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx
from rollminder.cli.travel import echo_travel_note
from rollminder.env import system_zone
from rollminder.errors import Cancelled, InvalidInput, RollminderError
from rollminder.model import WEEKDAYS, ZONES

if TYPE_CHECKING:
    pass


def plan_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The plan's options, shared by `setup` and `plan set`."""

    def limited(limit: limits.Whole | limits.Number, what: str) -> fmt.Limited:
        return fmt.Limited(limit, what)

    options = [
        click.option(
            "--needle",
            type=limited(limits.NEEDLE_MM, "needle length"),
            metavar="MM",
            help="Needle length in mm (0.25, 0.5, 0.75).",
        ),
        click.option(
            "--per-week",
            "sessions",
            type=limited(limits.PLAN_SESSIONS, "number of sessions"),
            metavar="N",
            help="Sessions per week (per period with --every-weeks).",
        ),
        click.option(
            "--every-weeks",
            type=limited(limits.PLAN_WEEKS, "period in weeks"),
            metavar="N",
            help="Period in weeks (0.75 mm: 3).",
        ),
        click.option("--days", metavar="DAYS", help="Preferred days, e.g. mon,thu."),
        click.option(
            "--time", "clock", metavar="TIME", help="Local time of the sessions, e.g. 21:00 or 9pm."
        ),
        click.option(
            "--tz",
            metavar="ZONE",
            type=fmt.Zone(),
            help="Time zone: a city (Berlin, New York) or an IANA name (Europe/Berlin).",
        ),
        click.option(
            "--minutes",
            type=limited(limits.PLAN_MINUTES, "session length in minutes"),
            metavar="MIN",
            help="Session length in minutes (about 3).",
        ),
        click.option("--zones", metavar="ZONES", help=f"Zones: face or {', '.join(ZONES)}."),
        click.option(
            "--directions",
            metavar="DIRS",
            help="vertical, horizontal, diagonal-up-right, diagonal-up-left, or all.",
        ),
        click.option(
            "--passes",
            type=limited(limits.PASSES, "number of passes"),
            metavar="N",
            help="Passes per direction (about 5).",
        ),
        click.option(
            "--rest",
            metavar="DAYS",
            help="Minimum rest from the last session, in days: 3, 3d, 2 days, 1w "
            "(whole days in hours too: 48h; never minutes).",
        ),
        click.option(
            "--blackout-before",
            type=limited(limits.BLACKOUT_BEFORE, "blackout before a visit"),
            metavar="DAYS",
            help="Days without home rolling before a clinic visit (default 7).",
        ),
        click.option(
            "--blackout-after",
            type=limited(limits.BLACKOUT_AFTER, "blackout after a visit"),
            metavar="DAYS",
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


def describe_plan(plan: Any, now: dt.datetime) -> None:
    from rollminder.rules import period_phrase, plan_warning

    days = _days(plan.weekdays)
    fmt.echo(f"Needle     {plan.needle_mm:g} mm")
    fmt.echo(
        f"Routine    {period_phrase(plan.sessions, plan.every_weeks)}, on {days} "
        f"at {plan.time:%H:%M} ({plan.tz})"
    )
    from rollminder.durations import say_minutes
    from rollminder.guide import pace_note

    fmt.echo(
        f"Session    about {say_minutes(plan.minutes)}: {fmt.join(plan.zones)}; "
        f"{fmt.plural(plan.passes, 'pass')} x {fmt.join(plan.directions)}".replace(
            "passs", "passes"
        )
    )
    pace = pace_note(plan.zones, plan.directions, plan.minutes)
    if pace:
        click.echo(f"           {pace}")
    rest = plan.rest_hours
    rest_text = fmt.plural(rest // 24, "day") if rest % 24 == 0 else f"{rest} h"
    fmt.echo(f"Rest       at least {rest_text} between sessions")
    fmt.echo(
        f"Clinic     no home rolling {plan.blackout_before_days} days before to "
        f"{plan.blackout_after_days} days after a visit"
    )
    fmt.echo(f"Since      {fmt.day_text(plan.start, now.date())}")
    warning = plan_warning(plan)
    if warning:
        fmt.secho(f"Note: {warning}", fg="yellow")


def show_preview(ctx: Context, plan: Any) -> None:
    slots = ctx.app.preview(plan, 4)
    now = ctx.app.local_now()
    fmt.echo("Next sessions: " + ", ".join(fmt.slot_time(s.start, now) for s in slots))


# ------------------------------------------------------------------ setup


def _ask(prompt: str, default: str, parse: Callable[[str], Any]) -> Any:
    """Ask until the answer parses; the error is shown in one line."""
    while True:
        text = click.prompt(prompt, default=default, show_default=True)
        try:
            return parse(text)
        except RollminderError as exc:
            fmt.secho(f"  {exc.message}", fg="red", err=True)


def _count(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 7:
        raise InvalidInput("Type a number from 1 to 7.")
    return int(text)


#: Plan fields a new needle length replaces with its own defaults (as service.set_plan does).


def _wizard(ctx: Context, given: dict[str, Any]) -> dict[str, Any]:
    """Ask for what the options did not give. With a plan already there, its settings are the
    defaults; every answer is checked at once, and a refused one is asked again."""
    from rollminder.rules import (
        NEEDLE_TABLE,
        NO_HOME_PLAN_REASON,
        default_weekdays,
        needle_rule,
        period_phrase,
    )
    from rollminder.zonenames import zone_name

    current = ctx.app.home_plan() if ctx.app.has_plan() else None

    def check_plan(**partial: Any) -> None:
        """Refuse an answer as soon as the plan so far breaks a rule."""
        ctx.app.draft_plan(**partial)

    fmt.echo("Needle lengths and what rollminder plans for them:")
    for rule in NEEDLE_TABLE:
        fmt.echo(
            f"  {rule.label:13s} {period_phrase(rule.sessions, rule.every_weeks)}, "
            f"at least {rule.rest_hours // 24} days apart"
        )
    fmt.echo(f"  1.0 mm +      {NO_HOME_PLAN_REASON.split(':')[0]}.")

    def needle(text: str) -> float:
        try:
            value = float(text.replace("mm", "").strip())
        except ValueError:
            raise InvalidInput("Type the needle length in mm, e.g. 0.25.") from None
        needle_rule(value)
        return value

    choices = dict(given)
    if "needle_mm" not in choices:
        default = f"{current.needle_mm:g}" if current else "0.25"
        choices["needle_mm"] = _ask("Needle length (mm)", default, needle)
    rule = needle_rule(choices["needle_mm"])
    # The current plan's routine is offered only while the needle stays the same.
    kept = current if current is not None and current.needle_mm == choices["needle_mm"] else None
    if "sessions" not in choices and "every_weeks" not in choices:
        if rule.every_weeks == 1:

            def sessions(text: str) -> int:
                n = _count(text)
                weekdays = choices.get("weekdays") or default_weekdays(n, 1)
                check_plan(**{**choices, "sessions": n, "every_weeks": 1, "weekdays": weekdays})
                return n

            count = kept.sessions if kept and kept.every_weeks == 1 else rule.sessions
            choices["sessions"] = _ask("Sessions a week", str(count), sessions)
            choices["every_weeks"] = 1
        else:
            choices["sessions"], choices["every_weeks"] = 1, rule.every_weeks
    if "weekdays" not in choices:
        n, weeks = choices.get("sessions", rule.sessions), choices.get("every_weeks", 1)
        same_routine = kept is not None and (kept.sessions, kept.every_weeks) == (n, weeks)
        default_days = kept.weekdays if kept and same_routine else default_weekdays(n, weeks)

        def days(text: str) -> tuple[int, ...]:
            weekdays = fmt.parse_days(text)
            check_plan(**{**choices, "weekdays": weekdays})
            return weekdays

        choices["weekdays"] = _ask("Which days", ",".join(WEEKDAYS[d] for d in default_days), days)
    else:
        # Options that cannot make a plan together: say so now, not after every question.
        check_plan(**choices)
    if "time" not in choices:
        default = f"{current.time:%H:%M}" if current else "21:00"
        choices["time"] = _ask("At what time", default, fmt.parse_clock)
    if "tz" not in choices:
        choices["tz"] = _ask(
            "Time zone",
            current.tz if current else system_zone(),
            zone_name,
        )
    if "zones" not in choices:
        choices["zones"] = _ask(
            f"Zones (face, {', '.join(ZONES)})",
            ",".join(current.zones) if current else "forehead,cheeks,chin",
            fmt.parse_zones,
        )
    return choices


@click.command(short_help="Create your plan: a short wizard, or options and --yes.")
@plan_options
@click.option("--yes", "-y", is_flag=True, help="Don't ask: use the options and defaults.")
@pass_ctx
def setup(ctx: Context, /, yes: bool, **opts: Any) -> None:
    """Create your plan: a short wizard, or all at once with options and --yes.

    With a plan already there, the wizard offers its settings as the answers, and --yes
    changes only the options you give.
    """
    from rollminder.rules import NOT_MEDICAL_ADVICE

    app = ctx.app
    choices = plan_choices(**opts)
    interactive = not yes and sys.stdin.isatty()
    if not yes and not interactive:
        raise InvalidInput("setup needs a terminal to ask its questions, or --yes with options.")
    fmt.secho(NOT_MEDICAL_ADVICE, fg="yellow")
    exists = app.has_plan()
    if (
        exists
        and interactive
        and not click.confirm("You already have a plan. Replace its settings?", default=False)
    ):
        raise Cancelled("Cancelled: your plan was not changed.")
    if interactive:
        choices = _wizard(ctx, choices)
    elif not exists:
        choices.setdefault("needle_mm", 0.25)
        choices.setdefault("tz", system_zone())
    plan = app.set_plan(**choices)
    fmt.echo()
    describe_plan(plan, app.local_now())
    show_preview(ctx, plan)
    _setup_check(ctx, ask=interactive)
    fmt.echo("Log a session with 'rollminder done'; see what's next with 'rollminder next'.")


def _setup_check(ctx: Context, *, ask: bool) -> None:
    """The pre-session check at setup: the clinician questions once (never answered yet; only
    with a terminal: 'rollminder check --clinician' otherwise), and what the per-session check
    does and how to turn it off."""

    fmt.echo()
    if not ctx.app.clinician_answers():
        if ask:
            from rollminder.cli.check import ask_clinician_questions

            ask_clinician_questions(ctx.app)
        else:
            fmt.echo(
                "Answer the 'ask a clinician first' questions once: 'rollminder check --clinician'."
            )
    on = ctx.app.settings().session_check
    fmt.echo(
        "Before each session, 'rollminder start' asks six short safety questions (skin, sun, "
        "retinoid, peel, Botox, fillers); a yes skips that day and reschedules. "
        + (
            "Turn it off with 'rollminder settings --session-check 0'."
            if on
            else "It is off now; turn it on with 'rollminder settings --session-check 1'."
        )
    )
    fmt.echo("Guided session: 'rollminder start'.")


# ------------------------------------------------------------------ plan


@click.group(invoke_without_command=True, short_help="Show your plan ('plan set' changes it).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--why", is_flag=True, help="Also say where each rule of the plan comes from.")
@click.pass_context
def plan(cctx: click.Context, as_json: bool, why: bool) -> None:
    """Show your plan; 'plan set' changes it; 'plan --why' names the sources of its rules."""
    if cctx.invoked_subcommand is not None:
        return
    ctx: Context = cctx.obj
    current = ctx.app.home_plan()
    if as_json:
        fmt.echo_json(fmt.plan_json(current))
        return
    describe_plan(current, ctx.app.local_now())
    echo_travel_note(ctx.app)
    if why:
        _why(current)


def _why(plan: Any) -> None:
    """The detailed sources of the plan's rules (DOMAIN.md: behind a "Why?", not in the main
    text)."""
    from rollminder import guide, rules

    rule = rules.needle_rule(plan.needle_mm)
    click.echo()
    click.echo("Why? Where these rules come from:")
    for label, text in (
        ("How often", rule.source),
        ("Rest", "Rest counts in whole days from the day of your last session."),
        ("Session", "About 3 minutes, 10 s a step at least. " + guide.PREP_SOURCE),
        ("Aftercare", guide.AFTERCARE_SOURCE),
        ("Clinic", rules.BLACKOUT_SOURCE),
        ("Roller", rules.ROLLER_SOURCE),
        ("Safety", "; ".join(f"{q.key}: {q.source}" for q in rules.STOP_QUESTIONS)),
    ):
        click.echo(f"  {label + ':':11s}{text}")


@plan.command("set", short_help="Change your plan: only the options you give change.")
@plan_options
@pass_ctx
def plan_set(ctx: Context, /, **opts: Any) -> None:
    """Change your plan: only the options you give change.

    A new needle length brings its own routine (sessions, days) and rest, unless you give those
    options too.
    """
    choices = plan_choices(**opts)
    if not choices:
        raise InvalidInput("Nothing to change: give at least one option (see --help).")
    before = ctx.app.home_plan()  # a plan must exist
    updated = ctx.app.set_plan(**choices)
    describe_plan(updated, ctx.app.local_now())
    if "weekdays" not in choices and updated.weekdays != before.weekdays:
        old, new = _days(before.weekdays), _days(updated.weekdays)
        if set(updated.weekdays) <= set(before.weekdays):
            fmt.echo(f"Kept {new} of your days ({old}); choose others with --days.")
        else:
            fmt.echo(f"Your days are now {new} (they were {old}); choose others with --days.")
    show_preview(ctx, updated)


def _days(days: tuple[int, ...]) -> str:
    return ", ".join(WEEKDAYS[d].capitalize() for d in days)
