"""`rollminder service install` with hostile data directories (issue 18, item 8): a path with a
line break or another control character is refused with one line and nothing is written; any
other path reaches the daemon's argv exactly as it is, through the systemd unit (read here as
systemd reads it, systemd.syntax(7), and checked by systemd-analyze) and through the cron line
(read as cron and then sh read it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rollminder.cli import main
from rollminder.env import Env
from rollminder.remind import service_unit
from tests.need import missing

#: Everything a shell, systemd or cron treats specially, but no control character.
HOSTILE = "we ird %h %% $HOME ${X} \"q\" 'a' \\b \\%n ;x ` & é"


def _unit_words(value: str) -> list[str]:
    """An ExecStart= value as systemd turns it into argv: specifiers first (only ``%%`` may
    appear here), then words split on whitespace with double and single quotes and C escapes
    (systemd.syntax(7), "Quoting"), then ``$$`` to ``$`` (systemd.service(5), "Command lines")."""
    text = ""
    i = 0
    while i < len(value):
        if value[i] == "%":
            assert value[i + 1] == "%", f"a specifier %{value[i + 1]} in {value!r}"
            text += "%"
            i += 2
        else:
            text += value[i]
            i += 1
    escapes = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "s": " "}
    words: list[str] = []
    word: str | None = None
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            word = (word or "") + escapes[text[i + 1]]
            i += 2
            continue
        if quote:
            if c == quote:
                quote = ""
            else:
                word = (word or "") + c
        elif c in "\"'":
            quote, word = c, word or ""
        elif c.isspace():
            if word is not None:
                words.append(word)
            word = None
        else:
            word = (word or "") + c
        i += 1
    assert not quote, f"an unterminated quote in {value!r}"
    if word is not None:
        words.append(word)
    out = []
    for w in words:
        assert "$" not in w.replace("$$", ""), f"a variable would be expanded in {w!r}"
        out.append(w.replace("$$", "$"))
    return out


def _cron(command: str) -> str:
    """What cron hands to /bin/sh: cronie's and Vixie cron's do_command.c cut the command at the
    first ``%`` not escaped by a backslash (the rest becomes standard input) and turn ``\\%``
    into ``%``; every other backslash stays."""
    out: list[str] = []
    escaped = False
    for ch in command:
        if escaped:
            if ch == "%":
                out[-1] = "%"
            else:
                out.append(ch)
            escaped = False
            continue
        if ch == "%":
            break
        out.append(ch)
        if ch == "\\":
            escaped = True
    return "".join(out)


@pytest.fixture
def dumper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the interpreter: writes the arguments it got, NUL-separated."""
    exe = tmp_path / "bin" / "python-stand-in"
    exe.parent.mkdir()
    exe.write_text('#!/bin/sh\nprintf "%s\\0" "$@" > "$ARGV_OUT"\n')
    exe.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(exe))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("ROLLMINDER_NOW", raising=False)
    return exe


@pytest.mark.parametrize(
    "tail",
    [
        "x\nExecStartPre=/bin/touch /tmp/pwned",
        "x\rExecStartPre=/bin/true",
        "tab\there",
        "esc\x1b[2Jhere",
        "nel\x85here",
        "del\x7fhere",
    ],
)
def test_a_path_with_a_control_character_is_refused_and_nothing_written(
    tmp_path: Path, dumper: Path, capsys: pytest.CaptureFixture[str], tail: str
) -> None:
    home = tmp_path / tail
    code = main(["--home", str(home), "service", "install", "--no-start"])
    out, err = capsys.readouterr()
    assert code == 1, out
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "Cannot install the service" in err and "--home" in err
    assert "\x1b" not in err and "\x85" not in err and "ExecStartPre=/bin" not in err.split("\\")[0]
    assert not (tmp_path / "config").exists()  # no unit, not even the directory
    assert "Wrote" not in out


def test_a_hostile_but_printable_path_reaches_the_daemon_exactly(
    tmp_path: Path, dumper: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / HOSTILE
    assert main(["--home", str(home), "service", "install", "--no-start"]) == 0
    out = capsys.readouterr().out
    expected = [str(dumper), "-m", "rollminder", "--home", str(home.resolve())]
    expected += ["--profile", "default", "daemon"]

    unit = tmp_path / "config" / "systemd" / "user" / "rollminder.service"
    directives = [
        line.partition("=")[0]
        for line in unit.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith(("#", "["))
    ]
    assert directives == [
        "Description",
        "Type",
        "ExecStart",
        "Restart",
        "RestartSec",
        "TimeoutStopSec",
        "Environment",
        "WantedBy",
    ]
    (exec_start,) = [
        line.partition("=")[2]
        for line in unit.read_text(encoding="utf-8").splitlines()
        if line.startswith("ExecStart=")
    ]
    assert _unit_words(exec_start) == expected

    exe = shutil.which("systemd-analyze")
    if exe is None:
        missing("systemd-analyze is not installed (APT_PACKAGES has systemd)")
    proc = subprocess.run([exe, "verify", str(unit)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr

    # The cron line, as cron and then sh read it, runs the stand-in with the same arguments.
    (cron,) = [line.partition("instead: ")[2] for line in out.splitlines() if "crontab" in line]
    assert cron.startswith("* * * * * ") and "\n" not in cron
    command = _cron(cron.removeprefix("* * * * * "))
    assert command.endswith(" >/dev/null 2>&1")  # nothing was cut off at a %
    argv_out = tmp_path / "argv"
    env = {**os.environ, "ARGV_OUT": str(argv_out)}
    subprocess.run(["/bin/sh", "-c", command], env=env, check=True, timeout=10)
    got = argv_out.read_bytes().decode("utf-8").split("\0")[:-1]
    assert got == [*expected[1:-1], "remind"]


@pytest.mark.parametrize("piece", ["%", "a%", "%b", "\\%", "a\\%%b\\", "'%'", "%%%"])
def test_every_percent_survives_cron(tmp_path: Path, dumper: Path, piece: str) -> None:
    home = tmp_path / piece
    words = service_unit.cron_line(Env(home=home)).removeprefix("* * * * * ")
    argv_out = tmp_path / "argv"
    env = {**os.environ, "ARGV_OUT": str(argv_out)}
    subprocess.run(["/bin/sh", "-c", _cron(words)], env=env, check=True, timeout=10)
    got = argv_out.read_bytes().decode("utf-8").split("\0")[:-1]
    assert got[3] == str(home.resolve())
