"""The photo store contract: what every implementation of
:class:`rollminder.store.photo_store.PhotoStore` must do (issue 17).

No implementation here: ``tests/test_photo_contract.py`` runs every test once per backend of
``tests/test_store_contract.py``'s ``BACKENDS`` (memory, SQLite, PostgreSQL as the tables' owner
and as the app's role under row-level security), through the store contract's ``make_store``.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, cast

import pytest

from rollminder import limits
from rollminder.errors import StorageError
from rollminder.photos import Photo
from rollminder.store.photo_store import PhotoStore
from tests.store_contract import MakeStore, a_session

UTC = dt.UTC
BERLIN = dt.timezone(dt.timedelta(hours=1))
T0 = dt.datetime(2026, 11, 2, 21, 5, tzinfo=UTC)


def photos(make_store: MakeStore, profile: str = "default") -> PhotoStore:
    store = make_store(profile)
    assert isinstance(store, PhotoStore)
    return cast(PhotoStore, store)


def a_photo(day: int = 3, **changes: Any) -> Photo:
    fields: dict[str, Any] = {
        "taken": dt.datetime(2026, 11, day, 10, 30, tzinfo=BERLIN), "angle": "front",
        "width": 4000, "height": 3000, "tz": "Europe/Berlin", "note": "", "created_at": T0,
    }  # fmt: skip
    fields.update(changes)
    return Photo(**fields)


def noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def test_a_photo_round_trips_with_its_bytes_exactly(make_store: MakeStore) -> None:
    store = photos(make_store)
    note = ("Nach dem Duschen, Fensterlicht ☀\n" * 100)[: limits.NOTE.most]
    photo = a_photo(angle="closeup", area="cheeks", note=note, width=1, height=4096)
    image = bytes(range(256)) * 64 + noise(3 * 1024 * 1024, 1)  # every byte value, and 3 MB
    thumb = b"\x00\xff\xd8\x00" + noise(20_000, 2)
    store.put_photo(photo, image, thumb)
    got = store.photo(photo.id)
    assert got == photo and got is not None
    assert got.taken.tzinfo is UTC and got.created_at.tzinfo is UTC
    assert store.photos() == [photo]
    assert store.photo_bytes(photo.id) == image
    assert store.photo_bytes(photo.id, "image") == image
    assert store.photo_bytes(photo.id, "thumb") == thumb


def test_photos_sort_by_when_taken_then_insertion_and_a_replace_keeps_its_place(
    make_store: MakeStore,
) -> None:
    store = photos(make_store)
    late, early = a_photo(20), a_photo(1, angle="left")
    tie_a, tie_b = a_photo(9, angle="right"), a_photo(9)
    for p in (late, tie_a, early, tie_b):
        store.put_photo(p, p.id.encode(), b"t")
    assert [p.id for p in store.photos()] == [early.id, tie_a.id, tie_b.id, late.id]
    changed = a_photo(9, angle="right", note="again", id=tie_a.id)
    store.put_photo(changed, b"new image", b"new thumb")
    assert [p.id for p in store.photos()] == [early.id, tie_a.id, tie_b.id, late.id]
    assert store.photo(tie_a.id) == changed
    assert store.photo_bytes(tie_a.id) == b"new image"
    assert store.photo_bytes(tie_a.id, "thumb") == b"new thumb"


def test_a_second_store_on_the_same_data_sees_the_photo(make_store: MakeStore) -> None:
    one, two = photos(make_store), photos(make_store)
    photo = a_photo()
    one.put_photo(photo, b"img", b"th")
    assert two.photos() == [photo] and two.photo_bytes(photo.id) == b"img"
    assert two.delete_photo(photo.id)
    assert one.photos() == [] and one.photo_bytes(photo.id) is None


def test_delete_removes_the_row_and_both_images(make_store: MakeStore) -> None:
    store = photos(make_store)
    kept, gone = a_photo(2), a_photo(5)
    store.put_photo(kept, b"kept", b"kept-thumb")
    store.put_photo(gone, b"gone", b"gone-thumb")
    assert store.delete_photo(gone.id)
    assert not store.delete_photo(gone.id)
    assert store.photo(gone.id) is None
    assert store.photo_bytes(gone.id) is None and store.photo_bytes(gone.id, "thumb") is None
    assert store.photos() == [kept] and store.photo_bytes(kept.id, "thumb") == b"kept-thumb"


def test_unknown_photos_are_none_and_an_unknown_kind_is_refused(make_store: MakeStore) -> None:
    store = photos(make_store)
    assert store.photos() == [] and store.photo("0" * 32) is None
    assert store.photo_bytes("0" * 32) is None and store.photo_bytes("../../etc/passwd") is None
    assert not store.delete_photo("0" * 32)
    photo = a_photo()
    store.put_photo(photo, b"img", b"th")
    for kind in ("exif", "", "image; DROP TABLE photos"):
        with pytest.raises(StorageError):
            store.photo_bytes(photo.id, kind)
    assert store.photo_bytes(photo.id) == b"img"


def test_profiles_never_see_each_others_photos(make_store: MakeStore) -> None:
    a, b = photos(make_store, "a"), photos(make_store, "b")
    photo = a_photo()
    a.put_photo(photo, b"a's image", b"a's thumb")
    assert b.photos() == [] and b.photo(photo.id) is None
    assert b.photo_bytes(photo.id) is None and b.photo_bytes(photo.id, "thumb") is None
    assert not b.delete_photo(photo.id)
    # The same id in another profile is another photo: it never replaces a's.
    b.put_photo(a_photo(7, id=photo.id), b"b's image", b"b's thumb")
    assert a.photo(photo.id) == photo and a.photo_bytes(photo.id) == b"a's image"
    assert b.photo_bytes(photo.id) == b"b's image"
    assert b.delete_photo(photo.id)
    assert a.photo_bytes(photo.id, "thumb") == b"a's thumb"


def test_a_photo_put_in_a_failed_transaction_leaves_nothing(make_store: MakeStore) -> None:
    store = make_store()
    photo_store = cast(PhotoStore, store)
    kept = a_photo(1)
    photo_store.put_photo(kept, b"kept", b"k")
    with pytest.raises(RuntimeError), store.transaction():
        photo_store.put_photo(a_photo(2, id="f" * 32), b"lost", b"l")
        photo_store.delete_photo(kept.id)
        store.put_session(a_session(1))
        raise RuntimeError("the use case failed after the write")
    assert photo_store.photos() == [kept] and photo_store.photo_bytes(kept.id) == b"kept"
    assert photo_store.photo("f" * 32) is None and photo_store.photo_bytes("f" * 32) is None
    assert store.sessions() == []


def test_writing_photos_moves_the_data_stamp(make_store: MakeStore) -> None:
    store = make_store()
    photo_store = cast(PhotoStore, store)
    photo = a_photo()
    first = store.data_stamp()
    photo_store.put_photo(photo, b"img", b"th")
    second = store.data_stamp()
    assert second != first
    photo_store.photos()
    photo_store.photo_bytes(photo.id)
    assert store.data_stamp() == second
    photo_store.delete_photo(photo.id)
    assert store.data_stamp() != second


def test_naive_times_are_refused(make_store: MakeStore) -> None:
    store = photos(make_store)
    with pytest.raises((ValueError, StorageError)):
        store.put_photo(a_photo(taken=dt.datetime(2026, 11, 3, 10)), b"img", b"th")
    assert store.photos() == []
