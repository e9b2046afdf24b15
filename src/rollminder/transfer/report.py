"""What an import did, kind by kind."""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class KindCounts:
    """What an import did to one kind of row."""

    kind: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


@dataclass(frozen=True)
class ImportReport:
    source: str
    counts: tuple[KindCounts, ...]  # one per kind, in KINDS order
    settings_changed: bool = False

    def count(self, kind: str) -> KindCounts:
        for found in self.counts:
            if found.kind == kind:
                return found
        raise KeyError(kind)

    @property
    def added(self) -> int:
        return sum(c.added for c in self.counts)

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts)

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.counts)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.settings_changed)

    def summary(self) -> str:
        """One line for people, e.g. 'Imported backup.json: 3 added (2 sessions, 1 skip), ...'."""
        if not self.changed:
            rows = self.unchanged
            return (
                f"Nothing new in {self.source}: all {rows} row{'s' if rows != 1 else ''} "
                "were already here."
            )
        parts = []
        for what in ("added", "updated"):
            n = getattr(self, what)
            detail = ", ".join(
                _plural(getattr(c, what), c.kind) for c in self.counts if getattr(c, what)
            )
            parts.append(f"{n} {what} ({detail})" if n else f"0 {what}")
        parts.append(f"{self.unchanged} unchanged")
        settings = "; settings updated" if self.settings_changed else ""
        return f"Imported {self.source}: {', '.join(parts)}{settings}."


def _plural(n: int, kind: str) -> str:
    if n == 1:
        return f"1 {'series' if kind == 'series' else kind[:-1]}"
    return f"{n} {kind}"
