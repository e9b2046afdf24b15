"""`rollminder worker` on PostgreSQL (issue 16): N workers claim the due index with FOR UPDATE
SKIP LOCKED and deliver to a loopback receiver exactly once: a worker SIGKILLed at random points
over several runs loses nothing, and repeats a reminder only where the ledger shows a takeover
(a kill between the channel accepting and the `sent` commit); killed at each step it gives 1, 2
and 1 copies; SIGTERM drains within two seconds; DST and downtime cases go through the workers."""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rollminder.env import Env
from rollminder.remind import worker as workers
from rollminder.remind.metrics import Registry
from tests.pg import Cluster
from tests.remind_receivers import HttpReceiver, http_receiver

BERLIN = ZoneInfo("Europe/Berlin")
SETUP_AT = dt.datetime(2026, 11, 25, 10, tzinfo=BERLIN)  # Wed
SLOT = "2026-11-25T21:00:02+01:00"  # Wed 21:00: the session reminder is due, the prep stale
PREP = "2026-11-25T20:45:02+01:00"  # the prep reminder


def _profiles(url: str, home: Path, rx: HttpReceiver, names: list[str]) -> None:
    def one(name: str) -> None:
        env = Env(home=home, profile=name, database_url=url, clock=lambda: SETUP_AT)
        app = env.open_app()
        try:
            app.set_up(
                clinician={}, needle_mm=0.25, sessions=2, weekdays=(0, 2), time=dt.time(21),
                tz="Europe/Berlin", zones=("forehead", "cheeks"),
            )  # fmt: skip
            app.add_channel(f"json://{rx.base}/{name}", "hook")
        finally:
            app.close()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, names))


def _worker(url: str, home: Path, now: str, *args: str, **extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
    env.update({"ROLLMINDER_NOW": now, "PYTHONUNBUFFERED": "1", **extra})
    return subprocess.Popen(
        [sys.executable, "-m", "rollminder", "--home", str(home), "worker", "--database", url,
         "--lease", "1", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str, str, float]:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    return proc.returncode, out, err, time.monotonic() - started


def _counts(rx: HttpReceiver) -> collections.Counter[str]:
    with rx.lock:
        return collections.Counter(r.path.strip("/") for r in rx.received)


def _attempts(cluster: Cluster, database: str) -> dict[str, int]:
    rows = cluster.sql(
        "SELECT p.name, d.attempts FROM deliveries d JOIN profiles p ON p.id = d.profile_id",
        database,
    )
    return {str(name): int(n) for name, n in rows}


def _wait_all(rx: HttpReceiver, names: list[str], timeout: float, total: int = 0) -> None:
    """Until every name has a copy and ``total`` copies came in all (or ``timeout``)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = _counts(rx)
        if all(got[n] >= 1 for n in names) and sum(got.values()) >= total:
            return
        time.sleep(0.05)


def _prepare(url: str, home: Path) -> int:
    """An idle worker at 20:00 prepares every profile's next pass (the 20:45 prep reminder's):
    the workers then send from the prepared passes (rollminder.remind.fastpath)."""
    at = dt.datetime(2026, 11, 25, 20, tzinfo=BERLIN)
    w = workers.Worker(Env(home=home, database_url=url, clock=lambda: at), threads=2,
                       registry=Registry())  # fmt: skip
    done = 0
    with ThreadPoolExecutor(2) as pool:
        while n := w.prepare_ahead(pool):
            done += n
    return done


@pytest.mark.slow
@pytest.mark.parametrize("prepared", [False, True], ids=["full-pass", "prepared"])
@pytest.mark.parametrize(("step", "copies"), [("claimed", 1), ("sent", 2), ("recorded", 1)])
def test_a_worker_killed_at_each_step_loses_nothing_and_repeats_at_most_once(
    pg_cluster: Cluster, pg_database: str, pg_migrated: str, tmp_path: Path, step: str,
    copies: int, prepared: bool,
) -> None:  # fmt: skip
    names = ["a", "b", "c"]
    with http_receiver() as rx:
        _profiles(pg_migrated, tmp_path, rx, names)
        now = SLOT
        if prepared:
            assert _prepare(pg_migrated, tmp_path) == len(names)
            now = PREP  # the prepared passes' instant: one batch of three
        killed = _worker(pg_migrated, tmp_path, now, "--threads", "1", ROLLMINDER_FAULT=step)
        killed.communicate(timeout=60)
        assert killed.returncode == -signal.SIGKILL
        sent_before = 0 if step == "claimed" else (len(names) if prepared else 1)
        assert sum(_counts(rx).values()) == sent_before
        again = _worker(pg_migrated, tmp_path, now)
        # What the takeover should send (not only what the killed worker sent: a worker starting
        # on a loaded machine took longer than the wait for a wrong extra copy)
        expected = 3 * copies if prepared else 2 + copies
        _wait_all(rx, names, 30, total=expected)
        time.sleep(1.5)  # room for a wrong extra copy
        code, _out, err, _took = _stop(again)
    assert code == 0, err
    got = _counts(rx)
    attempts = _attempts(pg_cluster, pg_database)
    if prepared:  # the whole batch was at the step when the worker died
        assert sorted(got.values()) == [copies] * 3, got
        assert sorted(attempts.values()) == [1 if step == "recorded" else 2] * 3
    else:
        assert sorted(got.values()) == sorted([1, 1, copies]), got
        assert sorted(attempts.values()) == sorted([1, 1, 1 if step == "recorded" else 2])


@pytest.mark.slow
def test_n_workers_killed_at_random_points_lose_nothing(
    pg_cluster: Cluster, pg_database: str, pg_migrated: str, tmp_path: Path
) -> None:
    rng = random.Random(16)
    runs, per_run, kills = 3, 30, 0
    with http_receiver() as rx:
        for run in range(runs):
            names = [f"r{run}-{i}" for i in range(per_run)]
            _profiles(pg_migrated, tmp_path, rx, names)
            now = SLOT
            if run % 2:  # every other run from prepared passes (rollminder.remind.fastpath)
                assert _prepare(pg_migrated, tmp_path) == per_run
                now = PREP
            procs = [
                _worker(pg_migrated, tmp_path, now, "--threads", "4", "--batch", "4")
                for _ in range(3)
            ]
            time.sleep(rng.uniform(0.8, 2.5))  # python's start-up, then somewhere in the work
            victim = procs.pop(rng.randrange(len(procs)))
            victim.kill()
            victim.communicate(timeout=10)
            kills += 1
            procs.append(_worker(pg_migrated, tmp_path, now, "--threads", "4", "--batch", "4"))
            _wait_all(rx, names, 40)
            time.sleep(1.5)
            for p in procs:
                code, _out, err, took = _stop(p)
                assert code == 0, err
                assert took < 4.0  # SIGTERM drains within two seconds (plus the interpreter)
            got = _counts(rx)
            lost = [n for n in names if got[n] == 0]
            assert lost == [], (run, lost)
            attempts = _attempts(pg_cluster, pg_database)
            for n in names:
                assert got[n] <= 2, (run, n)
                if got[n] == 2:  # only where a worker died between sending and recording
                    assert attempts[n] == 2, (run, n)


def _in_process(url: str, home: Path, clock: list[dt.datetime]) -> workers.Worker:
    env = Env(home=home, database_url=url, clock=lambda: clock[0])
    return workers.Worker(env, threads=2, registry=Registry())


def test_dst_and_downtime_through_a_worker(pg_migrated: str, tmp_path: Path) -> None:
    """Spring forward in Berlin (29 Mar 2026): a 02:30 slot fires once, at 03:30 CEST, after its
    prep at 03:15; a worker started two hours after a slot sends one catch-up and no prep."""
    clock = [dt.datetime(2026, 3, 27, 12, tzinfo=BERLIN)]
    with http_receiver() as rx:
        for name, time_ in (("dst", dt.time(2, 30)), ("down", dt.time(21))):
            env = Env(home=tmp_path, profile=name, database_url=pg_migrated,
                      clock=lambda: clock[0])  # fmt: skip
            app = env.open_app()
            app.set_up(
                clinician={}, needle_mm=0.25, sessions=1,
                weekdays=(6,) if name == "dst" else (4,), time=time_, tz="Europe/Berlin",
                zones=("forehead",),
            )  # fmt: skip
            app.add_channel(f"json://{rx.base}/{name}", "hook")
            app.close()
        w = _in_process(pg_migrated, tmp_path, clock)
        drain = threading.Event()
        with ThreadPoolExecutor(2) as pool:
            # Friday 27 March 21:00 slot of "down": the worker is off until 23:00.
            clock[0] = dt.datetime(2026, 3, 27, 23, tzinfo=BERLIN)
            assert w.step(pool, drain) == 1
            for hh, mm in ((3, 14), (3, 15), (3, 29), (3, 30), (3, 31), (4, 0)):
                clock[0] = dt.datetime(2026, 3, 29, hh, mm, tzinfo=BERLIN)
                while w.step(pool, drain):
                    pass
        got = [(r.path.strip("/"), r.json()["title"], r.at) for r in rx.received]
    down = [t for p, t, _ in got if p == "down"]
    assert len(down) == 1 and down[0].startswith("Catch-up"), down
    dst = [t for p, t, _ in got if p == "dst"]
    assert len(dst) == 2, dst
    assert "soak" in dst[0].lower() and dst[1].startswith("Time to roll"), dst
    assert w.stats.sent == 3


def test_the_worker_refuses_sqlite_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rollminder.cli import main

    monkeypatch.delenv("ROLLMINDER_DATABASE_URL", raising=False)
    assert main(["--home", str(tmp_path), "worker"]) != 0
    err = capsys.readouterr().err
    assert "PostgreSQL" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_claim_reads_on_from_the_last_and_starts_over_after_a_short_one(
    pg_migrated: str,
) -> None:
    """Schema 13: a queue's claims continue from the last row it claimed (no claim reads again
    the entries of rows claimed before it); one that finds fewer rows than asked makes the next
    start from the beginning, where a row that fell due behind the point reached is found."""
    from rollminder.store.postgres import PostgresStore
    from rollminder.store.postgres_due import DueQueue

    due = dt.datetime(2026, 11, 25, 20, tzinfo=dt.UTC)

    def index(name: str, at: dt.datetime) -> None:
        with PostgresStore.open(pg_migrated, profile=name, now=due) as store:
            store.put_due_index({"": at})

    for i in range(7):
        index(f"p{i}", due)
    queue, lease = DueQueue(pg_migrated), dt.timedelta(minutes=5)
    now = due + dt.timedelta(seconds=1)
    first = queue.claim(now, 3, "w1", lease)
    index("early", due - dt.timedelta(hours=1))  # due before every row claimed so far
    second = queue.claim(now, 3, "w1", lease)
    third = queue.claim(now, 3, "w1", lease)
    fourth = queue.claim(now, 3, "w1", lease)
    assert [len(c) for c in (first, second, third, fourth)] == [3, 3, 1, 1]
    names = [c.profile for c in (*first, *second, *third)]
    assert sorted(names) == [f"p{i}" for i in range(7)]  # each once, in the key's order
    assert [c.profile for c in fourth] == ["early"]  # found when the claims started over
    assert queue.claim(now, 3, "w1", lease) == []  # everything held until the lease ends


def test_the_batch_functions_join_by_key_and_read_no_whole_table(
    pg_cluster: Cluster, pg_migrated: str
) -> None:
    """The workers' functions are planned for any argument: with hash joins allowed the claim's
    UPDATE read every due row to find its batch (48 ms at 200,000 rows). Schema 13 runs them
    with joins by key; auto_explain shows the plans of the statements inside a claim over 20,000
    due rows: no sequential scan and no hash join."""
    import psycopg

    database = pg_migrated.rsplit("/", 1)[1]
    pg_cluster.sql(
        "INSERT INTO profiles (id, name, account_id, created_at) SELECT 1000 + i, 'p' || i, NULL, "
        "now() FROM generate_series(1, 20000) AS i; "
        "INSERT INTO due_reminders (profile, routine, due_at) SELECT 1000 + i, '', "
        "'2026-11-25 20:00+00' FROM generate_series(1, 20000) AS i; ANALYZE",
        database,
    )
    plans: list[str] = []
    with psycopg.connect(pg_cluster.url(database), autocommit=True) as conn:  # the superuser
        conn.execute("LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice"):
            conn.execute(f"SET auto_explain.{setting}")
        conn.add_notice_handler(lambda d: plans.append(str(d.message_primary)))
        for _ in range(3):
            rows = conn.execute(
                "SELECT * FROM rollminder_claim_due_after('2026-11-25 20:00:01+00', 1000, 'w', "
                "'5 minutes', NULL, NULL, NULL)"
            ).fetchall()
            assert len(rows) == 1000
    inside = [p for p in plans if "due_reminders" in p and "Update" in p]
    assert len(inside) == 3, plans
    assert not any("Seq Scan" in p or "Hash Join" in p for p in inside), inside[0]
