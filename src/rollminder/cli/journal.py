"""photo (add, list, delete, export) and report: the skin journal (issue 17)."""

from __future__ import annotations

from pathlib import Path

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx
from rollminder.cli.data import write_atomically
from rollminder.errors import InvalidInput
from rollminder.photos import ANGLES


def _read_photo(path: Path) -> bytes:
    from rollminder.photos import MAX_UPLOAD_BYTES

    try:
        if not path.is_file():
            raise InvalidInput(f"{path} is not a file.")
        if path.stat().st_size > MAX_UPLOAD_BYTES:
            raise InvalidInput(f"{path} is larger than 25 MB.")
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}.") from exc


@click.group(short_help="Progress photos: add, list, delete, export.")
def photo() -> None:
    """Progress photos, kept in your data directory only (location and camera data removed).

    Take them in the same place and light, without makeup, before rolling or on a rest day."""


@photo.command("add")
@click.argument("file", type=fmt.FilePath(dir_okay=False, path_type=Path))
@click.option(
    "--angle", type=click.Choice(ANGLES), required=True, help="Which side the photo shows."
)
@click.option("--area", default="", help="For a close-up: the area it shows (cheeks, chin...).")
@click.option("--note", default="", help="A note kept with the photo.")
@pass_ctx
def photo_add(ctx: Context, file: Path, angle: str, area: str, note: str) -> None:
    """Add a photo (JPEG, PNG, WebP or HEIC)."""
    saved = ctx.app.add_photo(_read_photo(file), angle=angle, area=area, note=note)
    click.echo(
        f"Saved photo {saved.id[:8]} ({saved.angle}, {saved.width}x{saved.height}); "
        "location and camera data removed."
    )


@photo.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of photos, oldest first.")
@pass_ctx
def photo_list(ctx: Context, as_json: bool) -> None:
    """List your photos, oldest first."""
    rows = ctx.app.photos()
    if as_json:
        fmt.echo_json(
            [
                {
                    "id": p.id,
                    "taken": p.taken.isoformat(),
                    "day": p.local_day().isoformat(),
                    "angle": p.angle,
                    "area": p.area,
                    "width": p.width,
                    "height": p.height,
                    "note": p.note,
                }
                for p in rows
            ]
        )
        return
    if not rows:
        click.echo("No photos yet: rollminder photo add FILE --angle front")
        return
    for p in rows:
        angle = p.angle if not p.area else f"{p.angle} ({p.area})"
        line = f"{p.id[:8]}  {p.local_day():%a %d %b %Y}  {angle}  {p.width}x{p.height}"
        fmt.echo(line + (f"  {p.note}" if p.note else ""))
    click.echo(f"Next photo: {ctx.app.next_photo():%a %d %b %Y}.")


@photo.command("delete")
@click.argument("photo_id")
@click.option("--yes", "-y", is_flag=True, help="Don't ask for confirmation.")
@pass_ctx
def photo_delete(ctx: Context, photo_id: str, yes: bool) -> None:
    """Delete a photo: its image and thumbnail are removed from the disk."""
    from rollminder.errors import Cancelled

    found = ctx.app.photo(photo_id)
    if not yes and not click.confirm(f"Delete photo {found.id[:8]} for good?", default=False):
        raise Cancelled("Cancelled: the photo is kept.")
    ctx.app.delete_photo(found.id)
    click.echo(f"Deleted photo {found.id[:8]}: no copy is left.")


@photo.command("export")
@click.option(
    "--output",
    "-o",
    type=fmt.FilePath(dir_okay=False),
    required=True,
    help="The zip to write: your JSON export and every photo (rollminder import reads it).",
)
@pass_ctx
def photo_export(ctx: Context, output: str) -> None:
    """Export your data with the photos, as a zip."""
    data = ctx.app.export_zip()
    write_atomically(Path(output), data)
    fmt.echo(f"Exported {len(ctx.app.photos())} photos and your log to {output}.")


@click.command(short_help="A PDF report for your dermatologist.")
@click.option(
    "--weeks",
    type=fmt.Limited(limits.REPORT_WEEKS, "number of weeks"),
    default=12,
    show_default=True,
    help="How many weeks back it covers (1-104).",
)
@click.option("--output", "-o", type=fmt.FilePath(dir_okay=False), required=True, help="PDF file.")
@click.option(
    "--pair",
    "pairs",
    multiple=True,
    metavar="ID,ID",
    help="Two photo ids to show side by side (repeat; default: each angle's first and newest).",
)
@pass_ctx
def report(ctx: Context, weeks: int, output: str, pairs: tuple[str, ...]) -> None:
    """Write a report of the last weeks: routines, sessions kept, partial and missed, reactions
    and notes, holds, your answers to the clinician questions, visits and photos."""
    chosen = []
    for pair in pairs:
        a, _, b = pair.partition(",")
        if not b:
            raise InvalidInput("Give a pair as two photo ids: --pair ID,ID.")
        chosen.append((ctx.app.photo(a).id, ctx.app.photo(b).id))
    data = ctx.app.report_pdf(weeks, chosen or None)
    write_atomically(Path(output), data)
    fmt.echo(f"Wrote the report of the last {weeks} weeks to {output}.")
