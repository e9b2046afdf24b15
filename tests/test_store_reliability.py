"""SqliteStore under SIGKILL and under concurrent writers in separate processes."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rollminder.store.migrations import MIGRATIONS
from rollminder.store.sqlite import SqliteStore, list_backups

pytestmark = pytest.mark.slow

NOW = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)

# Writes one session per transaction, forever; prints each id only after its commit returned.
WRITER = """
import datetime as dt, sys
from pathlib import Path
from rollminder.model import Session
from rollminder.store.sqlite import SqliteStore

db, tag = Path(sys.argv[1]), sys.argv[2]
now = dt.datetime.fromisoformat(sys.argv[3])
store = SqliteStore.open(db, profile="default", now=now)
print("ready", flush=True)
i = 0
while True:
    session = Session(start=now + dt.timedelta(minutes=i), minutes=5.0, zones=("cheeks",),
                      note="x" * (i % 300), id=f"{tag}-{i}", created_at=now)
    store.put_session(session)
    print(session.id, flush=True)  # the acknowledgement
    i += 1
"""


class Child:
    """A child process whose stdout lines are collected by a thread."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []  # complete lines only: a line cut by the kill is not acked
        self.first_line = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.endswith("\n"):
                self.lines.append(line.rstrip("\n"))
                self.first_line.set()
        self.first_line.set()

    def finish(self) -> tuple[int, str]:
        code = self.process.wait(timeout=60)
        self.reader.join(timeout=60)
        assert self.process.stderr is not None and self.process.stdin is not None
        errors = self.process.stderr.read()
        for stream in (self.process.stdout, self.process.stderr, self.process.stdin):
            if stream is not None:
                stream.close()
        return code, errors


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "home" / "rollminder.db"
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    acknowledged: set[str] = set()
    killed_mid_run = 0
    for round_ in range(8):
        child = Child(WRITER, str(db), f"r{round_}", NOW.isoformat())
        if round_ % 2 == 0:
            # Kill at a random moment from the start: also during start-up, migration, backup.
            time.sleep(rng.uniform(0.05, 0.4))
        else:
            # Kill while it is writing: after its first acknowledged write.
            assert child.first_line.wait(timeout=30), "the writer never started"
            time.sleep(rng.uniform(0.05, 0.4))
        child.process.send_signal(signal.SIGKILL)
        code, errors = child.finish()
        assert code == -signal.SIGKILL, (seed, code, errors)
        ids = [line for line in child.lines if line != "ready"]
        killed_mid_run += bool(ids)
        acknowledged.update(ids)

    assert killed_mid_run >= 4, seed  # the odd rounds each acknowledged at least one write
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], seed
    finally:
        conn.close()
    with SqliteStore.open(db, profile="default", now=NOW) as store:
        stored = {s.id for s in store.sessions()}
    missing = acknowledged - stored
    assert not missing, (seed, sorted(missing)[:10])
    # A kill during the daily backup must never leave a half-written backup under its real name.
    for backup in list_backups(db.parent / "backups"):
        check = sqlite3.connect(backup)
        try:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)], backup
        finally:
            check.close()


# Each transaction reads how many sessions exist, then writes the session for the next free slot
# and a skip recording what it read: a lost update or a non-atomic check-then-insert would show as
# two sessions in one slot or two skips with the same count.
WORKER = """
import datetime as dt, sys
from pathlib import Path
from rollminder.model import Session, Skip
from rollminder.store.sqlite import SqliteStore

db, worker, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
print("ready", flush=True)
sys.stdin.readline()  # start together
store = SqliteStore.open(db, profile="default", now=dt.datetime.fromisoformat(sys.argv[4]))
for i in range(count):
    with store.transaction():
        n = store.count_sessions()
        slot = base + dt.timedelta(hours=n)
        if store.sessions(since=slot, until=slot + dt.timedelta(hours=1)):
            raise SystemExit(f"slot {n} already taken: the transaction was not atomic")
        store.put_session(
            Session(start=slot, minutes=5.0, zones=("chin",), id=f"{worker}-{i}", created_at=base)
        )
        store.put_skip(Skip(slot=slot, reason=str(n), id=f"{worker}-skip-{i}", created_at=base))
    if i % 2:
        store.put_skip(Skip(slot=base, reason="single", id=f"{worker}-single-{i}", created_at=base))
store.close()
print("done", flush=True)
"""


def test_concurrent_writers_in_four_processes(tmp_path: Path) -> None:
    db = tmp_path / "home" / "rollminder.db"  # not created yet: the four race to create it too
    workers, count = 4, 300
    children = [
        Child(WORKER, str(db), f"w{w}", str(count), NOW.isoformat()) for w in range(workers)
    ]
    for child in children:
        assert child.first_line.wait(timeout=30)
    for child in children:
        assert child.process.stdin is not None
        child.process.stdin.write("go\n")
        child.process.stdin.flush()
    results = [child.finish() for child in children]
    for (code, errors), child in zip(results, children, strict=True):
        assert code == 0, errors
        assert child.lines == ["ready", "done"], errors

    total = workers * count
    with SqliteStore.open(db, profile="default", now=NOW) as store:
        sessions = store.sessions()
        skips = store.skips()
        assert len(sessions) == total
        assert store.count_sessions() == total
        base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        assert [s.start for s in sessions] == [base + dt.timedelta(hours=n) for n in range(total)]
        counted = sorted(int(k.reason) for k in skips if k.reason != "single")
        assert counted == list(range(total))
        assert sum(1 for k in skips if k.reason == "single") == workers * (count // 2)
        ids = {s.id for s in sessions}
        assert ids == {f"w{w}-{i}" for w in range(workers) for i in range(count)}
        versions = store.connection.execute("SELECT version FROM schema_migrations").fetchall()
        assert versions == [(m.version,) for m in MIGRATIONS]  # each ran once despite the race
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM profiles").fetchone() == (1,)
    finally:
        conn.close()
    assert os.listdir(db.parent / "backups") == ["rollminder-2026-11-26.db"]
