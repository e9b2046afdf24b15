"""The command line: thin click commands over :mod:`rollminder.service`.

One place (:func:`main`) turns every error into a one-line message and an exit status
(:class:`~rollminder.errors.ExitCode`: 1 for a refused or failed action, 2 for a wrong command
line, 130 for Ctrl-C, 128 + the signal's number when a signal stops a guided session). A person
never sees a traceback; unexpected errors are written in full to ``error.log`` in the data
directory (:mod:`rollminder.errorlog`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rollminder import __version__
from rollminder.env import (
    DEFAULT_PROFILE,
    Env,
    clock_from_environment,
    default_home,
    monotonic_from_environment,
    valid_profile,
)
from rollminder.errors import ExitCode, InvalidInput, NoPlan, RollminderError

if TYPE_CHECKING:
    from rollminder.service import Rollminder


class Context:
    """What every command gets: the environment and, opened on first use, the service."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self._app: Rollminder | None = None
        #: A command is one moment (the clock is read once); a guided session runs live.
        self.live = False
        #: ``--routine NAME`` (issue 12): the command acts on that routine only.
        self.routine: str | None = None

    @property
    def app(self) -> Rollminder:
        if self._app is None:
            app = self.env.open_app(live=self.live)
            if self.routine is not None:
                try:
                    app = app.for_routine(self.routine)
                except BaseException:
                    app.close()
                    raise
            self._app = app
        return self._app

    def close(self) -> None:
        if self._app is not None:
            from rollminder.cli.skipped import warn_skipped

            warn_skipped(self._app)  # rows left out because they cannot be read (issue 18)
            self._app.close()
            self._app = None


pass_ctx = click.make_pass_decorator(Context)


#: Every command, in the order the help lists them (it reads as a tour), and where it lives.
#: A command's module is imported only when that command runs: start-up time is a feature.
COMMANDS = {
    "setup": "planning:setup",
    "plan": "planning:plan",
    "routine": "routines:routine",
    "next": "outlook:next_",
    "status": "outlook:status",
    "done": "logbook:done",
    "skip": "logbook:skip",
    "pause": "logbook:pause",
    "travel": "travel:travel",
    "pauses": "logbook:pauses",
    "resume": "logbook:resume",
    "history": "logbook:history",
    "delete": "logbook:delete",
    "edit": "fixes:edit",
    "undo": "fixes:undo",
    "stats": "logbook:stats",
    "roller": "things:roller",
    "visit": "things:visit",
    "settings": "things:settings",
    "export": "data:export",
    "import": "data:import_",
    "backup": "data:backup",
    # the skin journal (issue 17)
    "photo": "journal:photo",
    "report": "journal:report",
    "calendar": "calendar:calendar",
    # reminders (issue #5)
    "remind": "remind:remind",
    "daemon": "remind:daemon",
    "snooze": "remind:snooze",
    "channel": "remind:channel",
    "service": "remind:service",
    # -- the guided session (issue 4)
    "check": "check:check",
    "start": "session:start",
    "serve": "web:serve",
    "password": "web:password",
    "doctor": "doctor:doctor",
    # hosted mode (issue #15)
    "db": "db:db",
}


class StdoutClosed(Exception):
    """The reader of our standard output went away (``rollminder history | head``).

    Not an OSError, so that click's own EPIPE handling (exit status 1) lets it through to
    :func:`main`, which stops writing quietly.
    """


class LazyGroup(click.Group):
    """Loads a command's module on first use."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:  # --help is printed while the command line is parsed
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError as exc:
            raise StdoutClosed from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise StdoutClosed from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        import importlib

        module, attr = spec.split(":")
        command = getattr(importlib.import_module(f"rollminder.cli.{module}"), attr)
        assert isinstance(command, click.Command)
        return command


#: Where unexpected errors are logged: the data directory in use, once the command line is read.
_home_in_use: Path | None = None
_profile_in_use: str | None = None


def _data_dir(text: str | None) -> Path:
    """The data directory from --home / ROLLMINDER_HOME, or the platform's default."""
    if text is None:
        return default_home()
    if not text.strip():
        raise InvalidInput(
            "The data directory name is blank: give a folder with --home DIR or ROLLMINDER_HOME."
        )
    if "\x00" in text:
        raise InvalidInput("The data directory name cannot contain a NUL character.")
    home = Path(text).expanduser()
    if home.exists() and not home.is_dir():
        raise InvalidInput(
            f"The data directory {home} is a file, not a folder: "
            "choose a folder with --home or ROLLMINDER_HOME."
        )
    return home


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    metavar="DIR",
    envvar="ROLLMINDER_HOME",
    help="Data directory (default: the platform's user data directory; env ROLLMINDER_HOME).",
)
@click.option(
    "--profile",
    metavar="NAME",
    default=DEFAULT_PROFILE,
    envvar="ROLLMINDER_PROFILE",
    show_default=True,
    help="Whose plan and log to use (a household can share one install).",
)
@click.version_option(__version__, "--version", prog_name="rollminder")
@click.pass_context
def cli(ctx: click.Context, home: str | None, profile: str) -> None:
    """rollminder keeps you on your derma-roller routine: it plans sessions, guides them and
    keeps an honest log.

    Not medical advice: ask a dermatologist before you start.
    """
    global _home_in_use, _profile_in_use
    if os.environ.get("NO_COLOR"):  # https://no-color.org: any non-empty value
        ctx.color = False
    env = Env(
        home=_data_dir(home),
        profile=valid_profile(profile),
        clock=clock_from_environment(),
        monotonic=monotonic_from_environment(),
    )
    _home_in_use, _profile_in_use = env.home, env.profile
    obj = Context(env)
    ctx.obj = obj
    ctx.call_on_close(obj.close)


def _log_unexpected(exc: BaseException) -> str:
    """Write the traceback where a developer can find it; return where that is."""
    from rollminder.errorlog import log_unexpected

    logged = log_unexpected(_home_in_use or default_home(), exc, face="cli")
    return str(logged) if logged else ""


def _usage_hint(exc: click.UsageError) -> str:
    path = exc.ctx.command_path if exc.ctx is not None else "rollminder"
    return f" (see '{path} --help')"


def _safe_streams() -> None:
    """On a terminal or pipe that is not UTF-8 (LANG=en_US.ISO-8859-1, Windows cp1252), print
    what can be printed and a '?' for the rest, rather than stop half way with an error.
    JSON and exports stay lossless: they escape or write UTF-8 themselves (see fmt.echo_json)."""
    import io

    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding not in ("utf8", "utf_8") and isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def _interrupted_at_prompt(exc: BaseException) -> bool:
    """Ctrl-C or Ctrl-D at a prompt: the cursor still sits after the question."""
    return exc.__cause__ is None and isinstance(exc.__context__, KeyboardInterrupt | EOFError)


def _said(exc: RollminderError) -> str:
    """An error's line in the CLI's words: a missing plan names the command that makes one."""
    if isinstance(exc, NoPlan):
        profile = _profile_in_use or DEFAULT_PROFILE
        if profile == DEFAULT_PROFILE:
            return "No plan yet: run 'rollminder setup' first."
        return f"No plan yet for {profile}: run 'rollminder --profile {profile} setup' first."
    return exc.message


def _say_error(line: str) -> None:
    """An error's one line on standard error, with what it quotes of the input made harmless
    for the terminal (fmt.safe) and kept on one line."""
    from rollminder.cli.fmt import safe

    click.echo(safe(line).replace("\n", " ").replace("\t", " "), err=True)


def main(argv: list[str] | None = None, *, prog_name: str = "rollminder") -> int:
    """The console script. Never lets a traceback reach the person."""
    global _home_in_use, _profile_in_use
    _home_in_use = _profile_in_use = None
    _safe_streams()
    no_args_is_help = getattr(click.exceptions, "NoArgsIsHelpError", ())
    try:
        try:
            result = cli.main(args=argv, prog_name=prog_name, standalone_mode=False)
            # A command's ``click.exceptions.Exit(n)`` comes back as n (commands return None).
            code = (
                result if isinstance(result, int) and not isinstance(result, bool) else ExitCode.OK
            )
        finally:
            sys.stdout.flush()
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except no_args_is_help as exc:
        # `rollminder` or `rollminder roller` alone: show what there is to do, not an error.
        assert isinstance(exc, click.UsageError) and exc.ctx is not None
        click.echo(exc.ctx.get_help(), color=exc.ctx.color)
        code = ExitCode.OK
    except click.UsageError as exc:
        _say_error(f"Error: {exc.format_message()}{_usage_hint(exc)}")
        code = ExitCode.USAGE
    except click.ClickException as exc:
        _say_error(f"Error: {exc.format_message()}")
        code = exc.exit_code
    except RollminderError as exc:
        _say_error(f"Error: {_said(exc)}")
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt, EOFError) as exc:
        if _interrupted_at_prompt(exc) or isinstance(exc, KeyboardInterrupt | EOFError):
            click.echo(err=True)  # end the line the ^C or ^D was typed on
        click.echo("Aborted.", err=True)
        code = ExitCode.INTERRUPTED
    except (StdoutClosed, BrokenPipeError):
        # `rollminder history | head`: quietly stop writing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = ExitCode.OK
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        _say_error(f"Error: {exc.strerror or exc}{where}")
        code = ExitCode.REFUSED
    except Exception as exc:  # the last line of defence: one line, details in a file
        logged = _log_unexpected(exc)
        more = f" Details were written to {logged}." if logged else ""
        what = " ".join(str(exc).split())[:200]
        _say_error(f"Error: unexpected problem ({type(exc).__name__}: {what}).{more}")
        code = ExitCode.REFUSED
    if argv is None:
        sys.exit(int(code))
    return int(code)
