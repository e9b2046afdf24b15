"""db migrate and db status: the hosted database's schema, for operators (issue #15).

The SQLite file needs neither: it migrates itself when it is opened. A PostgreSQL database is
migrated only by `rollminder db migrate`, run as the role that owns the tables, because the app
may connect as a role that cannot change them (docs/hosting.md).
"""

from __future__ import annotations

import click

from rollminder.cli import Context, fmt, pass_ctx
from rollminder.env import DATABASE_URL_VARIABLE, valid_database_url
from rollminder.errors import ExitCode


def _use_database(ctx: Context, url: str | None) -> None:
    if url is not None:
        ctx.env.database_url = valid_database_url(url)


_DATABASE = click.option(
    "--database",
    "url",
    metavar="URL",
    help=f"The PostgreSQL database (postgresql://user@host/name; env {DATABASE_URL_VARIABLE}).",
)


@click.group(short_help="The hosted database's schema: migrate, status.")
def db() -> None:
    """The hosted (PostgreSQL) database's schema, for whoever runs the server.

    The database comes from --database or ROLLMINDER_DATABASE_URL. A SQLite data directory
    needs neither command: it is migrated when it is opened.
    """


@db.command("migrate", short_help="Bring the schema up to date.")
@_DATABASE
@click.option(
    "--app-role",
    metavar="ROLE",
    help="Grant this role what the app needs (it connects as it; row-level security applies).",
)
@pass_ctx
def migrate(ctx: Context, url: str | None, app_role: str | None) -> None:
    """Bring the schema up to date (run as the role that owns the tables).

    Each migration runs in its own transaction and is recorded in schema_migrations; running
    it again when nothing is pending changes nothing.
    """
    _use_database(ctx, url)
    done = ctx.env.migrate_database(app_role=app_role)
    for version, name in done:
        click.echo(f"Applied {version}: {fmt.safe(name)}")
    state = ctx.env.database_state()
    what = "Migrated" if done else "Nothing to migrate"
    click.echo(f"{what}: {fmt.safe(state.where)} is at schema {state.version}.")
    if app_role:
        click.echo(f"Role {fmt.safe(app_role)} may read and write rows (row-level security on).")


@db.command("status", short_help="The schema's version, applied and pending.")
@_DATABASE
@click.option(
    "--json", "as_json", is_flag=True, help="{database, version, latest, applied, pending}."
)
@pass_ctx
def status(ctx: Context, url: str | None, as_json: bool) -> None:
    """Show the schema's version, the migrations applied and those pending.

    Exits 1 when migrations are pending (so a deploy script can check before serving).
    """
    _use_database(ctx, url)
    state = ctx.env.database_state()
    if as_json:
        fmt.echo_json(
            {
                "database": state.where,
                "version": state.version,
                "latest": state.latest,
                "applied": [
                    {"version": v, "name": n, "applied_at": at.isoformat()}
                    for v, n, at in state.applied
                ],
                "pending": [{"version": v, "name": n} for v, n in state.pending],
            }
        )
    else:
        click.echo(f"Database: {fmt.safe(state.where)}")
        click.echo(f"Schema: {state.version} (this rollminder knows up to {state.latest})")
        for version, name, at in state.applied:
            click.echo(f"  applied {version}: {fmt.safe(name)} ({at:%Y-%m-%d %H:%M} UTC)")
        for version, name in state.pending:
            click.echo(f"  pending {version}: {fmt.safe(name)}")
        if not state.pending:
            click.echo("Up to date.")
        else:
            click.echo("Run 'rollminder db migrate' to apply the pending migrations.")
    if state.pending:
        raise click.exceptions.Exit(ExitCode.REFUSED)
