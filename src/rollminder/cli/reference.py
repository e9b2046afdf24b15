"""The CLI reference (docs/cli.md), generated from the commands' own ``--help``.

``python -m rollminder.cli.reference`` rewrites the generated part of docs/cli.md (between the
markers; the text around them is kept); ``make docs`` runs it, and tests/test_cli_reference.py
fails when the file is not what it would write, or when the docs name a command or an option
that does not exist. The same idea as sqlite-utils' cog-generated CLI reference, without cog.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

BEGIN = "<!-- BEGIN GENERATED: python -m rollminder.cli.reference -->"
END = "<!-- END GENERATED -->"
WIDTH = 100


def commands() -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and subcommand, depth first in the order the help lists them, with its
    path (``("roller", "add")``)."""
    from rollminder.cli import cli

    def walk(
        group: click.Group, path: tuple[str, ...], ctx: click.Context
    ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            here = (*path, name)
            yield here, command
            if isinstance(command, click.Group):
                yield from walk(command, here, click.Context(command, info_name=name, parent=ctx))

    root = click.Context(cli, info_name="rollminder")
    yield (), cli
    yield from walk(cli, (), root)


def options(command: click.Command) -> set[str]:
    """Every option string a command takes (``--json``, ``-n``)."""
    found = {"--help", "-h"}
    for param in command.params:
        if isinstance(param, click.Option):
            found.update(param.opts)
            found.update(param.secondary_opts)
    return found


def help_text(path: tuple[str, ...], command: click.Command) -> str:
    from rollminder.cli import cli

    settings = {**cli.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = click.Context(cli, info_name="rollminder", **settings)
    for name in path:
        ctx = click.Context(
            command if name == path[-1] else _sub(ctx, name),
            info_name=name,
            parent=ctx,
            terminal_width=WIDTH,
            max_content_width=WIDTH,
        )
    return command.get_help(ctx).rstrip()


def _sub(ctx: click.Context, name: str) -> click.Command:
    group = ctx.command
    assert isinstance(group, click.Group)
    found = group.get_command(ctx, name)
    assert found is not None
    return found


def generated() -> str:
    """The generated part of docs/cli.md."""
    parts = [BEGIN, ""]
    for path, command in commands():
        title = " ".join(("rollminder", *path))
        parts += [f"## `{title}`", "", "```text", help_text(path, command), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def rewrite(document: str) -> str:
    """``document`` with its generated part replaced (appended when it has none)."""
    if BEGIN in document and END in document:
        before, rest = document.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        return before + generated() + after
    return document.rstrip() + "\n\n" + generated() + "\n"


def main() -> int:
    os.environ.setdefault("COLUMNS", str(WIDTH))
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/cli.md")
    old = path.read_text(encoding="utf-8") if path.exists() else "# Command reference\n"
    new = rewrite(old)
    if new != old:
        path.write_text(new, encoding="utf-8")
        print(f"Rewrote {path}.")
    else:
        print(f"{path} is up to date.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
