"""MemoryStore specifics: its backup file (the shared behaviour is in tests/store_contract.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from rollminder.errors import StorageError
from rollminder.model import Session
from rollminder.store.memory import MemoryDatabase, MemoryStore

T0 = dt.datetime(2026, 11, 2, 21, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff not text", b"[1, 2]", b'{"format": "other"}', b"SQLite format 3\x00"],
    ids=["empty", "binary", "a list", "another format", "sqlite"],
)
def test_a_file_that_is_not_a_memory_backup_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.backup"
    path.write_bytes(content)
    with pytest.raises(StorageError, match="Cannot read the backup"):
        MemoryDatabase.load(path)


def test_a_missing_backup_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="Cannot read the backup"):
        MemoryDatabase.load(tmp_path / "nope")


def test_the_backup_is_json_with_tagged_values_and_no_temp_file_is_left(tmp_path: Path) -> None:
    store = MemoryStore("alice")
    store.put_session(Session(start=T0, minutes=3.0, zones=("chin",), id="s1", created_at=T0))
    store.backup_now(tmp_path / "b.json")
    document = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert document["format"] == "rollminder-memory-backup" and document["version"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]
    restored = MemoryStore("alice", database=MemoryDatabase.load(tmp_path / "b.json"))
    assert restored.sessions() == store.sessions()


def test_a_backup_into_an_unwritable_place_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageError, match="Cannot write the backup"):
        MemoryStore().backup_now(tmp_path / "file" / "b.json")
