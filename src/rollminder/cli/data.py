"""export, import, backup."""

from __future__ import annotations

import os
from pathlib import Path

import click

from rollminder.cli import Context, pass_ctx
from rollminder.errors import ImportFailed, InvalidInput

MAX_IMPORT_BYTES = 50 * 1024 * 1024


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that a crash never leaves half of it (private: it holds health data)."""
    import tempfile

    path = path.expanduser()
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder: give a file name.")
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=".rollminder-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@click.command()
@click.option(
    "--format",
    "form",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: everything, for import; csv: your log, for sheets.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: standard output).",
)
@pass_ctx
def export(ctx: Context, form: str, output: Path | None) -> None:
    """Export your plan and log."""
    from rollminder import transfer

    text = transfer.export_json(ctx.store) if form == "json" else transfer.export_csv(ctx.store)
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomically(output, text)
    click.echo(f"Exported to {output}.", err=True)


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def import_(ctx: Context, file: Path) -> None:
    """Import a JSON export (merges by id; importing twice changes nothing)."""
    from rollminder import transfer

    try:
        size = file.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise ImportFailed(
                f"Cannot import {file}: it is larger than 50 MB. Nothing was changed."
            )
        raw = file.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"Cannot read {file}: {exc.strerror}. Nothing was changed.") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFailed(
            f"Cannot import {file}: it is not a rollminder JSON export (not text). "
            "Nothing was changed."
        ) from None
    report = transfer.import_json(ctx.store, text, source=str(file))
    click.echo(report.summary())


@click.group()
def backup() -> None:
    """Backups of your data (one is made automatically each day; the last 7 are kept)."""


@backup.command("list")
@pass_ctx
def backup_list(ctx: Context) -> None:
    """List the backups."""
    from rollminder.store.sqlite import list_backups

    found = list_backups(ctx.env.backup_dir)
    if not found:
        click.echo("No backups yet.")
    for path in found:
        click.echo(str(path))


@backup.command("now")
@pass_ctx
def backup_now(ctx: Context) -> None:
    """Make a backup now."""
    now = ctx.env.now()
    dest = ctx.env.backup_dir / f"rollminder-manual-{now:%Y%m%dT%H%M%S}.db"
    ctx.store.backup_now(dest)
    click.echo(f"Backed up to {dest}.")


@backup.command("restore")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Don't ask for confirmation.")
@pass_ctx
def backup_restore(ctx: Context, file: Path | None, yes: bool) -> None:
    """Replace your data with a backup (default: the latest)."""
    from rollminder.store.sqlite import latest_backup, restore_backup

    source = file or latest_backup(ctx.env.backup_dir)
    if source is None:
        raise InvalidInput("There is no backup to restore.")
    if not yes and not click.confirm(f"Replace your data with {source}?", default=False):
        raise click.Abort
    ctx.close()
    kept = restore_backup(ctx.env.db_path, source, now=ctx.env.now())
    click.echo(f"Restored {source}.")
    if kept is not None:
        click.echo(f"The data you had before is kept in {kept}.")
