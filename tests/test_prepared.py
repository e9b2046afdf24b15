"""Prepared passes (issue 16, rollminder.remind.prepared and .fastpath): an idle worker prepares
each profile's next pass; at the instant a batch is sent from its claimed rows. What it sends is
exactly what the full delivery pass would send, a write in between drops the prepared pass, and
the ledger keeps exactly-once across both paths."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rollminder.env import Env
from rollminder.remind import worker as workers
from rollminder.remind.metrics import Registry
from tests.remind_receivers import http_receiver

BERLIN = ZoneInfo("Europe/Berlin")
SETUP_AT = dt.datetime(2026, 11, 25, 10, tzinfo=BERLIN)  # Wed
SLOT = dt.datetime(2026, 11, 25, 21, tzinfo=BERLIN)


def _set_up(url: str, home: Path, base: str, names: list[str]) -> None:
    for name in names:
        env = Env(home=home, profile=name, database_url=url, clock=lambda: SETUP_AT)
        app = env.open_app()
        try:
            app.set_up(
                clinician={}, needle_mm=0.25, sessions=2, weekdays=(0, 2), time=dt.time(21),
                tz="Europe/Berlin", zones=("forehead", "cheeks"),
            )  # fmt: skip
            app.add_channel(f"json://{base}/{name}", "hook")
        finally:
            app.close()


def test_a_prepared_batch_goes_out_once_from_the_claimed_rows(
    pg_migrated: str, tmp_path: Path
) -> None:
    clock = [SLOT - dt.timedelta(hours=1)]
    names = ["a", "b", "c"]
    with http_receiver() as rx:
        _set_up(pg_migrated, tmp_path, rx.base, names)
        registry = Registry()
        w = workers.Worker(Env(home=tmp_path, database_url=pg_migrated, clock=lambda: clock[0]),
                           threads=2, registry=registry)  # fmt: skip
        drain = threading.Event()
        with ThreadPoolExecutor(2) as pool:
            assert w.step(pool, drain) == 0  # nothing due at 20:00
            assert w.prepare_ahead(pool) == 3  # the prep at 20:45 and the slot: within 2 h
            assert w.prepare_ahead(pool) == 0  # prepared: not again
            assert registry.prepared_passes == {"stored": 3, "full": 0}
            clock[0] = SLOT - dt.timedelta(minutes=15, seconds=-5)  # the prep reminder
            assert w.step(pool, drain) == 3
            assert registry.fast_sent == 3 and w.stats.sent == 3
            assert w.step(pool, drain) == 0
            assert w.prepare_ahead(pool) == 3  # the session reminder's pass
            clock[0] = SLOT + dt.timedelta(seconds=3)
            assert w.step(pool, drain) == 3
            assert w.step(pool, drain) == 0
        w.fast.close() if w.fast else None
        got = sorted((r.path.strip("/"), r.json()["title"]) for r in rx.received)
    assert registry.fast_sent == 6, got
    assert [n for n, _ in got] == ["a", "a", "b", "b", "c", "c"], got
    titles = [t for n, t in got if n == "a"]
    assert any("soak" in t.lower() or "get ready" in t.lower() for t in titles), titles
    assert any(t.startswith("Time to roll") for t in titles), titles


# -- the prepared pass equals the full pass ---------------------------------------------------


class _Recorder:
    """A channel that keeps what it was asked to send."""

    def __init__(self, config: object, sent: list[tuple[str, str, str, str]]) -> None:
        self.id = getattr(config, "id", "")
        self.sent = sent

    def send(self, title: str, body: str, *, slot: str = "") -> None:
        self.sent.append((self.id, title, body, slot))


def _scenario(home: Path, name: str) -> tuple[Env, list[dt.datetime]]:
    """A profile in one of the states a worker meets; the clock to prepare at."""
    from rollminder.remind import engine

    clock = [SETUP_AT]
    env = Env(home=home, profile="p", clock=lambda: clock[0])
    app = env.open_app(live=True)
    try:
        app.set_up(
            clinician={}, needle_mm=0.25, sessions=2, weekdays=(0, 2), time=dt.time(21),
            tz="Europe/Berlin", zones=("forehead", "cheeks"),
        )  # fmt: skip
        app.add_channel("json://127.0.0.1:9/a", "phone")
        if name in ("two-routines", "two-routines-session"):
            app.add_routine("thighs", needle_mm=0.5, weekdays=(2,), time=dt.time(21, 30),
                            zones=("thighs",))  # fmt: skip
        if name == "two-channels":
            app.add_channel("json://127.0.0.1:9/b", "laptop")
        sent: list[tuple[str, str, str, str]] = []

        def run_at(at: dt.datetime) -> None:
            clock[0] = at
            engine.run_pass(app, app.active_channels(lambda: False),
                            channel_for=lambda c: _Recorder(c, sent))  # fmt: skip

        if name in ("session", "snoozed", "two-routines-session", "late"):
            run_at(SLOT - dt.timedelta(minutes=15))  # the prep went out
        if name == "snoozed":
            run_at(SLOT)
            clock[0] = SLOT + dt.timedelta(minutes=2)
            engine.snooze(app, 20)
        clock[0] = {
            "late": SLOT + dt.timedelta(hours=2),  # the worker was off at 21:00
            "snoozed": SLOT + dt.timedelta(minutes=5),
        }.get(name, SLOT - dt.timedelta(minutes=50))
        if name in ("session", "two-routines-session"):
            clock[0] = SLOT - dt.timedelta(minutes=10)
    finally:
        app.close()
    return env, clock


@pytest.mark.parametrize(
    "name",
    ["prep", "session", "snoozed", "late", "two-routines", "two-routines-session",
     "two-channels"],
)  # fmt: skip
def test_the_prepared_pass_sends_what_the_full_pass_sends(tmp_path: Path, name: str) -> None:
    """Prepared at one time, the pass's messages rendered at its instant are the full pass's
    at that instant, word for word, and its next instants are the index after that pass."""
    from rollminder.remind import due, engine, messages, prepared

    env, clock = _scenario(tmp_path, name)
    app = env.open_app(live=True)
    try:
        found = prepared.prepare(app, clock[0])
        assert found is not None, name
        again = prepared.Prepared.from_json(found.to_json())
        assert again == found  # the stored form reads back the same
        ours = []
        for cid, reminders in again.deliveries:
            for group in messages.groups(list(reminders)):
                title, body, slot = messages.render_group(group, again.at, {}, "json")
                ours.append((cid, title, body, slot))
        clock[0] = again.at
        theirs: list[tuple[str, str, str, str]] = []
        engine.run_pass(app, app.active_channels(lambda: False),
                        channel_for=lambda c: _Recorder(c, theirs))  # fmt: skip
        assert ours and sorted(ours) == sorted(theirs), (name, ours, theirs)
        assert again.next == due.next_due(app, again.at)
        assert again.at <= clock[0] < again.valid_until
    finally:
        app.close()
    if name == "late":
        assert any(t.startswith("Catch-up") for _, t, _, _ in ours), ours
    if name.startswith("two-routines"):
        assert len(ours) == 1 and "thighs" in ours[0][1] + ours[0][2], ours
    if name == "two-channels":
        assert len({cid for cid, _, _, _ in ours}) == 2


def test_nothing_is_prepared_while_a_delivery_is_in_flight_or_far_off(tmp_path: Path) -> None:
    from rollminder.remind import prepared
    from rollminder.remind.records import Delivery

    env, clock = _scenario(tmp_path, "prep")
    app = env.open_app(live=True)
    try:
        assert prepared.prepare(app, SETUP_AT) is None  # 21:00 is more than 2 hours off
        app.store.claim_delivery(Delivery(
            slot="x", kind="session", channel="c", state="claimed", due_at=SETUP_AT,
            claimed_at=SETUP_AT, owner="elsewhere:1:x",
        ))  # fmt: skip
        assert prepared.prepare(app, clock[0]) is None
    finally:
        app.close()


def test_a_write_after_preparing_drops_the_prepared_pass(pg_migrated: str, tmp_path: Path) -> None:
    """Logged at 20:10, a's 20:45 reminder is not sent (its prepared pass was dropped by the
    write, in the write's transaction); b's goes out from its prepared pass."""
    clock = [SLOT - dt.timedelta(hours=1)]
    with http_receiver() as rx:
        _set_up(pg_migrated, tmp_path, rx.base, ["a", "b"])
        registry = Registry()
        w = workers.Worker(Env(home=tmp_path, database_url=pg_migrated, clock=lambda: clock[0]),
                           threads=2, registry=registry)  # fmt: skip
        drain = threading.Event()
        with ThreadPoolExecutor(2) as pool:
            assert w.prepare_ahead(pool) == 2
            clock[0] = SLOT - dt.timedelta(minutes=50)
            app = Env(home=tmp_path, profile="a", database_url=pg_migrated,
                      clock=lambda: clock[0]).open_app()  # fmt: skip
            try:
                before = app.raw.due_prepared_version()
                app.log_session(minutes=3)
                assert app.raw.due_prepared_version() == before + 1
            finally:
                app.close()
            clock[0] = SLOT - dt.timedelta(minutes=15, seconds=-5)
            while w.step(pool, drain):
                pass
        if w.fast:
            w.fast.close()
        got = [r.path.strip("/") for r in rx.received]
    assert got == ["b"]
    assert registry.fast_sent == 1


def test_preparing_a_profile_reads_each_of_its_tables_once(
    pg_migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner asks for the routines, the plans and the settings many times a pass; the
    store opened for preparing one profile keeps what it read until it writes (it asked
    PostgreSQL for the routines 24 times a profile, and made 66 round trips, before)."""
    import collections

    import psycopg

    _set_up(pg_migrated, tmp_path, "127.0.0.1:9", ["a"])
    w = workers.Worker(
        Env(home=tmp_path, database_url=pg_migrated, clock=lambda: SLOT - dt.timedelta(hours=1)),
        threads=1, registry=Registry(),
    )  # fmt: skip
    said: list[str] = []
    execute = psycopg.Cursor.execute

    def counting(self: psycopg.Cursor, query: object, *args: object, **kwargs: object) -> object:
        said.append(" ".join(str(query).split()))
        return execute(self, query, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(psycopg.Cursor, "execute", counting)
    w.prepare_one("a", None, SLOT - dt.timedelta(hours=1))
    monkeypatch.undo()
    selects = collections.Counter(q for q in said if q.startswith("SELECT") and "FROM" in q)
    assert any("FROM routines" in q for q in selects) and any("FROM plans" in q for q in selects)
    assert max(selects.values()) == 1, selects.most_common(3)
    with Env(home=tmp_path, profile="a", database_url=pg_migrated).open_store() as store:
        assert store.due_prepared_version() >= 1 and store.routines()  # the pass was stored


def test_a_store_for_one_unit_of_work_sees_its_own_writes(pg_migrated: str, tmp_path: Path) -> None:
    """What a per-unit store keeps is dropped by its own write; a plain store reads each time,
    so it sees another's write at once."""
    _set_up(pg_migrated, tmp_path, "127.0.0.1:9", ["a"])
    base = Env(home=tmp_path, profile="a", database_url=pg_migrated, clock=lambda: SETUP_AT)
    unit = dataclasses.replace(base, per_request=True).open_app(live=True)
    plain = base.open_app(live=True)
    other = base.open_app(live=True)
    try:
        names = [r.routine.name for r in unit.routines()]
        assert [r.routine.name for r in plain.routines()] == names
        other.add_routine("Thighs", needle_mm=0.5, weekdays=(5,), time=dt.time(21),
                          zones=("thighs",))  # fmt: skip
        assert [r.routine.name for r in plain.routines()] == [*names, "Thighs"]
        assert [r.routine.name for r in unit.routines()] == names  # one moment: as it was
        unit.add_routine("Back", needle_mm=0.5, weekdays=(6,), time=dt.time(21),
                         zones=("thighs",))  # fmt: skip
        assert [r.routine.name for r in unit.routines()] == [*names, "Thighs", "Back"]
    finally:
        for app in (unit, plain, other):
            app.close()
