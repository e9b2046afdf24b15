"""doctor: stored rows the code cannot read (issue 18 item 6). Every read leaves such a row out
and the command names it on standard error (:func:`warn_skipped`); ``doctor`` lists them all and
``doctor --fix`` deletes them after confirmation."""

from __future__ import annotations

import dataclasses

import click

from rollminder.cli import Context, fmt, pass_ctx
from rollminder.errors import ExitCode


@click.command(short_help="Find (and delete) stored rows that cannot be read.")
@click.option("--fix", is_flag=True, help="Delete the rows found (asks first).")
@click.option("--yes", "-y", is_flag=True, help="With --fix: don't ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows found as JSON.")
@pass_ctx
def doctor(ctx: Context, fix: bool, yes: bool, as_json: bool) -> None:
    """Check every stored row of this profile. A row holding a value rollminder cannot read
    (a damaged file, a hand edit) is left out of every page and command; this lists each such
    row (table, id, column, value) and, with --fix, deletes them. Exits 1 while any remain.
    Make a backup first if the row matters ('rollminder backup now')."""
    rows = ctx.app.damaged_rows()
    if as_json:
        fmt.echo_json(
            [{k: v for k, v in dataclasses.asdict(row).items() if k != "rowid"} for row in rows]
        )
    elif not rows:
        fmt.echo("No damaged rows: every stored row can be read.")
    else:
        for row in rows:
            fmt.echo(f"{row.table}  {row.id}  {row.column or '-'}  {row.value!r}  {row.problem}")
    if not rows or not fix:
        raise click.exceptions.Exit(ExitCode.REFUSED if rows else ExitCode.OK)
    many = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    if not yes and not click.confirm(f"Delete {many} that cannot be read?", default=False):
        fmt.echo("Nothing was deleted.")
        raise click.exceptions.Exit(ExitCode.REFUSED)
    deleted = sum(ctx.app.delete_damaged_row(row.table, row.rowid) for row in rows)
    fmt.echo(f"Deleted {deleted} row{'s' if deleted != 1 else ''} that could not be read.")
