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


def _quote(arg: str) -> str:
    """systemd's quoting for ExecStart: double quotes, with \\ and " escaped; % doubled."""
    if arg and all(c.isalnum() or c in "/._-=:+," for c in arg):
        return arg.replace("%", "%%")
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def unit_text(env: Env) -> str:
    exec_start = " ".join(_quote(a) for a in command(env))
    return (
        "# Written by 'rollminder service install'; remove with 'rollminder service uninstall'.\n"
        "[Unit]\n"
        f"Description=rollminder reminders (profile {env.profile})\n"
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


def cron_line(env: Env) -> str:
    """For machines without systemd: one pass a minute (cron's granularity is one minute)."""
    return f"* * * * * {shlex.join(command(env, 'remind'))} >/dev/null 2>&1"


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
    path = unit_dir() / unit_name(env.profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(unit_text(env), encoding="utf-8")
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
    lines.append(f"Without systemd, add this line with 'crontab -e' instead: {cron_line(env)}")
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
