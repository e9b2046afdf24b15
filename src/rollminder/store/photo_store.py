"""The photos' store role (issue 17): the rows (migration 9) and the image files beside them.

Where the images live: embedded, as files in the data directory, ``photos/<profile>/`` next to
the database (0o700 folders, 0o600 files, written atomically); the row holds what the pages
list. Files, not BLOBs in the database: the daily backups copy the database, and a photo deleted
must leave no copy behind in a week of backups (DOMAIN.md: "deleting one deletes it
everywhere"). A photo's files are ``<id>.jpg`` and ``<id>.thumb.jpg``; nothing else is kept.

:class:`PhotoStore` is a role of its own, not part of :class:`~rollminder.store.Store`: the
memory, SQLite and PostgreSQL stores have it (PostgreSQL keeps the images in the row:
:mod:`.postgres_photos`); a store without it makes the photo use cases say so in one line.
``tests/photo_contract.py`` holds what every implementation must do.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, runtime_checkable

from rollminder.errors import StorageError
from rollminder.photos import Photo
from rollminder.store.rows import Table

PHOTOS = Table("photos", Photo, taken="instant", created_at="instant")
KINDS = ("image", "thumb")


@runtime_checkable
class PhotoStore(Protocol):
    def photos(self) -> list[Photo]:
        """Sorted by ``taken``, then insertion."""
        ...

    def photo(self, id: str) -> Photo | None: ...

    def put_photo(self, photo: Photo, image: bytes, thumb: bytes) -> None:
        """Insert or replace by ``id``, with its image and thumbnail."""
        ...

    def photo_bytes(self, id: str, kind: str = "image") -> bytes | None:
        """The stored image (``image`` or ``thumb``), or None; another kind is a
        :class:`StorageError`."""
        ...

    def delete_photo(self, id: str) -> bool:
        """Delete the row and every file of it."""
        ...


_SAFE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
_ID = re.compile(r"^[0-9a-f]{32}$")


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise StorageError("That is not a kind of photo image.")


def folder_name(profile: str) -> str:
    """The profile's folder: its name when plain, else a digest (never a path a name escapes)."""
    if _SAFE.match(profile):
        return profile
    return "p-" + hashlib.sha256(profile.encode("utf-8")).hexdigest()[:24]


class PhotoFiles:
    """The image files of one profile, in ``root`` (``<data dir>/photos/<profile>``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, id: str, kind: str) -> Path:
        if not _ID.match(id) or kind not in KINDS:
            raise StorageError("That is not a photo id.")
        return self.root / (f"{id}.jpg" if kind == "image" else f"{id}.thumb.jpg")

    def write(self, id: str, image: bytes, thumb: bytes) -> None:
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            for kind, data in (("image", image), ("thumb", thumb)):
                target = self.path(id, kind)
                fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".photo-")
                try:
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(data)
                        fh.flush()
                        os.fsync(fh.fileno())
                    os.chmod(tmp, 0o600)
                    os.replace(tmp, target)
                except BaseException:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
                    raise
        except OSError as exc:
            raise StorageError(f"Cannot save the photo: {exc.strerror or exc}.") from exc

    def read(self, id: str, kind: str) -> bytes | None:
        try:
            return self.path(id, kind).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"Cannot read the photo: {exc.strerror or exc}.") from exc

    def remove(self, id: str) -> None:
        for kind in KINDS:
            try:
                self.path(id, kind).unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise StorageError(f"Cannot delete the photo: {exc.strerror or exc}.") from exc


class SqlitePhotos:
    """Mixed into :class:`~rollminder.store.sqlite.SqliteStore` (first, before
    :class:`SqliteBase`, whose :meth:`transaction` it wraps).

    The files follow the database: inside a transaction block, a deleted photo's files are
    removed only once the outermost block commits (a rollback keeps the row, so its images must
    stay), and the files of a photo put in a block that fails are removed when its row is gone.
    """

    path: Path
    profile: str
    _depth: int

    def _photo_files(self) -> PhotoFiles:
        return PhotoFiles(Path(self.path).parent / "photos" / folder_name(self.profile))

    def _photo_pending(self) -> set[str]:
        pending: set[str] | None = self.__dict__.get("_photos_touched")
        if pending is None:
            pending = self.__dict__["_photos_touched"] = set()
        return pending

    @contextmanager
    def transaction(self) -> Iterator[None]:
        outer = not self._depth
        try:
            with super().transaction():  # type: ignore[misc]
                yield
        finally:
            if outer:
                touched = set(self._photo_pending())
                self._photo_pending().clear()
                for id in touched:  # whatever happened, no file outlives its row
                    if self.photo(id) is None:
                        self._photo_files().remove(id)

    def photos(self) -> list[Photo]:
        return self._rows(PHOTOS, "ORDER BY taken, rowid")  # type: ignore[attr-defined, no-any-return]

    def photo(self, id: str) -> Photo | None:
        found: list[Photo] = self._rows(PHOTOS, "AND id = ?", (id,))  # type: ignore[attr-defined]
        return found[0] if found else None

    def put_photo(self, photo: Photo, image: bytes, thumb: bytes) -> None:
        files = self._photo_files()
        files.write(photo.id, image, thumb)
        if self._depth:
            self._photo_pending().add(photo.id)  # its files go if the block fails
        try:
            self._put(PHOTOS, photo)  # type: ignore[attr-defined]
        except BaseException:
            if self.photo(photo.id) is None:
                files.remove(photo.id)
            raise

    def photo_bytes(self, id: str, kind: str = "image") -> bytes | None:
        check_kind(kind)
        if self.photo(id) is None:
            return None
        return self._photo_files().read(id, kind)

    def delete_photo(self, id: str) -> bool:
        deleted: bool = self._delete(PHOTOS, id)  # type: ignore[attr-defined]
        if deleted:
            if self._depth:
                self._photo_pending().add(id)  # removed when the outermost block commits
            else:
                self._photo_files().remove(id)
        return deleted


class MemoryPhotos:
    """Mixed into :class:`~rollminder.store.memory.MemoryStore`: rows and bytes in memory, per
    profile of the shared database (not part of its backup file)."""

    profile: str

    def _photo_rows(self) -> dict[str, tuple[Photo, bytes, bytes]]:
        self._rows  # type: ignore[attr-defined]  # noqa: B018 - refused once closed
        database = self.database  # type: ignore[attr-defined]
        every: dict[str, dict[str, tuple[Photo, bytes, bytes]]] = database.__dict__.setdefault(
            "photo_rows", {}
        )
        return every.setdefault(self.profile, {})

    def photos(self) -> list[Photo]:
        rows = [photo for photo, _, _ in self._photo_rows().values()]
        return sorted(rows, key=lambda p: p.taken)

    def photo(self, id: str) -> Photo | None:
        found = self._photo_rows().get(id)
        return found[0] if found else None

    def put_photo(self, photo: Photo, image: bytes, thumb: bytes) -> None:
        import datetime as dt

        for value in (photo.taken, photo.created_at):
            if value.tzinfo is None:
                raise ValueError("the store only takes aware datetimes")
        fixed = Photo(
            **{**vars(photo), "taken": photo.taken.astimezone(dt.UTC)},
        )
        fixed = Photo(**{**vars(fixed), "created_at": photo.created_at.astimezone(dt.UTC)})
        self._photo_rows()[photo.id] = (fixed, image, thumb)
        self.database.writes += 1  # type: ignore[attr-defined]

    def photo_bytes(self, id: str, kind: str = "image") -> bytes | None:
        check_kind(kind)
        found = self._photo_rows().get(id)
        if found is None:
            return None
        return found[1] if kind == "image" else found[2]

    def delete_photo(self, id: str) -> bool:
        gone = self._photo_rows().pop(id, None) is not None
        if gone:
            self.database.writes += 1  # type: ignore[attr-defined]
        return gone
