"""A stored row the code cannot read (issue 18 item 6): which table, which row, which column,
the value found and what is wrong with it. The store leaves such rows out of every read and
lists them (``Rollminder.skipped_rows``, ``damaged_rows``); ``rollminder doctor`` and the web
page /damaged name them and delete them on request. A plain record: no IO."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DamagedRow:
    table: str
    id: str  # the row's id as stored (shown to people; may itself be the damaged value)
    rowid: int  # what deletes it
    column: str  # "" when no single column is to blame
    value: str  # the stored value, shortened, as text
    problem: str  # one line

    @property
    def label(self) -> str:
        """``sessions row 1a2b3c4d (start: 'garbage')``."""
        where = f" ({self.column}: {self.value!r})" if self.column else ""
        return f"{self.table} row {self.id[:8] or '?'}{where}"
