"""done, skip, pause, pauses, resume, history, stats, delete."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx
from rollminder.errors import Conflict
from rollminder.model import REACTIONS

if TYPE_CHECKING:
    from rollminder.model import Session, Skip
    from rollminder.schedule import PastSlot
    from rollminder.service import Rollminder


@click.command()
@click.option(
    "--at",
    "at_text",
    metavar="WHEN",
    help="When you rolled (default now): 2026-11-26T21:05, 'yesterday 21:00', 'mon 21:05'.",
)
@click.option(
    "--minutes",
    type=fmt.Limited(limits.SESSION_MINUTES, "session's minutes"),
    metavar="MIN",
    help="How long (default: the plan's minutes).",
)
@click.option("--zones", metavar="ZONES", help="Zones you rolled (default: the plan's).")
@click.option("--reaction", type=click.Choice(REACTIONS), help="How your skin reacted.")
@click.option("--note", default="", help="A note for your log.")
@click.option(
    "--again",
    is_flag=True,
    help="Log it even though that day already has a session (a day counts once).",
)
@fmt.routine_option
@pass_ctx
def done(
    ctx: Context,
    at_text: str | None,
    minutes: float | None,
    zones: str | None,
    reaction: str | None,
    note: str,
    again: bool,
) -> None:
    """Log a session you did."""
    from rollminder.cli.routines import choose_due

    choose_due(ctx, "done")
    from rollminder.usecases.logbook import SecondToday

    app = ctx.app
    at = fmt.when(app, at_text, prefer="past")
    choices = {
        "at": at,
        "minutes": minutes,
        "zones": None if zones is None else fmt.parse_zones(zones),
        "reaction": reaction,
        "note": note,
    }
    try:
        logged = app.log_session(**choices, second_today=again)  # type: ignore[arg-type]
    except SecondToday as exc:
        now = app.local_now()
        when = fmt.slot_time(exc.existing.start.astimezone(now.tzinfo), now)
        if not sys.stdin.isatty():
            raise Conflict(
                f"That day already has a session ({when}); a day counts once. "
                "Nothing was added: add --again to log a second one."
            ) from None
        question = f"That day already has a session ({when}); a day counts once. Log a second one?"
        if not click.confirm(question, default=False):
            fmt.echo("Nothing was added.")
            return
        logged = app.log_session(**choices, second_today=True)  # type: ignore[arg-type]
    now = app.local_now()
    s = logged.session
    fmt.echo(
        f"Logged {s.minutes:g} min on {fmt.slot_time(s.start.astimezone(now.tzinfo), now)}"
        f" ({fmt.join(s.zones)})."
    )
    for warning in logged.warnings:
        fmt.secho(f"Note: {warning}", fg="yellow")
    _echo_next(app)


@click.command(short_help="Skip a slot on purpose, with a reason.")
@click.option(
    "--slot",
    "slot_text",
    metavar="WHEN",
    help="Which slot (default: the one due now or the next one), e.g. 'mon 21:00'.",
)
@click.option("--reason", default="", help="Why, e.g. 'skin irritated' (optional).")
@click.option(
    "--catch-up",
    "catch_up",
    is_flag=True,
    help="Offer a catch-up later this week (after the skipped slot, where rest allows).",
)
@fmt.routine_option
@pass_ctx
def skip(ctx: Context, slot_text: str | None, reason: str, catch_up: bool) -> None:
    """Skip a slot on purpose. No catch-up is offered unless you ask with --catch-up."""
    app = ctx.app
    slot = fmt.when(app, slot_text, prefer="future")
    done_skip = app.skip(slot=slot, reason=reason, catch_up=catch_up)
    now = app.local_now()
    why = f": {fmt.oneline(done_skip.reason)}" if done_skip.reason else ""
    later = " A catch-up is offered later this week where rest allows." if catch_up else ""
    fmt.echo(f"Skipped {fmt.slot_time(done_skip.slot.astimezone(now.tzinfo), now)}{why}.{later}")
    _echo_next(app)


@click.command(short_help="Pause sessions and reminders for some days.")
@click.option(
    "--from",
    "first",
    required=True,
    metavar="DATE",
    help="First day of the pause, e.g. 2026-12-20, 'tomorrow' or 'fri'.",
)
@click.option(
    "--until", "last", required=True, metavar="DATE", help="Last day of the pause (included)."
)
@click.option("--reason", default="", help="Why, e.g. travel or a breakout.")
@fmt.areas_option(
    "Pause only the routines rolling these areas, e.g. face or thighs (default: every routine)."
)
@pass_ctx
def pause(ctx: Context, first: str, last: str, reason: str, areas_text: str | None) -> None:
    """Pause sessions and reminders for a few days (both days included)."""
    app = ctx.app
    areas = fmt.parse_areas(areas_text) or ()
    p = app.pause(fmt.day(app, first), fmt.day(app, last), reason, areas)  # type: ignore[arg-type]
    today = app.local_now().date()
    where = f" for {', '.join(p.areas)}" if p.areas else ""
    fmt.echo(
        f"Paused{where} from {fmt.day_text(p.first, today)} through {fmt.day_text(p.last, today)}."
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the pauses as JSON.")
@pass_ctx
def pauses(ctx: Context, as_json: bool) -> None:
    """List your pauses."""
    rows = ctx.app.pauses()
    if as_json:
        fmt.echo_json(
            [
                {
                    "id": p.id,
                    "from": p.first.isoformat(),
                    "until": p.last.isoformat(),
                    "reason": p.reason,
                    "areas": list(p.areas),
                }
                for p in rows
            ]
        )
        return
    if not rows:
        fmt.echo("No pauses.")
        return
    fmt.rich_table(
        [
            (
                fmt.short_id(p.id),
                f"{p.first:%a %Y-%m-%d}",
                f"{p.last:%a %Y-%m-%d}",
                fmt.oneline(p.reason, 40),
            )
            for p in rows
        ],
        ("id", "from", "until", "reason"),
    )


@click.command()
@click.argument("pause_id", required=False)
@pass_ctx
def resume(ctx: Context, pause_id: str | None) -> None:
    """End the pause you are in now (or cancel the pause PAUSE_ID)."""
    if pause_id:
        from rollminder.cli.fixes import UNDO_HINT

        p = ctx.app.cancel_pause(pause_id)
        today = ctx.app.local_now().date()
        fmt.echo(
            f"Cancelled the pause from {fmt.day_text(p.first, today)} "
            f"through {fmt.day_text(p.last, today)}. {UNDO_HINT}"
        )
        return
    ended = ctx.app.resume()
    if ended is None:
        fmt.echo("You are not paused today.")
        return
    fmt.echo("Resumed: sessions and reminders are back on.")
    _echo_next(ctx.app)


@click.command(short_help="Your sessions, and skipped or missed slots.")
@click.option(
    "--since", metavar="DATE", help="Only from this day on, e.g. 2026-11-01 or '2 weeks ago'."
)
@click.option("--skips", "with_skips", is_flag=True, help="Include skipped slots.")
@click.option("--missed", "with_missed", is_flag=True, help="Include missed slots.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="A JSON array of {type, id, start, tz, minutes, zones, reaction, note, roller, reason}; "
    "type is 'session', 'skip' or 'missed' (a past slot with no session or skip); a session's "
    "start and tz are those of the zone it was done in; routine names the routine.",
)
@fmt.routine_option
@pass_ctx
def history(
    ctx: Context, since: str | None, with_skips: bool, with_missed: bool, as_json: bool
) -> None:
    """Your sessions, and with --skips or --missed the slots skipped or missed.

    A session shorter than two thirds of the plan's minutes is marked partial."""
    app = ctx.app
    tz = app.zone()
    first = fmt.day(app, since, prefer="past")
    since_at = dt.datetime.combine(first, dt.time(0), tz) if first else None
    # Every routine's rows without --routine (issue 12); each row names its routine.
    if ctx.routine is None and app.several_routines():
        each = [(r.name, one) for r, one in app.each_routine() if r is not None]
    else:
        routine = app.routine()
        each = [(routine.name if routine is not None else "", app)]
    sessions: list[Session] = []
    skipped: list[Skip] = []
    missed: list[PastSlot] = []
    partial: set[str] = set()
    named: dict[int, str] = {}  # id() of a row -> its routine's name
    for name, one in each:
        mine = one.history(since_at)
        theirs = one.skips(since_at) if with_skips else []
        gone = [x for x in one.slot_history(first) if x.outcome == "missed"] if with_missed else []
        partial |= one.partial_sessions(mine)
        for row in (*mine, *theirs, *gone):
            named[id(row)] = name
        sessions += mine
        skipped += theirs
        missed += gone
    if as_json:
        entries = [
            (s.start, {**fmt.session_json(s, tz), "routine": named[id(s)]}) for s in sessions
        ]
        entries += [(k.slot, {**fmt.skip_json(k, tz), "routine": named[id(k)]}) for k in skipped]
        entries += [(m.at, {**fmt.missed_json(m.at, tz), "routine": named[id(m)]}) for m in missed]
        entries.sort(key=lambda e: e[0])  # by the instant: offsets differ across DST
        fmt.echo_json([row for _, row in entries])
        return
    if not sessions and not skipped and not missed:
        fmt.echo("Nothing logged yet." if first is None else "Nothing logged since then.")
        return
    rows: list[tuple[dt.datetime, tuple[str, ...]]] = []
    for s in sessions:
        local = s.local_start(tz.key)
        minutes = f"{s.minutes:g}" + (" (partial)" if s.id in partial else "")
        # A session done elsewhere shows its own time, and the zone's abbreviation says where.
        away = f" {local.tzname()}" if s.tz and s.tz != tz.key else ""
        rows.append(
            (
                local,
                (
                    fmt.short_id(s.id),
                    f"{local:%a %Y-%m-%d %H:%M}{away}",
                    minutes,
                    ",".join(s.zones),
                    s.reaction or "",
                    fmt.oneline(s.note, 40),
                ),
            )
        )
    for k in skipped:
        local = k.slot.astimezone(tz)
        why = f"skipped: {k.reason}" if k.reason else "skipped"
        rows.append(
            (
                local,
                (
                    fmt.short_id(k.id),
                    f"{local:%a %Y-%m-%d %H:%M}",
                    "-",
                    "",
                    "",
                    fmt.oneline(why, 40),
                ),
            )
        )
    for m in missed:
        local = m.at.astimezone(tz)
        rows.append((local, ("", f"{local:%a %Y-%m-%d %H:%M}", "-", "", "", "missed")))
    rows.sort(key=lambda r: r[0].astimezone(dt.UTC))
    fmt.table([r for _, r in rows], header=("id", "when", "min", "zones", "reaction", "note"))


@click.command(short_help="Delete a session, skip, pause or visit by its id.")
@click.argument("what", metavar="[KIND] ID")
@click.argument("entry_id", metavar="", required=False)
@pass_ctx
def delete(ctx: Context, what: str, entry_id: str | None) -> None:
    """Delete a session, skip, pause or visit by its id (see 'history --skips', 'pauses',
    'visit list'): 'rollminder delete ID', or 'rollminder delete session ID' to say what it is.
    'rollminder undo' brings it back."""
    from rollminder.cli.fixes import UNDO_HINT, describe
    from rollminder.usecases.logbook import DELETABLE

    if entry_id is None:
        if what in DELETABLE:
            raise click.UsageError(f"Give the {what}'s id: 'rollminder delete {what} ID'.")
        row = ctx.app.delete(what)
    else:
        if what not in DELETABLE:
            raise click.UsageError(
                f"What to delete is one of {', '.join(DELETABLE)}, then its id "
                "(rollers are retired: 'rollminder roller retire')."
            )
        row = ctx.app.delete(entry_id, kinds=(what,))
    fmt.echo(f"Deleted {describe(ctx.app, row)}. {UNDO_HINT}")


def _echo_next(app: Rollminder) -> None:
    """'Next: Tue 1 Dec 21:00 (catch-up).' after a change to the log."""
    _, slots = app.next(1)
    if slots:
        now = app.local_now()
        kind = " (catch-up)" if slots[0].kind == "catch-up" else ""
        fmt.echo(f"Next: {fmt.slot_time(slots[0].start, now)}{kind}.")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@fmt.routine_option
@pass_ctx
def stats(ctx: Context, as_json: bool) -> None:
    """Adherence, streaks and strength."""
    p = ctx.app.stats()
    if as_json:
        figures = p.as_json()
        if p.last_session is not None:  # in the plan's zone, like every other JSON time
            figures["last_session"] = p.last_session.astimezone(ctx.app.zone()).isoformat()
        fmt.echo_json(figures)
        return
    if p.adherence_4w is None and p.adherence_12w is None:
        fmt.echo("Adherence   nothing was due yet")
    else:
        fmt.echo(
            f"Adherence   {_pct(p.adherence_4w)} (4 weeks), {_pct(p.adherence_12w)} (12 weeks)"
        )
    unit = "week" if p.period_weeks == 1 else f"period of {p.period_weeks} weeks"
    units = "weeks" if p.period_weeks == 1 else f"periods of {p.period_weeks} weeks"
    if p.current_streak == 0 and p.best_streak == 0 and p.missed == 0:
        # Nothing to judge yet (the first week): no "0 weeks" verdict.
        fmt.echo(f"Streak      starts when a whole {unit} has every planned session done")
    else:
        streak = f"{p.current_streak} {unit if p.current_streak == 1 else units} in a row"
        fmt.echo(f"Streak      {streak} with every planned session done (best {p.best_streak})")
    fmt.echo(
        f"Strength    {p.strength:.0f}/100: each kept session adds, each missed one takes away; "
        "about 4 steady weeks reach 50"
    )
    partial = f", {p.partial} partial (too short to count)" if p.partial else ""
    fmt.echo(
        f"Sessions    {p.sessions} logged, {p.minutes:g} min in all; "
        f"{p.kept} kept{partial}, {p.missed} missed, {p.skipped} skipped"
    )
    if p.last_session:
        now = ctx.app.local_now()
        fmt.echo(f"Last        {fmt.slot_time(p.last_session.astimezone(now.tzinfo), now)}")
