"""edit, undo: fixing mistakes (issue #11 item 8), and how the CLI names what it changed.

``rollminder edit KIND ID`` takes the options of the command that adds that kind (``done``,
``skip``, ``pause``, ``visit add``, ``roller add``); ``rollminder edit ID`` works too when the id
says what it is. ``rollminder undo`` takes back the last edit or deletion.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx
from rollminder.durations import say_minutes
from rollminder.errors import Conflict
from rollminder.model import REACTIONS, Pause, Roller, Session, Skip, Visit

if TYPE_CHECKING:
    from rollminder.service import Rollminder, Step

KINDS = ("session", "skip", "pause", "visit", "roller")
UNDO_HINT = "'rollminder undo' takes it back."


def describe(app: Rollminder, row: object) -> str:
    """What a person calls a row: 'the session of Sun 6 Dec 21:05 (3 min)'."""
    now = app.local_now()
    tz = now.tzinfo
    match row:
        case Session():
            when = fmt.slot_time(row.start.astimezone(tz), now)
            return f"the session of {when} ({say_minutes(row.minutes)})"
        case Skip():
            why = f" ({fmt.oneline(row.reason, 40)})" if row.reason else ""
            return f"the skip of {fmt.slot_time(row.slot.astimezone(tz), now)}{why}"
        case Pause():
            today = now.date()
            first, last = fmt.day_text(row.first, today), fmt.day_text(row.last, today)
            return f"the pause from {first} through {last}"
        case Visit():
            at = f" at {fmt.oneline(row.clinic, 40)}" if row.clinic else ""
            return f"the visit of {fmt.slot_time(row.at.astimezone(tz), now)}{at}"
        case Roller():
            state = (
                "in use"
                if row.retired is None
                else f"retired {fmt.day_text(row.retired, now.date())}"
            )
            return f"the roller '{fmt.oneline(row.label, 40)}' ({row.needle_mm:g} mm, {state})"
    raise TypeError(row)  # pragma: no cover


def ask_or_refuse(question: str, refusal: str) -> bool:
    """On a terminal, ask (default no); without one, refuse in one line (a Conflict)."""
    if not sys.stdin.isatty():
        raise Conflict(refusal)
    return click.confirm(question, default=False)


class EditGroup(click.Group):
    """``edit KIND ID``; ``edit ID`` alone goes to the kind the id names."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            obj = ctx.find_object(Context)
            assert obj is not None
            kind = obj.app.kind_of(args[0])
            return kind, self.commands[kind], args
        return super().resolve_command(ctx, args)


def _nothing_given(cctx: click.Context, values: dict[str, Any]) -> None:
    if all(v is None for v in values.values()):
        raise click.UsageError("Nothing to change: give at least one option.", cctx)


#: The words for each field an edit can change.
FIELD_WORDS = {
    "start": "time", "minutes": "minutes", "zones": "zones", "reaction": "reaction",
    "note": "note", "slot": "slot", "reason": "reason", "catch_up": "catch-up",
    "first": "first day", "last": "last day", "at": "time", "clinic": "clinic",
    "series_id": "series", "label": "name",
    "needle_mm": "needle", "first_use": "first use", "initial_uses": "earlier uses",
}  # fmt: skip


def _changed(app: Rollminder, before: object, after: object) -> None:
    """'Changed the time and minutes of the session of Sun 6 Dec 21:05 (3 min): now the session
    of Sun 6 Dec 21:10 (5 min).'"""
    import dataclasses

    fields = [
        FIELD_WORDS[f.name]
        for f in dataclasses.fields(before)  # type: ignore[arg-type]
        if f.name in FIELD_WORDS and getattr(before, f.name) != getattr(after, f.name)
    ]
    was, now = describe(app, before), describe(app, after)
    if not fields:
        fmt.echo(f"Nothing changed: {was} already is so.")
        return
    what = fields[0] if len(fields) == 1 else f"{', '.join(fields[:-1])} and {fields[-1]}"
    then = f": now {now}" if now != was else ""
    fmt.echo(f"Changed the {what} of {was}{then}. {UNDO_HINT}")


@click.group(cls=EditGroup, short_help="Correct a session, skip, pause, visit or roller.")
def edit() -> None:
    """Correct a session, skip, pause, visit or roller: 'rollminder edit KIND ID --OPTION VALUE'
    with the options of the command that adds it (ids are in 'history --skips', 'pauses',
    'visit list' and 'roller list'); 'rollminder edit ID' works too. Only what you give changes;
    'rollminder undo' takes the change back."""


@edit.command("session")
@click.argument("session_id", metavar="ID")
@click.option("--at", "at_text", metavar="WHEN", help="When you rolled, e.g. 'sun 21:05'.")
@click.option(
    "--minutes",
    type=fmt.Limited(limits.SESSION_MINUTES, "session's minutes"),
    metavar="MIN",
    help="How long.",
)
@click.option("--zones", metavar="ZONES", help="Zones you rolled, e.g. forehead,cheeks.")
@click.option("--reaction", type=click.Choice(REACTIONS), help="How your skin reacted.")
@click.option("--note", help="The note ('' clears it).")
@click.option("--again", is_flag=True, help="Move it even to a day that already has a session.")
@click.pass_context
def edit_session(
    cctx: click.Context,
    session_id: str,
    at_text: str | None,
    minutes: float | None,
    zones: str | None,
    reaction: str | None,
    note: str | None,
    again: bool,
) -> None:
    """Correct a logged session: the options of 'done'."""
    from rollminder.service import KEEP
    from rollminder.usecases.logbook import SecondToday

    _nothing_given(
        cctx, {"at": at_text, "minutes": minutes, "zones": zones, "r": reaction, "n": note}
    )
    app: Rollminder = cctx.find_object(Context).app  # type: ignore[union-attr]
    choices: dict[str, Any] = {
        "at": fmt.when(app, at_text, prefer="past"),
        "minutes": minutes,
        "zones": None if zones is None else fmt.parse_zones(zones),
        "reaction": KEEP if reaction is None else reaction,
        "note": KEEP if note is None else note,
    }
    old = app.entry(session_id, "session")
    try:
        logged = app.edit_session(session_id, **choices, second_today=again)
    except SecondToday as exc:
        now = app.local_now()
        when = fmt.slot_time(exc.existing.start.astimezone(now.tzinfo), now)
        if not ask_or_refuse(
            f"That day already has a session ({when}); a day counts once. Move it there anyway?",
            f"That day already has a session ({when}); a day counts once. Nothing was changed: "
            "add --again to move it there anyway.",
        ):
            fmt.echo("Nothing was changed.")
            return
        logged = app.edit_session(session_id, **choices, second_today=True)
    _changed(app, old, logged.session)
    for warning in logged.warnings:
        fmt.secho(f"Note: {warning}", fg="yellow")


@edit.command("skip")
@click.argument("skip_id", metavar="ID")
@click.option("--slot", "slot_text", metavar="WHEN", help="Which slot, e.g. 'mon 21:00'.")
@click.option("--reason", help="Why ('' clears it).")
@click.option(
    "--catch-up/--no-catch-up",
    "catch_up",
    default=None,
    help="Whether a catch-up is offered later that week.",
)
@click.pass_context
def edit_skip(
    cctx: click.Context,
    skip_id: str,
    slot_text: str | None,
    reason: str | None,
    catch_up: bool | None,
) -> None:
    """Correct a skip: the options of 'skip'."""
    from rollminder.service import KEEP

    _nothing_given(cctx, {"slot": slot_text, "reason": reason, "catch_up": catch_up})
    app: Rollminder = cctx.find_object(Context).app  # type: ignore[union-attr]
    old = app.entry(skip_id, "skip")
    new = app.edit_skip(
        skip_id,
        slot=fmt.when(app, slot_text, prefer="future"),
        reason=KEEP if reason is None else reason,
        catch_up=catch_up,
    )
    _changed(app, old, new)


@edit.command("pause")
@click.argument("pause_id", metavar="ID")
@click.option("--from", "first", metavar="DATE", help="First day of the pause.")
@click.option("--until", "last", metavar="DATE", help="Last day of the pause (included).")
@click.option("--reason", help="Why ('' clears it).")
@click.pass_context
def edit_pause(
    cctx: click.Context, pause_id: str, first: str | None, last: str | None, reason: str | None
) -> None:
    """Change a pause: the options of 'pause'."""
    from rollminder.service import KEEP

    _nothing_given(cctx, {"first": first, "last": last, "reason": reason})
    app: Rollminder = cctx.find_object(Context).app  # type: ignore[union-attr]
    old = app.entry(pause_id, "pause")
    new = app.edit_pause(
        pause_id,
        first=fmt.day(app, first),
        last=fmt.day(app, last),
        reason=KEEP if reason is None else reason,
    )
    _changed(app, old, new)


@edit.command("visit")
@click.argument("visit_id", metavar="ID")
@click.option("--at", "at_text", metavar="WHEN", help="When, e.g. '2026-12-16 10:00'.")
@click.option("--clinic", help="Where.")
@click.option("--note", help="What was done ('' clears it).")
@click.option(
    "--series", "series", metavar="NAME|ID", help="Join this series (see 'visit series')."
)
@click.option("--no-series", is_flag=True, help="Take the visit out of its series.")
@click.pass_context
def edit_visit(
    cctx: click.Context,
    visit_id: str,
    at_text: str | None,
    clinic: str | None,
    note: str | None,
    series: str | None,
    no_series: bool,
) -> None:
    """Change a visit: the options of 'visit add'.

    --series makes a visit join a series (by its name or id), --no-series takes it out."""
    from rollminder.service import KEEP

    if series is not None and no_series:
        raise click.UsageError("Give --series or --no-series, not both.", cctx)
    _nothing_given(
        cctx,
        {"at": at_text, "c": clinic, "n": note, "s": series, "x": True if no_series else None},
    )
    app: Rollminder = cctx.find_object(Context).app  # type: ignore[union-attr]
    old = app.entry(visit_id, "visit")
    assert isinstance(old, Visit)
    new = app.edit_visit(
        visit_id,
        at=fmt.when(app, at_text, prefer="future"),
        clinic=KEEP if clinic is None else clinic,
        note=KEEP if note is None else note,
        series_ref=None if no_series else KEEP if series is None else series,
    )
    _changed(app, old, new)
    if new.series_id != old.series_id and new.series_id is not None:
        name = next(s.series.name for s in app.series_status() if s.series.id == new.series_id)
        fmt.echo(f"It is part of the series '{fmt.oneline(name, 40)}' now.")


@edit.command("roller")
@click.argument("roller_id", metavar="ID")
@click.option("--label", help="A name, e.g. 'face roller'.")
@click.option(
    "--needle",
    type=fmt.Limited(limits.NEEDLE_MM, "needle length"),
    metavar="MM",
    help="Needle length in mm.",
)
@click.option("--first-use", metavar="DATE", help="The day of its first use.")
@click.option(
    "--uses",
    type=fmt.Limited(limits.EARLIER_USES, "number of earlier uses"),
    metavar="N",
    help="How many times it was used before it was added.",
)
@click.pass_context
def edit_roller(
    cctx: click.Context,
    roller_id: str,
    label: str | None,
    needle: float | None,
    first_use: str | None,
    uses: int | None,
) -> None:
    """Correct a roller: the options of 'roller add'."""
    from rollminder.service import KEEP

    _nothing_given(cctx, {"label": label, "needle": needle, "first": first_use, "uses": uses})
    app: Rollminder = cctx.find_object(Context).app  # type: ignore[union-attr]
    old = app.entry(roller_id, "roller")
    new = app.edit_roller(
        roller_id,
        label=KEEP if label is None else label,
        needle_mm=needle,
        first_use=KEEP if first_use is None else fmt.day(app, first_use, prefer="past"),
        initial_uses=uses,
    )
    _changed(app, old, new)


def _said_undone(app: Rollminder, step: Step) -> list[str]:
    main = step.main
    if main.after is None:
        lines = [f"Restored {describe(app, main.before)}."]
    else:
        lines = [
            f"Undid your change to {describe(app, main.after)}: it is back to "
            f"{describe(app, main.before)}."
        ]
    for change in step.changes[1:]:
        lines.append(f"Also back: {describe(app, change.before)}.")
    return lines


@click.command(short_help="Take back the last edit or deletion.")
@click.option("--show", is_flag=True, help="Only say what undo would take back.")
@pass_ctx
def undo(ctx: Context, show: bool) -> None:
    """Take back the last edit or deletion (of a session, skip, pause, visit or roller); run it
    again to take back the one before. It refuses, changing nothing, when what it would bring
    back was changed since or clashes with the log as it is now."""
    app = ctx.app
    if show:
        step = app.last_change()
        if step is None:
            fmt.echo("Nothing to undo.")
            return
        main = step.main
        what = (
            f"restore {describe(app, main.before)}"
            if main.after is None
            else f"take {describe(app, main.after)} back to {describe(app, main.before)}"
        )
        fmt.echo(f"Undo would {what}.")
        return
    done = app.undo()
    if done is None:
        fmt.echo("Nothing to undo.")
        return
    for line in _said_undone(app, done):
        fmt.echo(line)
