"""Use cases of keeping the data: export and import, backups made now, the secrets behind the
web app's links and login, and the data stamp the web app keys its caches on.

Backups of the whole data directory (list, restore) act on the file, not on one profile's
store: they live on :class:`rollminder.env.Env`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from rollminder.usecases.base import Base

if TYPE_CHECKING:
    from pathlib import Path

    from rollminder.damage import DamagedRow
    from rollminder.transfer import ImportReport


class Upkeep(Base):
    # -- export and import ----------------------------------------------------------------------

    def export_json(self) -> str:
        from rollminder import transfer

        return transfer.export_json(self.raw)

    def export_csv(self) -> str:
        from rollminder import transfer

        return transfer.export_csv(self.raw)

    def import_json(self, text: str, *, source: str) -> ImportReport:
        """Merge a JSON export (validated whole first; importing twice changes nothing)."""
        from rollminder import transfer

        return transfer.import_json(self.raw, text, source=source, now=self.now())

    # -- backups ----------------------------------------------------------------------------------

    def backup_now(self, backup_dir: Path) -> Path:
        """A consistent copy of the data now, in ``backup_dir``; returns its path."""
        now = self.now()
        dest = backup_dir / f"rollminder-manual-{now:%Y%m%dT%H%M%S}.db"
        self.store.backup_now(dest)
        return dest

    # -- rows the code cannot read (issue 18 item 6) ---------------------------------------------

    def skipped_rows(self) -> list[DamagedRow]:
        """Rows the reads so far left out because they do not decode (since the data last
        changed): what a page or a command names after it has shown the rest."""
        from rollminder.store.roles import RowDoctor

        return self.store.skipped_rows() if isinstance(self.store, RowDoctor) else []

    def damaged_rows(self) -> list[DamagedRow]:
        """Every row of this profile that does not decode (a full scan)."""
        from rollminder.store.roles import RowDoctor

        return self.store.damaged_rows() if isinstance(self.store, RowDoctor) else []

    def delete_damaged_row(self, table: str, rowid: int) -> bool:
        """Delete a row :meth:`damaged_rows` lists (only such a row: a row that decodes is
        refused, so this never deletes good data)."""
        from rollminder.store.roles import RowDoctor

        if not isinstance(self.store, RowDoctor):
            return False
        with self.store.transaction():
            if not any(r.table == table and r.rowid == rowid for r in self.store.damaged_rows()):
                return False
            return self.store.delete_damaged_row(table, rowid)

    def data_stamp(self) -> Hashable:
        """Differs after any change to the data, by anyone (the web app's cache key)."""
        return self.store.data_stamp()

    # -- secrets ----------------------------------------------------------------------------------

    def secret(self, name: str) -> str | None:
        return self.store.secret(name)

    def put_secret(self, name: str, value: str) -> None:
        self.store.put_secret(name, value)

    def delete_secret(self, name: str) -> bool:
        return self.store.delete_secret(name)

    def token(self, name: str) -> str:
        """The profile's secret token ``name`` (the feed's, the action links'), made on first
        use."""
        import secrets  # lazily: it pulls hashlib and random, ~7 ms at every CLI start

        with self.store.transaction():
            value = self.store.secret(name)
            if value is None:
                value = secrets.token_urlsafe(24)
                self.store.put_secret(name, value)
        return value

    def rotate_token(self, name: str) -> str:
        """A new token ``name``: links made with the old one stop working."""
        import secrets

        value = secrets.token_urlsafe(24)
        self.store.put_secret(name, value)
        return value
