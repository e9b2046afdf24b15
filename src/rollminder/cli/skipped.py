"""The line a command adds on standard error when its reads left out stored rows that cannot
be read (issue 18 item 6; ``rollminder doctor`` lists and deletes them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollminder.cli.fmt import echo

if TYPE_CHECKING:
    from rollminder.damage import DamagedRow
    from rollminder.service import Rollminder


def describe(rows: list[DamagedRow]) -> str:
    """``sessions row 1a2b3c4d (start: 'garbage')``, and so on."""
    shown = ", ".join(row.label for row in rows[:3])
    if len(rows) > 3:
        shown += f" and {len(rows) - 3} more"
    return shown


def warn_skipped(app: Rollminder) -> None:
    """One line on standard error when reads left rows out (nothing otherwise)."""
    try:
        rows = app.skipped_rows()
    except Exception:  # a closing store must never turn success into failure
        return
    if rows:
        one = len(rows) == 1
        echo(
            f"Left out {len(rows)} stored row{'' if one else 's'} that cannot be read: "
            f"{describe(rows)}. 'rollminder doctor' lists {'it' if one else 'them'}, "
            f"'rollminder doctor --fix' deletes {'it' if one else 'them'}.",
            err=True,
        )
