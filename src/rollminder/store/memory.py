"""A dict-backed :class:`~rollminder.store.Store` for tests.

It behaves like :class:`~rollminder.store.sqlite.SqliteStore`: instants come back in UTC, tuples
as tuples, rows sorted the same way (ties in insertion order; a replaced row keeps its place), and
``transaction()`` rolls back on an exception (a snapshot is restored; a nested block restores its
own snapshot, like a savepoint). Several stores can share one :class:`MemoryDatabase`, one per
profile, like several profiles in one SQLite file.

It keeps the whole :class:`~rollminder.store.Store` contract (``tests/store_contract.py``): its
``data_stamp()`` is a counter of the database's writes, its secrets are rows like any other, and
``backup_now(dest)`` writes every profile to a JSON file that :meth:`MemoryDatabase.load` reads back
(see :mod:`.memory_file`), so a face run on a memory store can back up as it does on SQLite.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rollminder.errors import StorageError
from rollminder.model import (
    ClinicianAnswer,
    Hold,
    Pause,
    Plan,
    Roller,
    Routine,
    Series,
    Session,
    Settings,
    Skip,
    UndoStep,
    Visit,
)
from rollminder.remind.records import ChannelConfig, ChannelStatus, Delivery, Snooze
from rollminder.store import memory_file
from rollminder.store.due_state import DueInState
from rollminder.store.photo_store import MemoryPhotos

if TYPE_CHECKING:
    from rollminder.store.roles import Store

T = TypeVar("T")


@dataclasses.dataclass
class _Rows:
    plans: dict[str, Plan] = dataclasses.field(default_factory=dict)
    sessions: dict[str, Session] = dataclasses.field(default_factory=dict)
    skips: dict[str, Skip] = dataclasses.field(default_factory=dict)
    pauses: dict[str, Pause] = dataclasses.field(default_factory=dict)
    rollers: dict[str, Roller] = dataclasses.field(default_factory=dict)
    visits: dict[str, Visit] = dataclasses.field(default_factory=dict)
    series: dict[str, Series] = dataclasses.field(default_factory=dict)
    settings: Settings | None = None
    # reminders (issue #5)
    channels: dict[str, ChannelConfig] = dataclasses.field(default_factory=dict)
    channel_status: dict[str, ChannelStatus] = dataclasses.field(default_factory=dict)
    deliveries: dict[tuple[str, str, str], Delivery] = dataclasses.field(default_factory=dict)
    snoozes: dict[tuple[str, int], Snooze] = dataclasses.field(default_factory=dict)
    reminder_state: dict[str, str] = dataclasses.field(default_factory=dict)
    holds: dict[str, Hold] = dataclasses.field(default_factory=dict)
    clinician: dict[str, ClinicianAnswer] = dataclasses.field(default_factory=dict)
    # the web app's secrets, by name
    secrets: dict[str, str] = dataclasses.field(default_factory=dict)
    # the steps undo can take back (issue 11)
    undo_steps: dict[str, UndoStep] = dataclasses.field(default_factory=dict)
    # the routines (issue 12)
    routines: dict[str, Routine] = dataclasses.field(default_factory=dict)

    def copy(self) -> _Rows:
        # The values are frozen dataclasses (or strings): copying the dicts is a full snapshot.
        return _Rows(**{name: _shallow(value) for name, value in vars(self).items()})

    def dump(self) -> dict[str, Any]:
        """The tables as lists of records (in insertion order), for a backup file."""
        return {
            name: list(value.values()) if name in _KEYS else value
            for name, value in vars(self).items()
        }

    @classmethod
    def from_dump(cls, tables: dict[str, Any]) -> _Rows:
        rows = cls()
        for name, value in tables.items():
            if name in _KEYS:
                setattr(rows, name, {_KEYS[name](record): record for record in value})
            else:
                setattr(rows, name, value)
        return rows


def _shallow(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value


#: How each table of records is keyed: by ``id``, except the last three.
_BY_ID = [
    "plans", "sessions", "skips", "pauses", "rollers", "visits", "series", "channels", "holds",
    "clinician", "undo_steps", "routines",
]  # fmt: skip
_KEYS: dict[str, Callable[[Any], Any]] = {name: lambda record: record.id for name in _BY_ID}
_KEYS["channel_status"] = lambda status: status.channel
_KEYS["deliveries"] = lambda d: (d.slot, d.kind, d.channel)
_KEYS["snoozes"] = lambda z: (z.slot, z.n)


class MemoryDatabase:
    """The rows of every profile; share one between stores to model one database file."""

    def __init__(self) -> None:
        self.profiles: dict[str, _Rows] = {}
        #: Grows with every write, by any store on this database: the stores' data_stamp().
        self.writes = 0

    @classmethod
    def load(cls, path: Path) -> MemoryDatabase:
        """The database a :meth:`MemoryStore.backup_now` file holds."""
        database = cls()
        for profile, tables in memory_file.read(path).items():
            database.profiles[profile] = _Rows.from_dump(tables)
        return database


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"the store only takes aware datetimes, not {value!r}")
    return value.astimezone(dt.UTC)


def _normalized(obj: T) -> T:
    """What the SQLite store would give back: instants in UTC, sequences as tuples."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, dt.datetime):
            changes[f.name] = _utc(value)
        elif isinstance(value, list):
            changes[f.name] = tuple(value)
    return dataclasses.replace(obj, **changes) if changes else obj  # type: ignore[type-var]


def _range(since: dt.datetime | None, until: dt.datetime | None) -> Callable[[dt.datetime], bool]:
    """``since`` inclusive, ``until`` exclusive."""
    low = None if since is None else _utc(since)
    high = None if until is None else _utc(until)
    return lambda when: (low is None or when >= low) and (high is None or when < high)


def _check_state(delivery: Delivery) -> None:
    """As the SQLite table's CHECK constraint does."""
    if delivery.state not in ("claimed", "sent", "recorded"):
        raise StorageError(f"A delivery cannot be in the state {delivery.state!r}.")


def _sorted(rows: Iterable[T], key: Callable[[T], Any]) -> list[T]:
    return sorted(rows, key=key)  # stable: ties keep insertion order


class MemoryStore(MemoryPhotos, DueInState):
    def __init__(self, profile: str = "default", *, database: MemoryDatabase | None = None) -> None:
        self.profile = profile
        self.database = database if database is not None else MemoryDatabase()
        self.database.profiles.setdefault(profile, _Rows())
        self.closed = False
        self.path: Path | None = None  # no file holds the data

    @property
    def _rows(self) -> _Rows:
        """This profile's rows, to read."""
        if self.closed:
            raise StorageError("The memory store is closed.")
        return self.database.profiles[self.profile]

    @property
    def _changing(self) -> _Rows:
        """This profile's rows, to write: the database's data stamp moves."""
        rows = self._rows
        self.database.writes += 1
        return rows

    @contextmanager
    def transaction(self) -> Iterator[None]:
        snapshot = self._rows.copy()
        photos = dict(self._photo_rows())  # (photo_store.MemoryPhotos: the photos too)
        try:
            yield
        except BaseException:
            self.database.profiles[self.profile] = snapshot
            self._photo_rows().clear()
            self._photo_rows().update(photos)
            self.database.writes += 1
            raise

    def close(self) -> None:
        self.closed = True

    def data_stamp(self) -> tuple[int, int]:
        self._rows  # noqa: B018 - refused once closed, like the other methods
        return self.database.writes, 0

    def backup_now(self, dest: Path) -> None:
        """Write every profile's rows to ``dest`` (see :mod:`.memory_file`)."""
        self._rows  # noqa: B018
        tables = {name: rows.dump() for name, rows in self.database.profiles.items()}
        memory_file.write(dest, tables)

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plans ------------------------------------------------------------------------------------

    def plan(self) -> Plan | None:
        plans = self.plans()
        return plans[-1] if plans else None

    def plans(self) -> list[Plan]:
        return _sorted(self._rows.plans.values(), lambda p: p.created_at)

    def put_plan(self, plan: Plan) -> None:
        self._changing.plans[plan.id] = _normalized(plan)

    # -- sessions ---------------------------------------------------------------------------------

    def sessions(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Session]:
        inside = _range(since, until)
        found = (s for s in self._rows.sessions.values() if inside(s.start))
        return _sorted(found, lambda s: s.start)

    def session(self, id: str) -> Session | None:
        return self._rows.sessions.get(id)

    def last_session(self, before: dt.datetime | None = None) -> Session | None:
        found = self.sessions(until=before)
        return found[-1] if found else None

    def put_session(self, session: Session) -> None:
        self._changing.sessions[session.id] = _normalized(session)

    def delete_session(self, id: str) -> bool:
        return self._changing.sessions.pop(id, None) is not None

    def count_sessions(self, roller_id: str | None = None) -> int:
        sessions = self._rows.sessions.values()
        if roller_id is None:
            return len(sessions)
        return sum(1 for s in sessions if s.roller_id == roller_id)

    # -- skips, pauses, rollers, visits, series ---------------------------------------------------

    def skips(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Skip]:
        inside = _range(since, until)
        found = (s for s in self._rows.skips.values() if inside(s.slot))
        return _sorted(found, lambda s: s.slot)

    def put_skip(self, skip: Skip) -> None:
        self._changing.skips[skip.id] = _normalized(skip)

    def delete_skip(self, id: str) -> bool:
        return self._changing.skips.pop(id, None) is not None

    def pauses(self) -> list[Pause]:
        return _sorted(self._rows.pauses.values(), lambda p: p.first)

    def put_pause(self, pause: Pause) -> None:
        self._changing.pauses[pause.id] = _normalized(pause)

    def delete_pause(self, id: str) -> bool:
        return self._changing.pauses.pop(id, None) is not None

    def rollers(self) -> list[Roller]:
        return _sorted(self._rows.rollers.values(), lambda r: (r.added, r.created_at))

    def put_roller(self, roller: Roller) -> None:
        self._changing.rollers[roller.id] = _normalized(roller)

    def delete_roller(self, id: str) -> bool:
        return self._changing.rollers.pop(id, None) is not None

    def visits(self) -> list[Visit]:
        return _sorted(self._rows.visits.values(), lambda v: v.at)

    def put_visit(self, visit: Visit) -> None:
        self._changing.visits[visit.id] = _normalized(visit)

    def delete_visit(self, id: str) -> bool:
        return self._changing.visits.pop(id, None) is not None

    def series(self) -> list[Series]:
        return _sorted(self._rows.series.values(), lambda s: s.created_at)

    def put_series(self, series: Series) -> None:
        self._changing.series[series.id] = _normalized(series)

    def delete_series(self, id: str) -> bool:
        return self._changing.series.pop(id, None) is not None

    # -- settings ---------------------------------------------------------------------------------

    def settings(self) -> Settings:
        return self._rows.settings or Settings()

    def put_settings(self, settings: Settings) -> None:
        self._changing.settings = settings

    # -- reminders (issue #5) ---------------------------------------------------------------------

    def channels(self) -> list[ChannelConfig]:
        return _sorted(self._rows.channels.values(), lambda c: c.created_at)

    def put_channel(self, channel: ChannelConfig) -> None:
        for other in self._rows.channels.values():
            if other.name == channel.name and other.id != channel.id:
                raise StorageError(f"A channel named {channel.name!r} exists.")
        self._changing.channels[channel.id] = _normalized(channel)

    def delete_channel(self, id: str) -> bool:
        self._changing.channel_status.pop(id, None)
        return self._changing.channels.pop(id, None) is not None

    def has_channels(self) -> bool:
        return bool(self._rows.channels)

    def channel_statuses(self) -> dict[str, ChannelStatus]:
        return dict(self._rows.channel_status)

    def put_channel_status(self, status: ChannelStatus) -> None:
        self._changing.channel_status[status.channel] = _normalized(status)

    def deliveries(self, since: dt.datetime | None = None) -> list[Delivery]:
        inside = _range(since, None)
        found = (d for d in self._rows.deliveries.values() if inside(d.due_at))
        return _sorted(found, lambda d: d.due_at)

    def claim_delivery(self, delivery: Delivery, *, replacing: str | None = None) -> bool:
        _check_state(delivery)
        key = (delivery.slot, delivery.kind, delivery.channel)
        held = self._rows.deliveries.get(key)
        if replacing is None:
            if held is not None:
                return False
            self._changing.deliveries[key] = _normalized(delivery)
            return True
        if held is None or held.state != "claimed" or held.owner != replacing:
            return False
        self._changing.deliveries[key] = dataclasses.replace(
            held,
            owner=delivery.owner,
            claimed_at=_utc(delivery.claimed_at),
            due_at=_utc(delivery.due_at),
            late=delivery.late,
            attempts=held.attempts + 1,
        )
        return True

    def put_delivery(self, delivery: Delivery) -> None:
        _check_state(delivery)
        key = (delivery.slot, delivery.kind, delivery.channel)
        new = _normalized(delivery)
        held = self._rows.deliveries.get(key)
        if held is not None:  # the claim's due_at, claimed_at, late and attempts stay
            fields = ("state", "sent_at", "recorded_at", "owner")
            new = dataclasses.replace(held, **{f: getattr(new, f) for f in fields})
        self._changing.deliveries[key] = new

    def delete_delivery(self, slot: str, kind: str, channel: str) -> bool:
        return self._changing.deliveries.pop((slot, kind, channel), None) is not None

    def snoozes(self) -> list[Snooze]:
        return _sorted(self._rows.snoozes.values(), lambda z: (z.slot, z.n))

    def put_snooze(self, snooze: Snooze) -> None:
        key = (snooze.slot, snooze.n)
        new = _normalized(snooze)
        held = self._rows.snoozes.get(key)
        if held is not None:  # only the time moves
            new = dataclasses.replace(held, until=new.until)
        self._changing.snoozes[key] = new

    def reminder_state(self, key: str) -> str | None:
        return self._rows.reminder_state.get(key)

    def put_reminder_state(self, key: str, value: str) -> None:
        self._changing.reminder_state[key] = value

    # -- the pre-session check (issue 4) ---------------------------------------------------------

    def holds(self) -> list[Hold]:
        return _sorted(self._rows.holds.values(), lambda h: (h.until, h.since))

    def put_hold(self, hold: Hold) -> None:
        self._changing.holds[hold.id] = _normalized(hold)

    def delete_hold(self, id: str) -> bool:
        return self._changing.holds.pop(id, None) is not None

    def clinician_answers(self) -> list[ClinicianAnswer]:
        return _sorted(self._rows.clinician.values(), lambda a: a.question)

    def put_clinician_answer(self, answer: ClinicianAnswer) -> None:
        # One answer per question, as the SQLite table's unique key keeps it.
        for other in self._rows.clinician.values():
            if other.question == answer.question and other.id != answer.id:
                raise StorageError(f"An answer to {answer.question!r} is already stored.")
        self._changing.clinician[answer.id] = _normalized(answer)

    # -- the web app's secrets (issue 7) ----------------------------------------------------------

    def secret(self, name: str) -> str | None:
        return self._rows.secrets.get(name)

    def put_secret(self, name: str, value: str) -> None:
        self._changing.secrets[name] = value

    def delete_secret(self, name: str) -> bool:
        return self._changing.secrets.pop(name, None) is not None

    # -- the undo journal (issue 11) -------------------------------------------------------------

    def undo_steps(self) -> list[UndoStep]:
        return _sorted(self._rows.undo_steps.values(), lambda u: u.created_at)

    def put_undo_step(self, step: UndoStep) -> None:
        self._changing.undo_steps[step.id] = _normalized(step)

    def delete_undo_step(self, id: str) -> bool:
        return self._changing.undo_steps.pop(id, None) is not None

    # -- routines (issue 12) ----------------------------------------------------------------------

    def routines(self) -> list[Routine]:
        return _sorted(self._rows.routines.values(), lambda r: r.created_at)

    def put_routine(self, routine: Routine) -> None:
        rows = self._changing
        if any(r.name == routine.name and r.id != routine.id for r in rows.routines.values()):
            raise StorageError(f"A routine named {routine.name!r} exists already.")
        rows.routines[routine.id] = _normalized(routine)

    def delete_routine(self, id: str) -> bool:
        return self._changing.routines.pop(id, None) is not None


if TYPE_CHECKING:
    _implements_every_role: type[Store] = MemoryStore  # mypy fails here if a role drifts
