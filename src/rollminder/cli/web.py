"""serve (the local web app) and password (what protects it off this machine)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx
from rollminder.errors import InvalidInput

DEFAULT_PORT = 8765


@click.command(short_help="Run the web app (and the reminders) on this machine.")
@click.option(
    "--host",
    metavar="ADDRESS",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on.",
)
@click.option(
    "--port",
    type=fmt.Limited(limits.PORT, "port"),
    metavar="PORT",
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open it in the browser.")
@click.option(
    "--cert",
    type=fmt.FilePath(dir_okay=False, exists=True, path_type=Path),
    help="TLS certificate (PEM), to serve HTTPS.",
)
@click.option(
    "--key",
    type=fmt.FilePath(dir_okay=False, exists=True, path_type=Path),
    help="TLS private key (PEM) for --cert.",
)
@click.option("--no-reminders", is_flag=True, help="Don't run the reminder loop in this process.")
@click.option(
    "--public-url",
    metavar="URL",
    help="Where people reach it through a proxy (https://roll.example.org): that host name is "
    "answered and reminder links point there.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    metavar="ADDRESS",
    multiple=True,
    help="A reverse proxy's address (or network) whose X-Forwarded-For is believed; repeat for "
    "more. Without it the login limit counts the connecting address.",
)
@click.option(
    "--database",
    metavar="URL",
    help="Serve from this PostgreSQL database (postgresql://...; env ROLLMINDER_DATABASE_URL) "
    "instead of the data directory's SQLite file.",
)
@click.option(
    "--smtp",
    metavar="URL",
    help="Hosted mode: the SMTP server that sends verification and password-reset mail "
    "(smtp://user:password@host:587, smtps://...:465; env ROLLMINDER_SMTP_URL).",
)
@pass_ctx
def serve(
    ctx: Context,
    host: str,
    port: int,
    open_browser: bool,
    cert: Path | None,
    key: Path | None,
    no_reminders: bool,
    public_url: str | None,
    trusted_proxies: tuple[str, ...],
    database: str | None,
    smtp: str | None,
) -> None:
    """Serve the web app on http://127.0.0.1:8765 (the reminders run inside it).

    Any address other than this machine's own refuses to start until a password is set with
    'rollminder password set'. For a phone, serve HTTPS (--cert/--key, or a reverse proxy):
    plain http on a LAN address is not a secure context for the browser.
    """
    if (cert is None) != (key is None):
        raise InvalidInput("Give both --cert and --key to serve HTTPS.")
    if database is not None:
        from rollminder.env import valid_database_url

        ctx.env.database_url = valid_database_url(database)
    from rollminder.web import serving
    from rollminder.web.app import check_public_url, create_app

    if public_url is not None:
        check_public_url(public_url)
    proxies = [serving.check_proxy(p) for p in trusted_proxies]
    from rollminder.accounts_mail import mailer_from_environment, mailer_from_url

    mailer = mailer_from_url(smtp) if smtp is not None else mailer_from_environment()
    if smtp is not None and not ctx.env.database_url:
        raise InvalidInput("--smtp is for hosted mode: give --database postgresql://... too.")

    ctx.close()  # the web app opens its own store per request
    scheme = "https" if cert else "http"
    shown = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{shown}:{port}/"
    app = create_app(
        ctx.env,
        host=host,
        start_reminders=not no_reminders,
        https=cert is not None,
        base_url=link_base(scheme, host, port),
        public_url=public_url,
        mailer=mailer,
    )
    click.echo(f"rollminder is at {url}  (Ctrl-C stops it)")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    server = serving.server(
        app,
        host=host,
        port=port,
        cert=cert,
        key=key,
        trusted_proxies=proxies,
    )
    server.run()
    if not server.started:
        raise InvalidInput(f"Could not listen on {host}:{port} (is it in use?).")


def link_base(scheme: str, host: str, port: int) -> str:
    """Where the Done/Snooze links in reminders point: the address served, or this machine's
    name when serving on every address (0.0.0.0 or ::)."""
    if host in ("0.0.0.0", "::", ""):
        import socket

        host = socket.gethostname()
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


@click.group(short_help="The web app's password (needed to serve beyond this machine).")
def password() -> None:
    """The password that protects the web app (stored as a scrypt hash, never in clear)."""


@password.command("set")
@pass_ctx
def password_set(ctx: Context) -> None:
    """Set or change the password (asked twice)."""
    from rollminder.web import signins

    if sys.stdin.isatty():
        text = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:  # scripts: two lines on standard input
        first = sys.stdin.readline().rstrip("\r\n")
        second = sys.stdin.readline().rstrip("\r\n")
        if first != second:
            raise InvalidInput("The two passwords differ: nothing was changed.")
        text = first
    signins.set_password(ctx.app, text)  # every earlier sign-in ends
    click.echo(
        "Password set; every earlier sign-in has ended. The web app now asks for it "
        "(restart 'rollminder serve' if it ran without one)."
    )


@password.command("clear")
@pass_ctx
def password_clear(ctx: Context) -> None:
    """Remove the password (the web app then serves only on 127.0.0.1)."""
    from rollminder.web import signins

    if signins.clear_password(ctx.app):
        click.echo("Password removed: 'rollminder serve' now serves only on this machine.")
    else:
        click.echo("No password was set.")
