"""A slow channel holds back no other (issue 18, item 9): a receiver that accepts the connection
and drips its answer one byte a second, next to a working one. The working channel gets its
session reminder on time, and SIGTERM ends a real `rollminder daemon` within a second.

The figures (lateness of the working channel, time from SIGTERM to exit) are printed; run with
``-s`` to see them (docs/reminders.md quotes them)."""

from __future__ import annotations

import datetime as _dt
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rollminder.cli import main
from rollminder.remind import engine
from rollminder.remind.channels import ChannelError
from rollminder.remind.records import ChannelConfig
from tests.conftest import SETUP
from tests.remind_receivers import http_receiver
from tests.test_remind_engine import Fake, World, at

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)


@dataclass
class Drip:
    """A loopback HTTP receiver that reads the request, then answers one byte a second."""

    port: int = 0
    connections: list[float] = field(default_factory=list)  # time.time() of each request
    closed: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextmanager
def drip_receiver() -> Iterator[Drip]:
    state = Drip()
    server = socket.create_server(("127.0.0.1", 0))
    state.port = server.getsockname()[1]
    server.settimeout(0.1)

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(1.0)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                state.connections.append(time.time())
                answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" * 100
                for byte in answer:
                    if state.closed.wait(1.0):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def accept() -> None:
        while not state.closed.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield state
    finally:
        state.closed.set()
        acceptor.join(timeout=2)
        server.close()


SLOT = dt.datetime(2026, 11, 26, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def _sent_at(home: Path, channel: str, kind: str) -> dt.datetime:
    import sqlite3

    # The receiver may have the message a moment before the daemon records it (a loaded
    # machine): wait for the ledger's row to say when it was sent.
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(home / "rollminder.db") as conn:
            row = conn.execute(
                "SELECT d.sent_at FROM deliveries d JOIN channels c ON c.id = d.channel "
                "WHERE c.name = ? AND d.kind = ?",
                (channel, kind),
            ).fetchone()
        if row is not None and row[0] is not None:
            return dt.datetime.fromisoformat(row[0])
        assert time.monotonic() < deadline, f"the {kind} to {channel} was never recorded"
        time.sleep(0.05)


def _env(now: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
    env.update({"ROLLMINDER_NOW": now, "ROLLMINDER_CLOCK_SPEED": "1", "PYTHONUNBUFFERED": "1"})
    return env


def test_a_dripping_receiver_delays_no_other_channel_and_sigterm_stops_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    with http_receiver() as good, drip_receiver() as drip:
        monkeypatch.setenv("ROLLMINDER_NOW", "2026-11-25T10:00+01:00")
        assert main(["--home", str(home), *SETUP]) == 0
        # The dripping one first: it is the first to be sent to.
        for name, base in (("slow", drip.base), ("good", good.base)):
            assert (
                main(["--home", str(home), "channel", "add", f"json://{base}/h", "--name", name])
                == 0
            )
        monkeypatch.delenv("ROLLMINDER_NOW")
        # 1.5 s before the 21:00 slot: the prep is due at once, the session 1.5 s later.
        proc = subprocess.Popen(
            [sys.executable, "-m", "rollminder", "--home", str(home), "daemon"],
            env=_env("2026-11-26T20:59:58.500+01:00"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            got = good.wait(2, timeout=15)
            assert drip.connections, "the dripping receiver was never reached"
            assert [g.json()["title"][:12] for g in got] == ["Session at 2", "Time to roll"]
            # How late, on the daemon's own clock: the ledger's sent_at (taken just after the
            # receiver answered) against the slot's 21:00:00.
            late = (_sent_at(home, "good", "session") - SLOT).total_seconds()
            time.sleep(0.5)  # let the daemon settle into its sleep, the slow send still stuck
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
            stopped = time.monotonic() - t0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    print(f"\nworking channel's session reminder: {late * 1000:+.0f} ms after its time")
    print(f"SIGTERM to exit with a send stuck: {stopped * 1000:.0f} ms")
    assert late < 1.0, f"the working channel's session reminder was {late:.2f} s late"
    assert stopped < 1.0, f"the daemon took {stopped:.2f} s to stop"
    assert proc.returncode == 0, err
    assert "rollminder daemon: stopped." in out
    assert "Traceback" not in err


class Stuck:
    """A channel whose send blocks until released (or ``hold`` seconds pass)."""

    def __init__(self, cid: str, hold: float = 3.0) -> None:
        self.id = self.name = cid
        self.kind = "fake"
        self.masked = f"fake://{cid}"
        self.release = threading.Event()
        self.hold = hold
        self.calls: list[str] = []

    def send(self, title: str, body: str, *, slot: str = "") -> None:
        self.calls.append(title)
        if not self.release.wait(self.hold):
            raise ChannelError("still nothing")

    @property
    def config(self) -> ChannelConfig:
        return ChannelConfig(self.name, self.masked, self.masked, "fake", id=self.id, created_at=T0)


def test_the_engine_sends_each_channel_on_its_own_deadline(w: World) -> None:
    """In-process: a stuck channel delays neither the working one's pass nor its next
    reminder; past its deadline it counts as failed (with backoff) while its claim stays; when
    it answers after all, what it sent is recorded and never sent again."""
    stuck = Stuck("slow")
    fake = w.channels[0]
    senders = engine.Senders(deadline=0.5)
    channels = {"slow": stuck, "a": fake}

    def run(when: dt.datetime) -> engine.PassResult:
        w.clock.now = when
        t0 = time.monotonic()
        result = engine.run_pass(
            w.app,
            [stuck.config, fake.config],
            channel_for=lambda cfg: channels[cfg.id],  # type: ignore[return-value]
            senders=senders,
            wait=0.1,
        )
        assert time.monotonic() - t0 < 0.4  # never waits for the stuck one
        return result

    try:
        run(at(2026, 11, 26, 20, 45))
        run(at(2026, 11, 26, 21, 0))
        assert [t[:12] for t in w.kinds()] == ["Session at 2", "Time to roll"]
        assert stuck.calls == ["Session at 21:00: start soaking your roller"]
        held = {(d.kind, d.channel): d.state for d in w.app.store.deliveries()}
        assert held[("prep", "slow")] == "claimed"
        time.sleep(0.6)
        result = run(at(2026, 11, 26, 21, 1))
        assert result.failed == [("slow", "no answer within 0.5 seconds")]
        status = w.app.store.channel_statuses()["slow"]
        assert status.failures == 1 and status.retry_at is not None
        stuck.release.set()  # it answers after all: the prep was delivered
        assert senders.finished.wait(2)
        # This pass records it; the backoff (30 s) is over: the session goes out too.
        result = run(at(2026, 11, 26, 21, 1, 30))
        assert [(s.reminder.kind, s.channel) for s in result.sent] == [
            ("prep", "slow"),
            ("session", "slow"),
        ]
        run(at(2026, 11, 26, 21, 2))
        assert stuck.calls == [
            "Session at 21:00: start soaking your roller",
            "Time to roll: forehead, cheeks, chin, about 3 min",
        ]
        states = {(d.kind, d.channel): d.state for d in w.app.store.deliveries()}
        assert set(states.values()) == {"recorded"} and len(states) == 4
        assert w.app.store.channel_statuses()["slow"].failures == 0
    finally:
        stuck.release.set()


@pytest.fixture
def w() -> World:
    return World()


def test_a_lone_pass_waits_at_most_the_deadline(w: World) -> None:
    """`rollminder remind` (one pass, from cron): a stuck channel costs at most the deadline,
    the working one is recorded."""
    stuck = Stuck("slow", hold=30)
    fake: Fake = w.channels[0]
    channels = {"slow": stuck, "a": fake}
    w.clock.now = at(2026, 11, 26, 21, 0)
    t0 = time.monotonic()
    try:
        result = engine.run_pass(
            w.app,
            [stuck.config, fake.config],
            channel_for=lambda cfg: channels[cfg.id],  # type: ignore[return-value]
            senders=engine.Senders(deadline=0.3),
        )
    finally:
        stuck.release.set()
    assert time.monotonic() - t0 < 1.0
    assert [s.channel for s in result.sent] == ["a"]
    assert result.failed == [("slow", "no answer within 0.3 seconds")]
