"""export, import, backup."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from rollminder.cli import Context, fmt, pass_ctx
from rollminder.errors import Cancelled, InvalidInput


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write a file so that a crash never leaves half of it (private: it holds health data).
    Text is written as UTF-8 with its line ends as they are; bytes (photos, a PDF) as they are."""
    import tempfile

    path = path.expanduser()
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder: give a file name.")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".rollminder-")
    except OSError as exc:
        why = "that folder does not exist" if not folder.is_dir() else exc.strerror or str(exc)
        raise InvalidInput(f"Cannot write {path}: {why}.") from exc
    try:
        data = content.encode("utf-8") if isinstance(content, str) else content
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
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
    type=fmt.FilePath(dir_okay=False),
    help="File to write (default: standard output).",
)
@pass_ctx
def export(ctx: Context, form: str, output: str | None) -> None:
    """Export your plan and log."""
    if output is not None and not output.strip():
        raise InvalidInput("Give a file name to write to: --output FILE.")

    text = ctx.app.export_json() if form == "json" else ctx.app.export_csv()
    if output is None:
        # UTF-8 whatever the terminal's encoding: the export is a file format (import reads UTF-8).
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # pragma: no cover - a text-only stdout
            click.echo(text, nl=False)
            return
        sys.stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()
        return
    write_atomically(Path(output), text)
    click.echo(fmt.safe(f"Exported to {output}."), err=True)


@click.command("import", short_help="Import a JSON export (importing twice changes nothing).")
@click.argument("file", type=fmt.FilePath(dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "source",
    type=click.Choice(["rollminder", "loop"]),
    default="rollminder",
    show_default=True,
    help="rollminder: a JSON export, or a zip with photos; loop: Loop Habit Tracker's CSV "
    "export (zip) or its backup (.db).",
)
@click.option("--habit", help="With --from loop: the habit that holds your sessions.")
@pass_ctx
def import_(ctx: Context, file: Path, source: str, habit: str | None) -> None:
    """Import a JSON export (merges by id; importing twice changes nothing).

    With --from loop, a Loop Habit Tracker file: each day done by hand becomes a session at your
    plan's time (Loop keeps no time of day), each skip a skip; notes carry over."""
    from rollminder import transfer

    if source == "loop":
        done = ctx.app.import_loop(file, habit)
        click.echo(fmt.safe(done.summary(file.name)))
        return
    if habit is not None:
        raise InvalidInput("--habit goes with --from loop.")
    if _is_zip(file):
        data = _read_zip(file)
        report, added, same = ctx.app.import_zip(data, source=str(file))
        click.echo(fmt.safe(report.summary()))  # type: ignore[attr-defined]
        click.echo(f"Photos: {added} added, {same} already here.")
        return
    # Only a regular file of at most 20 MB: a FIFO or a device never blocks the command.
    text = transfer.read_export(file)
    report = ctx.app.import_json(text, source=str(file))
    click.echo(fmt.safe(report.summary()))


def _is_zip(path: Path) -> bool:
    try:
        if not path.is_file():
            return False
        with path.open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _read_zip(path: Path) -> bytes:
    most = 2 * 1024 * 1024 * 1024
    if path.stat().st_size > most:
        raise InvalidInput(f"{path} is larger than 2 GB.")
    return path.read_bytes()


@click.group(short_help="Backups of your data: list, now, restore.")
def backup() -> None:
    """Backups of your data (one is made automatically each day; the last 7 are kept)."""


@backup.command("list")
@click.option(
    "--json", "as_json", is_flag=True, help="A JSON array of {path, bytes}, oldest first."
)
@pass_ctx
def backup_list(ctx: Context, as_json: bool) -> None:
    """List the backups, oldest first."""
    found = ctx.env.backups()
    if as_json:
        fmt.echo_json([{"path": str(p), "bytes": p.stat().st_size} for p in found])
        return
    if not found:
        click.echo("No backups yet.")
    for path in found:
        click.echo(fmt.safe(path))


@backup.command("now")
@pass_ctx
def backup_now(ctx: Context) -> None:
    """Make a backup now."""
    dest = ctx.app.backup_now(ctx.env.backup_dir)
    click.echo(f"Backed up to {dest}.")


@backup.command("restore")
@click.argument("file", required=False, type=fmt.FilePath(dir_okay=False, path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Don't ask for confirmation.")
@click.option(
    "--with-secrets",
    is_flag=True,
    help="Also take the backup's web password, sign-in key and calendar and Done/Snooze links "
    "(by default yours stay, so links you replaced since stay dead).",
)
@pass_ctx
def backup_restore(ctx: Context, file: Path | None, yes: bool, with_secrets: bool) -> None:
    """Replace your data with a backup (default: the latest).

    Your current web password and links are kept unless --with-secrets."""
    source = file or ctx.env.latest_backup()
    if source is None:
        raise InvalidInput("There is no backup to restore.")
    if not yes and not click.confirm(f"Replace your data with {source}?", default=False):
        raise Cancelled("Cancelled: nothing was restored, your data is unchanged.")
    ctx.close()
    kept = ctx.env.restore_backup(source, with_secrets=with_secrets)
    click.echo(fmt.safe(f"Restored {source}."))
    if not with_secrets:
        click.echo(
            "Your web password and links stay as they were (--with-secrets takes the backup's)."
        )
    if kept is not None:
        click.echo(f"The data you had before is kept in {kept}.")
