"""remind, daemon, snooze, channel, service: reminders (see docs/reminders.md)."""

from __future__ import annotations

import click

from rollminder.cli import Context, fmt, pass_ctx

# ------------------------------------------------------------------ remind, daemon, snooze


@click.command(short_help="Send the reminders due now, then exit (for cron).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when nothing was sent.")
@pass_ctx
def remind(ctx: Context, quiet: bool) -> None:
    """Send the reminders due now on every channel, then exit: one pass, for cron or a systemd
    timer ('rollminder daemon' does the same continuously)."""
    from rollminder.remind import engine
    from rollminder.remind.channels import desktop_available
    from rollminder.remind.daemon import NO_CHANNEL

    app = ctx.app
    present: list[bool] = []

    def probe() -> bool:
        present.append(desktop_available())
        return present[-1]

    configs = app.active_channels(probe)
    result = engine.run_pass(app, configs)
    engine.heartbeat(app, "remind", desktop=present[-1] if present else None)
    said: set[str] = set()
    for s in result.sent:  # two routines due together share one message: said once
        line = f"Sent {_what_was_sent(s.reminder.kind, s.late)} via {s.channel}."
        if line not in said:
            said.add(line)
            fmt.echo(line)
    for name, error in result.failed:
        fmt.echo(f"Could not send via {name}: {error}. Retrying later.", err=True)
    if not configs:
        fmt.echo(NO_CHANNEL, err=True)
    elif not result.sent and not result.failed and not quiet:
        fmt.echo("Nothing due now.")


#: What a reminder of each kind is, in the words people use (issue 11: not 'prep' or 'snooze-1').
_SENT = {
    "prep": "the reminder to start soaking your roller",
    "session": "the reminder to roll",
    "roller": "the reminder to replace your roller",
    "visit": "the reminder of your clinic visit",
    "book": "the reminder to book your next visit",
}


def _what_was_sent(kind: str, late: bool) -> str:
    if kind == "session" and late:
        return "a catch-up reminder: your session is still open,"
    if kind.startswith("snooze"):
        return "a snoozed reminder"
    return _SENT.get(kind, "a reminder")


@click.command(short_help="Run the reminders continuously (Ctrl-C or SIGTERM stops).")
@pass_ctx
def daemon(ctx: Context) -> None:
    """Send reminders as they fall due, until stopped (SIGTERM or Ctrl-C: a clean stop).

    It sleeps until the next reminder but wakes at least once a minute to re-read the clock and
    the database. 'rollminder service install' runs it as a systemd user service.
    """
    import logging
    import signal
    import threading

    from rollminder.remind.daemon import run

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True
    )
    ctx.app  # noqa: B018 - open the database now: a problem shows before the loop starts
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        fmt.echo(f"rollminder daemon: reminders for {ctx.env.profile} (stop with Ctrl-C).")
        ctx.close()  # the loop opens its own store
        run(ctx.env, stop)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    fmt.echo("rollminder daemon: stopped.")


@click.command(short_help="Remind of the open session again later (default 30 min).")
@click.argument("duration", default="30", metavar="[DURATION]")
@pass_ctx
def snooze(ctx: Context, duration: str) -> None:
    """Remind of the open session once more after DURATION (default 30 minutes; '45',
    '1h', '1h30m')."""
    from rollminder.remind.engine import snooze as snooze_slot
    from rollminder.timeparse import parse_duration

    minutes = parse_duration(duration).total_seconds() / 60
    z = snooze_slot(ctx.app, minutes)
    now = ctx.app.local_now()
    fmt.echo(f"Snoozed: you will be reminded again at {z.until.astimezone(now.tzinfo):%H:%M}.")


# ------------------------------------------------------------------ channels


@click.group(short_help="Where reminders go: desktop, ntfy, e-mail or webhooks.")
def channel() -> None:
    """Where reminders go. A channel is the desktop or any Apprise URL: ntfy://, mailto://,
    tgram://, pover://, discord://, matrix://, json:// and the rest."""


@channel.command("add", short_help="Add a channel: desktop, or an Apprise URL.")
@click.argument("url")
@click.option("--name", help="A short name (default: the URL's kind, e.g. 'ntfy').")
@pass_ctx
def channel_add(ctx: Context, url: str, name: str | None) -> None:
    """Add a channel: 'desktop', or an Apprise URL such as ntfy://ntfy.sh/TOPIC."""
    info = ctx.app.add_channel(url, name)
    fmt.echo(f"Added channel {info.name}: {info.url}. Try it with 'rollminder channel test'.")


@channel.command("list", short_help="The channels, their last send and last error.")
@click.option("--json", "as_json", is_flag=True, help="Print the channels as JSON.")
@pass_ctx
def channel_list(ctx: Context, as_json: bool) -> None:
    """The channels, with when each last sent and its last error (secrets masked)."""
    infos = ctx.app.list_channels()
    if as_json:
        fmt.echo_json([i.to_json() for i in infos])
        return
    if not infos:
        fmt.echo(
            "No channel set up: reminders go to the desktop when a notification server runs. "
            "Add one with 'rollminder channel add URL'."
        )
        return
    now = ctx.app.local_now()
    rows = []
    for i in infos:
        sent = fmt.slot_time(i.last_sent.astimezone(now.tzinfo), now) if i.last_sent else "never"
        if i.failures:
            retry = (
                f", retry {i.retry_at.astimezone(now.tzinfo):%H:%M}"
                if i.retry_at and i.retry_at > now
                else ""
            )
            state = f"FAILING ({i.failures}x{retry}): {i.last_error}"
        else:
            state = "ok"
        name = f"{i.name} (default)" if i.implicit else i.name
        rows.append((name, i.url, sent, state))
    fmt.table(rows, ("name", "url", "last sent", "state"))


@channel.command("test")
@click.argument("name", required=False)
@pass_ctx
def channel_test(ctx: Context, name: str | None) -> None:
    """Send a test notification (through NAME, or every channel)."""
    from rollminder.errors import RollminderError

    results = ctx.app.test_channels(name)
    if not results:
        raise RollminderError(
            "No channel is set up and no desktop notification server is running: add one "
            "with 'rollminder channel add URL'."
        )
    fmt.echo(
        "; ".join(
            f"{r.name}: failed ({r.error})" if r.error else f"{r.name}: sent" for r in results
        )
    )
    if any(r.error for r in results):
        raise RollminderError("The test notification did not get through (see above).")


@channel.command("remove")
@click.argument("name")
@pass_ctx
def channel_remove(ctx: Context, name: str) -> None:
    """Remove the channel NAME."""
    info = ctx.app.remove_channel(name)
    fmt.echo(f"Removed channel {info.name} ({info.url}).")


# ------------------------------------------------------------------ service


@click.group(short_help="Run the reminder daemon as a systemd user service.")
def service() -> None:
    """Install, remove or check the systemd user service that runs 'rollminder daemon'."""


@service.command("install", short_help="Write the user service and start it.")
@click.option("--no-start", is_flag=True, help="Write the unit file only; do not start it.")
@pass_ctx
def service_install(ctx: Context, no_start: bool) -> None:
    """Write the user service for the daemon and start it (prints the cron line too)."""
    from rollminder.remind import service_unit

    for line in service_unit.install(ctx.env, start=not no_start).lines:
        fmt.echo(line)


@service.command("uninstall")
@pass_ctx
def service_uninstall(ctx: Context) -> None:
    """Stop and remove the user service."""
    from rollminder.remind import service_unit

    for line in service_unit.uninstall(ctx.env).lines:
        fmt.echo(line)


@service.command("status", short_help="Is the service installed and running?")
@pass_ctx
def service_status(ctx: Context) -> None:
    """Whether the service is installed and running, and when reminders last ran."""
    import json

    from rollminder.remind import service_unit

    for line in service_unit.status(ctx.env).lines:
        fmt.echo(line)
    for what in ("daemon", "remind"):
        raw = ctx.app.reminder_state(what)
        if raw:
            try:
                at = json.loads(raw).get("at", "?")
            except ValueError:
                at = "?"
            fmt.echo(f"Last {what} pass: {at}.")
