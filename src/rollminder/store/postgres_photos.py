"""The photos' store role on PostgreSQL (issue 17, hosted): the rows of SQLite's ``photos`` table
plus the image bytes, in one profile table (schema version 7).

Where the images live: in the row, as ``bytea`` (``image``, the stored JPEG, and ``thumb``, its
thumbnail), not in files: a hosted install runs several stateless serve processes on machines
that share no disk, and the row-level-security policy and the per-account scoping that guard
every row then guard the images too. A photo and its bytes are one row, written by one
statement in the caller's transaction (or its own), so a photo is never listed without its
image or kept without its row; deleting the row deletes every copy the database holds (the
operator's ``pg_dump`` backups keep theirs until they age out: docs/hosting.md). Listing the
photos never reads the bytes (:data:`PHOTOS` maps only the record's columns).

Mixed into :class:`~rollminder.store.postgres.PostgresStore`; implements
:class:`~rollminder.store.photo_store.PhotoStore`.
"""

from __future__ import annotations

from rollminder.photos import Photo
from rollminder.store.photo_store import KINDS, check_kind
from rollminder.store.postgres_base import PostgresBase
from rollminder.store.postgres_rows import PgTable

PHOTOS = PgTable("photos", Photo, taken="instant", created_at="instant")
#: The column of each kind of image (a fixed name: never taken from the caller).
_SELECT_BYTES = {
    kind: f"SELECT {kind} FROM photos WHERE profile_id = %s AND id = %s" for kind in KINDS
}

_COLUMN_LIST = ", ".join(f'"{c}"' for c in PHOTOS.columns)
_MARKS = ", ".join("%s" for _ in PHOTOS.columns)
_UPDATES = ", ".join(
    f'"{c}" = excluded."{c}"' for c in (*PHOTOS.columns, "image", "thumb") if c != "id"
)
#: One statement: the row and both images together. A replaced photo keeps its ``seq`` (its
#: place among photos taken at the same instant).
_UPSERT = (
    f"INSERT INTO photos (profile_id, {_COLUMN_LIST}, image, thumb) "
    f"VALUES (%s, {_MARKS}, %s, %s) ON CONFLICT (profile_id, id) DO UPDATE SET {_UPDATES}"
)


class PostgresPhotos(PostgresBase):
    """Progress photos and their images (schema version 7)."""

    def photos(self) -> list[Photo]:
        return self._rows(PHOTOS, "ORDER BY taken, seq")

    def photo(self, id: str) -> Photo | None:
        found = self._rows(PHOTOS, "AND id = %s", (id,))
        return found[0] if found else None

    def put_photo(self, photo: Photo, image: bytes, thumb: bytes) -> None:
        self._write(_UPSERT, [*PHOTOS.encode(photo), bytes(image), bytes(thumb)])

    def photo_bytes(self, id: str, kind: str = "image") -> bytes | None:
        check_kind(kind)
        rows = self._query(_SELECT_BYTES[kind], (id,))
        return bytes(rows[0][0]) if rows else None

    def delete_photo(self, id: str) -> bool:
        return self._delete(PHOTOS, id)
