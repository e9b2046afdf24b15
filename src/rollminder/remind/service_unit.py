"""``rollminder service install|uninstall|status``: a systemd user service for the daemon, and
the cron line for machines without systemd.

The unit runs ``python -m rollminder --home HOME --profile P daemon`` with the interpreter that
installed it (so the venv is right) and restarts it when it fails. ``Type=simple`` plus
``Restart=on-failure``: the daemon itself sleeps until the next due instant, so no timer (and no
AccuracySec rounding) is involved.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from rollminder.env import DEFAULT_PROFILE, Env
from rollminder.errors import InvalidInput

UNIT_PREFIX = "rollminder"


class Outcome(NamedTuple):
    path: Path
    lines: tuple[str, ...]  # what happened, one sentence each


def unit_name(profile: str) -> str:
    return (
        f"{UNIT_PREFIX}.service"
        if profile == DEFAULT_PROFILE
        else f"{UNIT_PREFIX}-{profile}.service"
    )


def unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def command(env: Env, what: str = "daemon") -> list[str]:
    return [
        sys.executable,
        "-m",
        "rollminder",
        "--home",
        str(env.home.resolve()),
        "--profile",
        env.profile,
        what,
    ]


def _unsafe(arg: str) -> str | None:
    """Why ``arg`` cannot go into a unit file or a crontab, or None. A line break would end the
    directive (and start one of the path's choosing: ``ExecStartPre=``...), other control
    characters have no quoting in either file, and a name that is not UTF-8 (undecodable bytes
    come back as lone surrogates) cannot be written to a unit file at all."""
    for c in arg:
        if c in "\n\r":
            return "a line break"
        if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F:
            return "a control character"
        if 0xD800 <= ord(c) <= 0xDFFF:
            return "bytes that are not UTF-8"
    return None


def check(env: Env) -> list[str]:
    """The daemon's command for ``env``, or :class:`InvalidInput` when a part of it (the data
    directory's path, as a rule) cannot be written safely into a unit file or a crontab."""
    args = command(env)
    for arg in args:
        why = _unsafe(arg)
        if why is not None:
            shown = "".join(
                c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in arg
            )
            raise InvalidInput(
                f"Cannot install the service: the path {shown[:120]} holds {why}, which a "
                "systemd unit or a crontab line cannot carry; use a data directory (--home) "
                "without one."
            )
    return args


def _quote(arg: str) -> str:
    """One ExecStart word, per systemd.syntax(7) and systemd.service(5): a plain word as is,
    anything else in double quotes with ``\\`` and ``"`` escaped; ``%`` (a specifier) doubled
    and ``$`` (an environment variable) doubled, inside quotes too. Control characters never get
    here (:func:`check`)."""
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if arg and all(c.isascii() and (c.isalnum() or c in "/._-=:+,") for c in arg):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unit_text(env: Env) -> str:
    exec_start = " ".join(_quote(a) for a in check(env))
    profile = env.profile.replace("%", "%%")
    return (
        "# Written by 'rollminder service install'; remove with 'rollminder service uninstall'.\n"
        "[Unit]\n"
        f"Description=rollminder reminders (profile {profile})\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"ExecStart={exec_start}\n"
        "Restart=on-failure\n"
        "RestartSec=10\n"
        # A clean stop (SIGTERM) ends the daemon within a second.
        "TimeoutStopSec=10\n"
        "Environment=PYTHONUNBUFFERED=1\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def _cron_word(arg: str) -> str:
    """One shell word for a crontab command. cron ends the command at the first ``%`` not
    preceded by a backslash (what follows becomes standard input) and drops the backslash of
    ``\\%``, inside shell quotes or not (crontab(5); cronie's and Vixie cron's do_command.c).
    So each ``%`` stands outside the shell's quotes as ``\\%`` (the shell then sees a bare
    ``%``), between quoted pieces, whose own backslashes stay inside single quotes and never
    precede it."""
    if "%" not in arg:
        return shlex.quote(arg)
    return "\\%".join(shlex.quote(piece) if piece else "" for piece in arg.split("%"))


def cron_line(env: Env) -> str:
    """For machines without systemd: one pass a minute (cron's granularity is one minute)."""
    check(env)
    words = " ".join(_cron_word(a) for a in command(env, "remind"))
    return f"* * * * * {words} >/dev/null 2>&1"


def _systemctl(*args: str) -> tuple[bool, str]:
    exe = shutil.which("systemctl")
    if exe is None:
        return False, "systemctl is not installed"
    try:
        proc = subprocess.run(
            [exe, "--user", *args], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    out = (proc.stdout + proc.stderr).strip().splitlines()
    return proc.returncode == 0, out[-1] if out else f"exit status {proc.returncode}"


def install(env: Env, *, start: bool = True) -> Outcome:
    text, cron = unit_text(env), cron_line(env)  # refused before anything is written
    path = unit_dir() / unit_name(env.profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    lines = [f"Wrote {path}."]
    if start:
        ok, why = _systemctl("daemon-reload")
        if ok:
            ok, why = _systemctl("enable", "--now", unit_name(env.profile))
        if ok:
            lines.append(f"Started {unit_name(env.profile)}; it starts again at each login.")
        else:
            lines.append(
                f"Could not start it with systemctl --user ({why}). Start it later with "
                f"'systemctl --user enable --now {unit_name(env.profile)}'."
            )
    lines.append(f"Without systemd, add this line with 'crontab -e' instead: {cron}")
    return Outcome(path, tuple(lines))


def uninstall(env: Env) -> Outcome:
    path = unit_dir() / unit_name(env.profile)
    lines = []
    if path.exists():
        _systemctl("disable", "--now", unit_name(env.profile))
        path.unlink()
        _systemctl("daemon-reload")
        lines.append(f"Stopped and removed {path}.")
    else:
        lines.append(f"No service installed ({path} does not exist).")
    return Outcome(path, tuple(lines))


def status(env: Env) -> Outcome:
    path = unit_dir() / unit_name(env.profile)
    if not path.exists():
        return Outcome(path, (f"Not installed: 'rollminder service install' writes {path}.",))
    _ok, why = _systemctl("is-active", unit_name(env.profile))
    state = why if why else "unknown"
    return Outcome(path, (f"Installed at {path}; systemd says: {state}.",))
