"""The docs name only commands and options that exist, and docs/cli.md is what `--help` says
(issue #10). `make docs` regenerates docs/cli.md."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from rollminder.cli import cli
from rollminder.cli.reference import commands, generated, options, rewrite

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ROOT_OPTIONS = options(cli) | {"--version"}


def test_the_reference_is_up_to_date() -> None:
    path = ROOT / "docs" / "cli.md"
    text = path.read_text(encoding="utf-8")
    assert text == rewrite(text), "docs/cli.md is out of date: run 'make docs'"


def test_the_reference_holds_every_command_and_option() -> None:
    text = generated()
    for path, command in commands():
        assert f"## `{' '.join(('rollminder', *path))}`" in text
        for opt in options(command) - {"-h"}:
            assert opt in text, (path, opt)


def mentions(text: str) -> list[str]:
    """Command lines that start with `rollminder `: `$ rollminder ...` lines in code blocks and
    inline code spans."""
    found = [m.group(1) for m in re.finditer(r"^\s*\$ (rollminder[^\n]*)$", text, re.M)]
    found += [m.group(1) for m in re.finditer(r"`(rollminder [^`\n]+)`", text)]
    return found


def check(line: str) -> list[str]:
    """What is wrong with one command line ([] when every command and option exists)."""
    line = line.split(" #", 1)[0].replace("\\", " ")
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    problems: list[str] = []
    command: click.Command = cli
    ctx = click.Context(cli, info_name="rollminder")
    allowed = set(ROOT_OPTIONS)
    for word in words[1:]:
        if word in ("|", ">", "&&", ";"):
            break
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            if re.fullmatch(r"--?[a-z][a-z0-9-]*", name) and name not in allowed | ROOT_OPTIONS:
                problems.append(f"{line!r}: no option {name}")
            continue
        if isinstance(command, click.Group) and re.fullmatch(r"[a-z][a-z-]*", word):
            sub = command.get_command(ctx, word)
            if sub is None:
                if command is cli or not command.invoke_without_command:
                    problems.append(f"{line!r}: no command {word!r}")
                break
            ctx = click.Context(sub, info_name=word, parent=ctx)
            command = sub
            allowed = options(sub)
    return problems


def test_the_checker_catches_what_is_wrong() -> None:
    assert check("rollminder next --count 3") == []
    assert check("rollminder roller add --label 'face roller'") == []
    assert check("rollminder nxet") != []
    assert check("rollminder next --cuont 3") != []
    assert check("rollminder roller polish") != []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_the_docs_name_only_what_exists(doc: Path) -> None:
    problems = [p for line in mentions(doc.read_text(encoding="utf-8")) for p in check(line)]
    assert problems == []
