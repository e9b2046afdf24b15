"""The memory store's backup file: every profile's rows as JSON, read back exactly.

``MemoryStore.backup_now(dest)`` writes it (0o600, atomically) and ``MemoryDatabase.load(path)``
reads it, so the memory store keeps the :class:`~rollminder.store.roles.Maintenance` contract
with a real copy. Records are tagged with their class name; instants, dates, times and tuples
with their type, so every value comes back with the type it had.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from rollminder.errors import StorageError

FORMAT = "rollminder-memory-backup"
VERSION = 1


def _record_classes() -> dict[str, type[Any]]:
    from rollminder import model
    from rollminder.remind import records

    classes = [
        model.Plan, model.Session, model.Skip, model.Pause, model.Roller, model.Series,
        model.Visit, model.Settings, model.Hold, model.ClinicianAnswer, records.ChannelConfig,
        records.ChannelStatus, records.Delivery, records.Snooze, model.UndoStep, model.Routine,
    ]  # fmt: skip
    return {cls.__name__: cls for cls in classes}


def encode(value: Any) -> Any:
    """A JSON value for a record, a tagged scalar or a plain one."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"record": type(value).__name__, "fields": fields}
    if isinstance(value, dt.datetime):
        return {"instant": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"time": value.isoformat()}
    if isinstance(value, tuple | list):
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, dict):
        return {"map": [[key, encode(item)] for key, item in value.items()]}
    return value


def decode(value: Any, classes: dict[str, type[Any]]) -> Any:
    if not isinstance(value, dict):
        return value
    if "record" in value:
        cls = classes[value["record"]]
        return cls(**{name: decode(item, classes) for name, item in value["fields"].items()})
    if "instant" in value:
        return dt.datetime.fromisoformat(value["instant"])
    if "date" in value:
        return dt.date.fromisoformat(value["date"])
    if "time" in value:
        return dt.time.fromisoformat(value["time"])
    if "tuple" in value:
        return tuple(decode(item, classes) for item in value["tuple"])
    if "map" in value:
        return {key: decode(item, classes) for key, item in value["map"]}
    raise ValueError(f"unknown tagged value {sorted(value)}")


def write(dest: Path, profiles: dict[str, dict[str, Any]]) -> None:
    """Write ``{profile: {table: rows}}`` to ``dest``: 0o600, through a temporary file."""
    dest = Path(dest)
    document = {"format": FORMAT, "version": VERSION, "profiles": encode(profiles)}
    text = json.dumps(document, ensure_ascii=False, sort_keys=True)
    try:
        if not dest.parent.exists():
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(dest.parent, 0o700)
        fd, temp = tempfile.mkstemp(prefix=".rollminder-", suffix=".tmp", dir=dest.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(temp, 0o600)
            os.replace(temp, dest)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageError(f"Cannot write the backup {dest}: {exc.strerror or exc}.") from exc


def read(path: Path) -> dict[str, dict[str, Any]]:
    """What :func:`write` wrote; StorageError if ``path`` is not such a file."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        if document.get("format") != FORMAT or document.get("version") != VERSION:
            raise ValueError("not a memory store backup")
        profiles = decode(document["profiles"], _record_classes())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StorageError(f"Cannot read the backup {path}: {exc}.") from exc
    if not isinstance(profiles, dict):
        raise StorageError(f"Cannot read the backup {path}: not a memory store backup.")
    return profiles
