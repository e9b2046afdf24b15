"""Junk on every CLI option and argument: a one-line error (or success), never a traceback,
and a failed command changes nothing."""

from __future__ import annotations

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
    cases = []
    for path, command in _walk(cli):
        if path in SKIP:
            continue
        for param in command.params:
            if isinstance(param, click.Option) and param.is_flag:
                continue
            name = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
            if name in ("--help",):
                continue
            cases.append((path, name))
    return cases


def _argv(path: tuple[str, ...], command: click.Command, target: str, junk: str) -> list[str]:
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
    } <= commands
    assert len(CASES) >= 40


@pytest.mark.parametrize(("path", "target"), CASES, ids=[" ".join(p) + " " + t for p, t in CASES])
def test_junk_gets_one_line_and_changes_nothing(
    planned: Runner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    path: tuple[str, ...],
    target: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    command: click.Command = cli
    for part in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), part)
        assert found is not None
        command = found
    baseline = {"export": planned("export").out}

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                [
                    "",
                    "-1",
                    "0",
                    "1e309",
                    "nan",
                    "../../etc/passwd",
                    "2026-02-30",
                    "99:99",
                    "' OR 1=1",
                    "<script>alert(1)</script>",
                    "\x00",
                    "é" * 300,
                    "mon,mon,mon",
                    "-3d",
                ]
            ),
        )
    )
    def check(junk: str) -> None:
        result = planned(*_argv(path, command, target, junk))
        assert "Traceback" not in result.out + result.err
        assert result.code in (0, 1, 2), result
        if result.code == 0:
            baseline["export"] = planned("export").out
            return
        lines = result.err.strip().splitlines()
        assert len(lines) == 1, result.err
        assert lines[0].startswith("Error: ")
        assert planned("export").out == baseline["export"]

    check()
