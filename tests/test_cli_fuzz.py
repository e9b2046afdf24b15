"""Junk on every CLI option and argument: a one-line error (or success), never a traceback,
and a failed command changes nothing."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollminder.cli import cli
from tests.conftest import Runner

#: Valid values for the parameters a command cannot run without.
REQUIRED = {
    "--from": "2026-12-10",
    "--until": "2026-12-12",
    "--reason": "irritated",
    "WHEN": "2026-12-16T10:00",
    "ENTRY_ID": "abcdef",
    "VISIT_ID": "abcdef",
    "ID": "abcdef",
    "[KIND] ID": "abcdef",
    "[ID] NAME": "face roller",
    "FILE": "nothing-here.json",
}
#: Commands that wait for a person (a prompt) are given --yes or skipped from the fuzz.
SKIP = {("setup",), ("backup", "restore")}


def _walk(
    group: click.Group, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        here = (*path, name)
        out.append((here, command))
        if isinstance(command, click.Group):
            out.extend(_walk(command, here))
    return out


def _cases() -> list[tuple[tuple[str, ...], str]]:
    """Every option and argument that takes a value, of every command (a new one is fuzzed
    without a change here), and the group's own options (path ``()``, run with ``next``)."""
    cases = []
    for path, command in [((), cli), *_walk(cli)]:
        if path in SKIP:
            continue
        for param in command.params:
            if isinstance(param, click.Option) and (param.is_flag or param.count):
                continue
            name = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
            if name in ("--help",):
                continue
            cases.append((path, name))
    return cases


def _argv(path: tuple[str, ...], command: click.Command, target: str, junk: str) -> list[str]:
    if not path:  # the group's options: rollminder --profile JUNK next
        return [target, junk, "next"]
    argv = list(path)
    positional = []
    for param in command.params:
        is_opt = isinstance(param, click.Option)
        name = param.opts[0] if is_opt else param.human_readable_name
        value = junk if name == target else REQUIRED.get(name) if param.required else None
        if value is None:
            continue
        if is_opt:
            argv += [name, value]
        else:
            positional.append(value)
    return [*argv, "--", *positional] if positional else argv


CASES = _cases()


#: What an attacker types first: huge numbers, lone surrogates (what Python makes of bytes that
#: are not UTF-8), terminal controls (ESC, CSI as U+009B, OSC as U+009D), bidi overrides, NUL.
HOSTILE = [
    "99999999999999999999",
    "-99999999999999999999",
    "1" * 400,
    "9" * 5000,
    "1e400",
    "\udcff",
    "a\udcc3\udca9b",
    "\x1b[2J\x1b]0;pwned\x07",
    "\x9b31m\x9d0;x\x9c",
    "evil\u202egnp.exe",
    "\x00",
    "2026-11-26\n21:00",
]
#: Text of every kind: letters and digits, and the categories that break programs (Cs: lone
#: surrogates, Cc: controls, Cf: bidi and other format characters), and whole numbers of any size.
junk_text = st.one_of(
    st.text(st.characters(categories=["L", "N", "P", "S", "Zs", "Cc", "Cf", "Cs"]), max_size=30),
    st.integers().map(str),
    st.integers(min_value=10**15).map(str),
)
#: Characters no output line may carry (they would act on the terminal): see fmt.safe.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def test_the_fuzz_covers_every_command() -> None:
    commands = {path for path, _ in CASES}
    assert {
        ("done",),
        ("next",),
        ("skip",),
        ("pause",),
        ("history",),
        ("plan", "set"),
        ("roller", "add"),
        ("visit", "add"),
        ("import",),
        ("export",),
        ("channel", "add"),
        ("edit", "session"),
        ("edit", "skip"),
        ("edit", "pause"),
        ("edit", "visit"),
        ("edit", "roller"),
        ("roller", "rename"),
        ("roller", "use"),
        ("delete",),
    } <= commands
    assert ((), "--profile") in CASES
    assert len(CASES) >= 60


def _profiles(home: Path) -> list[str]:
    conn = sqlite3.connect(home / "rollminder.db")
    try:
        return [row[0] for row in conn.execute("SELECT name FROM profiles ORDER BY id")]
    finally:
        conn.close()


@pytest.mark.parametrize(("path", "target"), CASES, ids=[" ".join(p) + " " + t for p, t in CASES])
def test_junk_gets_one_line_and_changes_nothing(
    planned: Runner,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    path: tuple[str, ...],
    target: str,
) -> None:
    """No "unexpected problem", ever: a refusal is one line (exit 1 or 2) and changes nothing,
    not even an empty profile; no output carries a character that acts on the terminal."""
    monkeypatch.chdir(tmp_path)
    command: click.Command = cli
    for part in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), part)
        assert found is not None
        command = found
    baseline = {"export": planned("export").out}

    def check(junk: str) -> None:
        result = planned(*_argv(path, command, target, junk))
        assert "Traceback" not in result.out + result.err
        assert "unexpected problem" not in result.err, result.err
        assert result.code in (0, 1, 2), result
        assert UNSAFE.search(result.out + result.err) is None, result
        if result.code == 0:
            baseline["export"] = planned("export").out
            return
        lines = result.err.strip().splitlines()
        assert len(lines) == 1, result.err
        assert lines[0].startswith("Error: ")
        assert planned("export").out == baseline["export"]
        assert _profiles(home) == ["default"]

    for junk in HOSTILE:
        check(junk)

    @settings(
        max_examples=6,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        st.one_of(
            junk_text,
            st.sampled_from(
                [
                    "",
                    "-1",
                    "0",
                    "nan",
                    "../../etc/passwd",
                    "2026-02-30",
                    "99:99",
                    "' OR 1=1",
                    "<script>alert(1)</script>",
                    "é" * 300,
                    "mon,mon,mon",
                    "-3d",
                ]
            ),
        )
    )
    def fuzz(junk: str) -> None:
        check(junk)

    fuzz()
