"""The photo store role (issue 17) on the memory and SQLite stores: round trips, order, profile
isolation, deletion of every file, migration 9."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from rollminder.photos import Photo
from rollminder.store.memory import MemoryDatabase, MemoryStore
from rollminder.store.photo_store import PhotoStore, folder_name
from rollminder.store.sqlite import SqliteStore

NOW = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)
BERLIN = dt.timezone(dt.timedelta(hours=1))


def _photo(day: int, angle: str = "front") -> Photo:
    return Photo(
        taken=dt.datetime(2026, 11, day, 10, tzinfo=BERLIN),
        angle=angle,
        width=40,
        height=30,
        tz="Europe/Berlin",
        note="ü",
        created_at=NOW,
    )


@pytest.fixture(params=["memory", "sqlite"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[PhotoStore, PhotoStore]]:
    if request.param == "memory":
        db = MemoryDatabase()
        yield MemoryStore("a", database=db), MemoryStore("b", database=db)
        return
    a = SqliteStore.open(tmp_path / "rm.db", profile="a", now=NOW)
    b = SqliteStore.open(tmp_path / "rm.db", profile="b", now=NOW)
    yield a, b
    a.close()
    b.close()


def test_round_trip_order_isolation_and_delete(pair: tuple[PhotoStore, PhotoStore]) -> None:
    a, b = pair
    late, early = _photo(20), _photo(3, "left")
    a.put_photo(late, b"late", b"late-thumb")
    a.put_photo(early, b"early", b"early-thumb")
    got = a.photos()
    assert [p.id for p in got] == [early.id, late.id]
    assert got[0].taken == early.taken and got[0].taken.tzinfo == dt.UTC
    assert got[0].note == "ü" and a.photo(late.id) == got[1]
    assert a.photo_bytes(late.id) == b"late" and a.photo_bytes(late.id, "thumb") == b"late-thumb"
    assert b.photos() == [] and b.photo_bytes(late.id) is None
    assert a.delete_photo(late.id) and not a.delete_photo(late.id)
    assert a.photo_bytes(late.id) is None and [p.id for p in a.photos()] == [early.id]


def test_sqlite_files_live_beside_the_database_and_go_with_the_photo(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "rm.db", profile="x/../../y", now=NOW)
    photo = _photo(5)
    store.put_photo(photo, b"img", b"th")
    folder = tmp_path / "photos" / folder_name("x/../../y")
    assert folder.parent == tmp_path / "photos" and ".." not in folder.name
    assert sorted(p.name for p in folder.iterdir()) == [f"{photo.id}.jpg", f"{photo.id}.thumb.jpg"]
    assert folder.stat().st_mode & 0o777 == 0o700
    assert store.delete_photo(photo.id)
    assert list(folder.iterdir()) == []
    versions = [v for (v,) in store.connection.execute("SELECT version FROM schema_migrations")]
    assert versions[-1] == 9
    store.close()
