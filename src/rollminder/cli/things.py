"""roller, visit, settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx

if TYPE_CHECKING:
    from rollminder.model import Roller

# ------------------------------------------------------------------ rollers


@click.group()
@fmt.routine_option
def roller() -> None:
    """Your rollers and when to replace them."""


@roller.command("add", short_help="Add a new roller; it becomes the current one.")
@click.option("--label", default="", help="A name, e.g. 'face roller'.")
@click.option(
    "--needle",
    type=fmt.Limited(limits.NEEDLE_MM, "needle length"),
    metavar="MM",
    help="Needle length in mm (default: the plan's).",
)
@click.option("--first-use", metavar="DATE", help="If already used: the day of first use.")
@click.option(
    "--uses",
    type=fmt.Limited(limits.EARLIER_USES, "number of earlier uses"),
    metavar="N",
    default=0,
    help="If already used: how many times.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Retire the current roller without asking (it is asked on a terminal).",
)
@pass_ctx
def roller_add(
    ctx: Context, label: str, needle: float | None, first_use: str | None, uses: int, replace: bool
) -> None:
    """Add a new roller; it becomes the current one, and the current one is retired (asked
    first, or --replace). To name the roller you use now, see 'roller rename'."""
    from rollminder.cli.fixes import ask_or_refuse
    from rollminder.service import RollerInUse

    app = ctx.app
    choices = {
        "label": label,
        "needle_mm": needle,
        "first_use": fmt.day(app, first_use, prefer="past"),
        "initial_uses": uses,
    }
    try:
        new, previous = app.add_roller(**choices, replace_current=replace)  # type: ignore[arg-type]
    except RollerInUse as exc:
        if not ask_or_refuse(
            f"{_in_use(exc.current)} Is the new one replacing it (it is then retired)?",
            f"{_in_use(exc.current)} Nothing was added: add --replace to retire it and use the "
            "new one, or rename it with 'rollminder roller rename NAME'.",
        ):
            fmt.echo(
                "Nothing was added. To name the roller you use now: "
                "'rollminder roller rename NAME'."
            )
            return
        new, previous = app.add_roller(**choices, replace_current=True)  # type: ignore[arg-type]
    what = new.label if label.strip() else "a roller"  # an unnamed one is called '0.25 mm roller'
    fmt.echo(
        f"Added {what} ({new.needle_mm:g} mm) as your current roller [{fmt.short_id(new.id)}]."
    )
    if previous is not None:
        fmt.echo(f"Retired {previous.label} [{fmt.short_id(previous.id)}].")
    s = app.settings()
    fmt.echo(
        f"Replace it after {s.roller_max_uses} uses or {s.roller_max_days} days of use. "
        "A new roller comes sterile; disinfect it after every use."
    )


def _in_use(current: Roller) -> str:
    return (
        f"Your current roller is '{fmt.oneline(current.label, 40)}' "
        f"[{fmt.short_id(current.id)}], in use since {fmt.day_text(current.added)}."
    )


@roller.command("rename", short_help="Give a roller a new name.")
@click.argument("words", metavar="[ID] NAME", nargs=-1, required=True)
@pass_ctx
def roller_rename(ctx: Context, words: tuple[str, ...]) -> None:
    """Give a roller a new name: 'roller rename NAME' renames the current one, 'roller rename ID
    NAME' another one (ids are in 'roller list')."""
    from rollminder.cli.fixes import UNDO_HINT

    if len(words) > 2:
        raise click.UsageError("Give the new name in quotes: roller rename [ID] 'face roller'.")
    ref, name = (None, words[0]) if len(words) == 1 else words
    old = ctx.app.entry(ref, "roller") if ref is not None else ctx.app.current_roller()
    r = ctx.app.rename_roller(name, ref)
    was = f" (was '{fmt.oneline(old.label, 40)}')" if old is not None else ""  # type: ignore[union-attr]
    fmt.echo(f"Renamed: {r.label} [{fmt.short_id(r.id)}]{was}. {UNDO_HINT}")


@roller.command("use", short_help="Bring a retired roller back as the current one.")
@click.argument("roller_id", metavar="ID")
@click.option(
    "--replace",
    is_flag=True,
    help="Retire the current roller without asking (it is asked on a terminal).",
)
@pass_ctx
def roller_use(ctx: Context, roller_id: str, replace: bool) -> None:
    """Bring a retired roller back as your current one (ids are in 'roller list'); the
    current one is retired (asked first, or --replace)."""
    from rollminder.cli.fixes import UNDO_HINT, ask_or_refuse
    from rollminder.service import RollerInUse

    app = ctx.app
    try:
        back, retired = app.use_roller(roller_id, replace_current=replace)
    except RollerInUse as exc:
        if not ask_or_refuse(
            f"{_in_use(exc.current)} Retire it and use the other one again?",
            f"{_in_use(exc.current)} Nothing was changed: add --replace to retire it and use "
            "the other one again.",
        ):
            fmt.echo("Nothing was changed.")
            return
        back, retired = app.use_roller(roller_id, replace_current=True)
    fmt.echo(f"{back.label} [{fmt.short_id(back.id)}] is your current roller again.")
    if retired is not None:
        fmt.echo(f"Retired {retired.label} [{fmt.short_id(retired.id)}].")
    fmt.echo(UNDO_HINT)


@roller.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the rollers as JSON.")
@pass_ctx
def roller_list(ctx: Context, as_json: bool) -> None:
    """Every roller with its uses and days left."""
    app = ctx.app
    wear = [app.roller_wear(r.id) for r in app.rollers()]
    if as_json:
        fmt.echo_json(
            [
                {
                    "id": w.roller.id,
                    "label": w.roller.label,
                    "needle_mm": w.roller.needle_mm,
                    "added": w.roller.added.isoformat(),
                    "first_use": w.roller.first_use.isoformat() if w.roller.first_use else None,
                    "retired": w.roller.retired.isoformat() if w.roller.retired else None,
                    "uses": w.uses,
                    "uses_left": w.uses_left,
                    "age_days": w.age_days,
                    "days_left": w.days_left,
                    "replace_now": w.replace_now,
                    "reason": w.reason,
                }
                for w in wear
            ]
        )
        return
    if not wear:
        fmt.echo("No rollers yet: add yours with 'rollminder roller add'.")
        return
    rows = []
    for w in wear:
        retired = w.roller.retired is not None
        state = (
            f"retired {w.roller.retired:%Y-%m-%d}"
            if w.roller.retired
            else "REPLACE NOW"
            if w.replace_now
            else "current"
        )
        rows.append(
            (
                fmt.short_id(w.roller.id),
                w.roller.label,
                f"{w.roller.needle_mm:g} mm",
                str(w.uses),
                "-" if retired else str(w.uses_left),
                "-"
                if retired
                else f"{app.settings().roller_max_days} from first use"
                if w.days_left is None
                else str(w.days_left),
                state,
            )
        )
    fmt.rich_table(rows, ("id", "roller", "needle", "uses", "uses left", "days left", "state"))
    for w in wear:
        if w.replace_now:
            fmt.secho(f"Replace {w.roller.label}: {w.reason}.", fg="yellow")


@roller.command("retire")
@click.argument("roller_id", required=False)
@pass_ctx
def roller_retire(ctx: Context, roller_id: str | None) -> None:
    """Retire a roller (default: the current one)."""
    from rollminder.cli.fixes import UNDO_HINT

    r = ctx.app.retire_roller(roller_id)
    fmt.echo(f"Retired {r.label} [{fmt.short_id(r.id)}]. {UNDO_HINT}")


# ------------------------------------------------------------------ visits


@click.group(short_help="In-office treatments: visits and series.")
def visit() -> None:
    """In-office treatments: visits and series (no home rolling around them)."""


@visit.command("add")
@click.argument("when_text", metavar="WHEN")
@click.option("--clinic", default="", help="Where.")
@click.option("--note", default="", help="What was done.")
@click.option(
    "--series",
    "series_id",
    metavar="NAME|ID",
    help="The series it belongs to, by name or id (see 'visit series').",
)
@fmt.areas_option(
    "The areas treated, e.g. face or thighs (default: the face); its blackout stops the "
    "routines rolling them, not the others."
)
@pass_ctx
def visit_add(
    ctx: Context,
    when_text: str,
    clinic: str,
    note: str,
    series_id: str | None,
    areas_text: str | None,
) -> None:
    """Record a clinic visit (past or booked)."""
    app = ctx.app
    areas = fmt.parse_areas(areas_text)
    at = fmt.when(app, when_text, prefer="future")
    assert at is not None
    v = app.add_visit(at=at, clinic=clinic, note=note, series_ref=series_id, areas=areas)
    now = app.local_now()
    fmt.echo(
        f"Visit on {fmt.slot_time(v.at.astimezone(now.tzinfo), now)} recorded "
        f"[{fmt.short_id(v.id)}]."
    )
    if app.has_plan():
        p = app.plan()
        day_of = "; no makeup or workout that day" if v.at > app.now() else ""
        fmt.echo(
            f"No home rolling from {p.blackout_before_days} days before to "
            f"{p.blackout_after_days} days after it{day_of}."
        )
        fmt.echo(
            "That blackout is our default: ask your clinician, and change it "
            "with 'rollminder plan set --blackout-before N --blackout-after N'."
        )


@visit.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the visits as JSON.")
@pass_ctx
def visit_list(ctx: Context, as_json: bool) -> None:
    """Your clinic visits."""
    app = ctx.app
    tz = app.zone()
    visits = app.visits()
    if as_json:
        fmt.echo_json(
            [
                {
                    "id": v.id,
                    "at": v.at.astimezone(tz).isoformat(),
                    "clinic": v.clinic,
                    "note": v.note,
                    "series": v.series_id,
                }
                for v in visits
            ]
        )
        return
    if not visits:
        fmt.echo("No visits recorded.")
        return
    names = {s.series.id: s.series.name for s in app.series_status()}
    fmt.rich_table(
        [
            (
                fmt.short_id(v.id),
                f"{v.at.astimezone(tz):%a %Y-%m-%d %H:%M}",
                fmt.oneline(v.clinic, 30),
                fmt.oneline(names.get(v.series_id or "", ""), 30),
                fmt.oneline(v.note, 40),
            )
            for v in visits
        ],
        ("id", "when", "clinic", "series", "note"),
    )


@visit.command("delete")
@click.argument("visit_id")
@pass_ctx
def visit_delete(ctx: Context, visit_id: str) -> None:
    """Delete a visit."""
    from rollminder.cli.fixes import UNDO_HINT, describe

    v = ctx.app.delete_visit(visit_id)
    fmt.echo(f"Deleted {describe(ctx.app, v)}. {UNDO_HINT}")


@visit.group(
    "series",
    invoke_without_command=True,
    short_help="Your treatment series; 'series new' starts one.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the series as JSON.")
@click.pass_context
def visit_series(cctx: click.Context, as_json: bool) -> None:
    """Your treatment series and when to book the next visit; 'series new' starts one."""
    if cctx.invoked_subcommand is not None:
        return
    ctx: Context = cctx.obj
    rows = ctx.app.series_status()
    tz = ctx.app.zone()
    if as_json:
        fmt.echo_json(
            [
                {
                    "id": r.series.id,
                    "name": r.series.name,
                    "count": r.series.count,
                    "spacing_weeks": r.series.spacing_weeks,
                    "visits": [v.id for v in r.visits],
                    "done": r.done,
                    "remaining": r.remaining,
                    "next_visit": r.next_visit.at.astimezone(tz).isoformat()
                    if r.next_visit
                    else None,
                    "book_from": r.book_from.isoformat() if r.book_from else None,
                    "book_until": r.book_until.isoformat() if r.book_until else None,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        fmt.echo("No series yet: 'rollminder visit series new NAME --count 5 --weeks 6'.")
        return
    now = ctx.app.local_now()
    for r in rows:
        fmt.echo(
            f"{r.series.name} [{fmt.short_id(r.series.id)}]: {r.done} of "
            f"{r.series.count} visits done, every {r.series.spacing_weeks} weeks."
        )
        if r.next_visit:
            fmt.echo(f"  Next visit {fmt.slot_time(r.next_visit.at.astimezone(now.tzinfo), now)}.")
        elif r.remaining and not r.visits:
            fmt.echo("  Book your first visit.")
        elif r.book_from and r.book_until and r.remaining:
            today = now.date()
            first, last = fmt.day_text(r.book_from, today), fmt.day_text(r.book_until, today)
            window = f"for {first}" if first == last else f"between {first} and {last}"
            fmt.echo(f"  Book the next visit {window}.")
        elif not r.remaining:
            fmt.echo("  Series complete. Maintenance is usually every 3-4 months.")


@visit_series.command("new")
@click.argument("name", default="Clinic series")
@click.option(
    "--count",
    type=fmt.Limited(limits.SERIES_VISITS, "number of visits"),
    metavar="N",
    default=5,
    show_default=True,
    help="Visits in the series.",
)
@click.option(
    "--weeks",
    type=fmt.Limited(limits.SERIES_WEEKS, "number of weeks"),
    metavar="N",
    default=6,
    show_default=True,
    help="Weeks between visits.",
)
@pass_ctx
def series_new(ctx: Context, name: str, count: int, weeks: int) -> None:
    """Start a treatment series (4-6 visits, 4-6 weeks apart is usual)."""
    s = ctx.app.add_series(name=name, count=count, spacing_weeks=weeks)
    fmt.echo(
        f"Series '{s.name}' [{fmt.short_id(s.id)}]: {s.count} visits, "
        f"{s.spacing_weeks} weeks apart. Add visits with "
        f"'rollminder visit add WHEN --series {fmt.short_id(s.id)}' (or by its name); a visit "
        f"already recorded joins it with 'rollminder edit visit ID --series "
        f"{fmt.short_id(s.id)}'."
    )


# ------------------------------------------------------------------ settings


@click.command()
@click.option(
    "--roller-uses",
    type=fmt.Limited(limits.SETTINGS["roller_max_uses"][1], "number of roller uses"),
    metavar="N",
    help="Replace a roller after this many uses (default 10).",
)
@click.option(
    "--roller-days",
    type=fmt.Limited(limits.SETTINGS["roller_max_days"][1], "number of roller days"),
    metavar="N",
    help="... or this many days after its first use (default 90).",
)
@click.option(
    "--prep-minutes",
    type=fmt.Limited(limits.SETTINGS["prep_minutes"][1], "prep reminder's minutes"),
    metavar="N",
    help="The 'start soaking your roller' reminder comes N minutes before a slot (0: off).",
)
@click.option(
    "--session-check",
    type=fmt.Limited(limits.SETTINGS["session_check"][1], "session check"),
    metavar="0|1",
    help="1: ask the safety questions before each session (default); 0: don't ask.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@pass_ctx
def settings(
    ctx: Context,
    roller_uses: int | None,
    roller_days: int | None,
    prep_minutes: int | None,
    session_check: int | None,
    as_json: bool,
) -> None:
    """Show or change your settings."""
    changes = {
        k: v
        for k, v in (
            ("roller_max_uses", roller_uses),
            ("roller_max_days", roller_days),
            ("prep_minutes", prep_minutes),
            ("session_check", session_check),
        )
        if v is not None
    }
    s = ctx.app.set_settings(**changes) if changes else ctx.app.settings()
    if as_json:
        fmt.echo_json(
            {
                "roller_max_uses": s.roller_max_uses,
                "roller_max_days": s.roller_max_days,
                "prep_minutes": s.prep_minutes,
                "session_check": s.session_check,
            }
        )
        return
    fmt.echo(f"Replace a roller after {s.roller_max_uses} uses or {s.roller_max_days} days.")
    prep = f"{s.prep_minutes} minutes before each session" if s.prep_minutes else "off"
    fmt.echo(f"Prep reminder ('start soaking your roller'): {prep}.")
    if s.session_check:
        fmt.echo(
            "Session check: on. 'rollminder start' asks six safety questions first (skin, sun, "
            "retinoid, peel, Botox, fillers); turn it off with --session-check 0."
        )
    else:
        fmt.echo(
            "Session check: off. 'rollminder start' goes straight to the session; run "
            "'rollminder check' yourself, or turn it on with --session-check 1."
        )
