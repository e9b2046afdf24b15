"""calendar export, calendar push."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx
from rollminder.errors import InvalidInput

PASSWORD_ENV = "ROLLMINDER_CALDAV_PASSWORD"


def weeks_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--weeks",
        type=fmt.Limited(limits.CALENDAR_WEEKS, "number of weeks"),
        metavar="N",
        default=8,
        show_default=True,
        help="How many weeks of sessions ahead.",
    )(f)


def history_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--include-history", is_flag=True, help="Add the sessions you logged (and past visits)."
    )(f)


@click.group(short_help="Your sessions in your calendar: export a feed, push to CalDAV.")
def calendar() -> None:
    """Your sessions and clinic visits in your calendar, with alarms: an .ics file to import or
    subscribe to, or a push to a CalDAV calendar (Nextcloud, Radicale, Fastmail, iCloud...)."""


@calendar.command("export", short_help="Write the iCalendar feed (.ics), with alarms.")
@click.option(
    "--output",
    "-o",
    type=fmt.FilePath(dir_okay=False),
    help="File to write (default: standard output).",
)
@weeks_option
@history_option
@fmt.routine_option
@pass_ctx
def export(ctx: Context, output: str | None, weeks: int, include_history: bool) -> None:
    """Write the iCalendar feed (.ics): one event per session ahead, with alarms."""
    from rollminder.calendar import feed

    if output is not None and not output.strip():
        raise InvalidInput("Give a file name to write to: --output FILE.")
    data = feed(ctx.app, weeks=weeks, include_history=include_history)
    if output is None:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # pragma: no cover - a text-only stdout
            click.echo(data.decode("utf-8"), nl=False)
            return
        sys.stdout.flush()
        buffer.write(data)
        buffer.flush()
        return
    from rollminder.cli.data import write_atomically

    write_atomically(Path(output), data)
    click.echo(fmt.safe(f"Exported the calendar to {output}."), err=True)


def _password(user: str | None) -> str | None:
    if user is None:
        return None
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    if not sys.stdin.isatty():
        raise InvalidInput(
            f"No password: set {PASSWORD_ENV} (or run this in a terminal to be asked)."
        )
    password: str = click.prompt(f"CalDAV password for {user}", hide_input=True, default="")
    return password


@calendar.command("push", short_help="Push your events to a CalDAV calendar.")
@click.option(
    "--url",
    required=True,
    envvar="ROLLMINDER_CALDAV_URL",
    metavar="URL",
    help="The CalDAV calendar (collection) URL (env ROLLMINDER_CALDAV_URL).",
)
@click.option(
    "--user",
    envvar="ROLLMINDER_CALDAV_USER",
    metavar="NAME",
    help=f"User name; the password comes from {PASSWORD_ENV} or a prompt.",
)
@click.option(
    "--ca-file",
    envvar="ROLLMINDER_CALDAV_CA_FILE",
    metavar="PATH",
    help="Trust only this CA certificate (PEM) for an https:// server with a private CA "
    "(env ROLLMINDER_CALDAV_CA_FILE).",
)
@weeks_option
@history_option
@pass_ctx
def push(
    ctx: Context,
    url: str,
    user: str | None,
    ca_file: str | None,
    weeks: int,
    include_history: bool,
) -> None:
    """Create, update and remove rollminder's events in a CalDAV calendar.

    Only rollminder's own events are touched; pushing twice changes nothing. The server's
    sign-in may be Basic or Digest. The password is never a command-line argument: set
    ROLLMINDER_CALDAV_PASSWORD or type it when asked.
    """
    from rollminder import caldav

    target = caldav.parse_url(url)  # a bad URL stops before a password is asked for
    if ca_file is not None and not ca_file.strip():
        raise InvalidInput("Give the CA certificate's file: --ca-file PATH.")
    if ca_file is not None:
        caldav.Client(target, None, None, ca_file=ca_file)  # a bad CA file too
    app = ctx.app
    app.plan()  # no plan: say so before asking for a password
    report = caldav.push(
        app,
        url,
        user=user,
        password=_password(user),
        weeks=weeks,
        include_history=include_history,
        ca_file=ca_file,
    )
    click.echo(report.summary(target.shown))
