"""The daemon as a real process: SIGKILL at each step of a delivery over many runs (nothing lost,
one duplicate at most, and only for a kill between send and record), a clean stop on SIGTERM,
the loop in a thread as the web app runs it, and the systemd unit (checked by systemd-analyze)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rollminder.cli import main
from rollminder.env import Env
from rollminder.remind import daemon
from rollminder.service import Rollminder
from tests.conftest import SETUP
from tests.need import missing
from tests.remind_receivers import HttpReceiver, http_receiver

SLOT = "2026-11-26T21:00:00+01:00"
RUNS = int(os.environ.get("ROLLMINDER_KILL_RUNS", "4"))


def _prepare(home: Path, rx: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLMINDER_NOW", "2026-11-25T10:00+01:00")
    assert main(["--home", str(home), *SETUP]) == 0
    assert main(["--home", str(home), "channel", "add", f"json://{rx.base}/hook"]) == 0
    monkeypatch.delenv("ROLLMINDER_NOW")


def _env(now: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
    env.update({"ROLLMINDER_NOW": now, "ROLLMINDER_CLOCK_SPEED": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def _daemon(home: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rollminder", "--home", str(home), "daemon"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    return proc.returncode, out, err


def _ledger(home: Path) -> list[tuple[str, str, int]]:
    import sqlite3

    with sqlite3.connect(home / "rollminder.db") as conn:
        rows = conn.execute("SELECT kind, state, attempts FROM deliveries").fetchall()
    return [(str(k), str(s), int(a)) for k, s, a in rows]


@pytest.mark.slow
@pytest.mark.parametrize(("step", "copies"), [("claimed", 1), ("sent", 2), ("recorded", 1)])
def test_sigkill_at_each_step_loses_nothing_and_repeats_at_most_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str, copies: int
) -> None:
    for run in range(RUNS):
        home = tmp_path / f"{step}-{run}"
        with http_receiver() as rx:
            _prepare(home, rx, monkeypatch)
            killed = _daemon(home, _env(SLOT, ROLLMINDER_FAULT=step))
            killed.communicate(timeout=30)
            assert killed.returncode == -signal.SIGKILL, (step, run)
            before = len(rx.received)
            assert before == (0 if step == "claimed" else 1)
            # Restarted a few seconds later (as systemd's Restart= would).
            again = _daemon(home, _env("2026-11-26T21:00:05+01:00"))
            got = rx.wait(copies, timeout=15)
            time.sleep(0.3)  # room for a wrong extra copy to arrive
            code, out, err = _stop(again)
        assert code == 0, err
        assert "rollminder daemon: stopped." in out
        assert len(rx.received) == copies, (step, run, got)
        assert all(g.json()["title"].startswith("Time to roll") for g in got)
        assert _ledger(home) == [("session", "recorded", 2 if step != "recorded" else 1)]


def test_sigterm_stops_the_daemon_cleanly_and_it_sleeps_until_the_instant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    with http_receiver() as rx:
        _prepare(home, rx, monkeypatch)
        started = time.time()
        proc = _daemon(home, _env("2026-11-26T20:59:58.500+01:00"))
        got = rx.wait(2, timeout=15)  # the (late) prep at once, the session at 21:00:00
        assert len(got) == 2
        assert "daemon" in (proc.stdout.readline() if proc.stdout else "")
        t0 = time.monotonic()
        code, _, err = _stop(proc)
        assert time.monotonic() - t0 < 3
    assert code == 0, err
    assert [g.json()["title"][:12] for g in got] == ["Session at 2", "Time to roll"]
    # Due 1.5 s after the start: it slept until that instant (not a minute, not early).
    assert 1.4 < got[1].at - started < 5
    assert "sent session reminder" in err


def test_run_in_a_thread_as_the_web_app_does_and_edits_are_picked_up(tmp_path: Path) -> None:
    tz = ZoneInfo("Europe/Berlin")
    home = tmp_path / "home"
    origin = time.monotonic()
    base = [dt.datetime(2026, 11, 26, 20, 59, 59, tzinfo=tz)]

    def clock() -> dt.datetime:
        return base[0] + dt.timedelta(seconds=time.monotonic() - origin)

    env = Env(home=home, clock=clock)
    with env.open_store() as store:
        app = Rollminder(store, clock)
        base[0] = dt.datetime(2026, 11, 25, 10, tzinfo=tz)
        app.set_plan(
            needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin"
        )
        base[0] = dt.datetime(2026, 11, 26, 20, 59, 59, tzinfo=tz)
    passes: list[int] = []
    with http_receiver() as rx:
        stop = threading.Event()
        thread = threading.Thread(
            target=daemon.run, args=(env, stop), kwargs={"on_pass": lambda r: passes.append(1)}
        )
        thread.start()
        try:
            time.sleep(0.3)
            assert rx.received == []  # no channel yet and no desktop: nothing
            with env.open_store() as store:  # another process adds a channel meanwhile
                Rollminder(store, clock).add_channel(f"json://{rx.base}/hook")
            # The next pass (at the slot, 1 s after the start) reads the new channel.
            got = rx.wait(1, timeout=10)
        finally:
            stop.set()
            thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(got) == 1 and len(passes) >= 2


def test_the_daemon_says_plainly_when_nothing_can_reach_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("ROLLMINDER_NOW", "2026-11-25T10:00+01:00")
    assert main(["--home", str(home), *SETUP]) == 0
    capsys.readouterr()
    assert main(["--home", str(home), "next"]) == 0
    assert "No reminder can reach you" in capsys.readouterr().err
    monkeypatch.setenv("ROLLMINDER_NOW", SLOT)
    assert main(["--home", str(home), "remind"]) == 0
    assert "No reminder can reach you" in capsys.readouterr().err
    assert main(["--home", str(home), "channel", "add", "json://127.0.0.1:9/x"]) == 0
    capsys.readouterr()
    assert main(["--home", str(home), "next"]) == 0
    assert "No reminder can reach you" not in capsys.readouterr().err


def test_service_install_writes_a_unit_systemd_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("ROLLMINDER_NOW", raising=False)
    home = tmp_path / "my home"  # a space: the unit must quote it
    assert main(["--home", str(home), "service", "install", "--no-start"]) == 0
    out = capsys.readouterr().out
    unit = tmp_path / "config" / "systemd" / "user" / "rollminder.service"
    assert f"Wrote {unit}." in out
    assert "* * * * * " in out and " remind " in out  # the cron line for machines without systemd
    text = unit.read_text()
    assert f'"{home}"' in text and "daemon" in text and "Restart=on-failure" in text
    exe = shutil.which("systemd-analyze")
    if exe is None:
        missing("systemd-analyze is not installed (APT_PACKAGES has systemd)")
    proc = subprocess.run([exe, "verify", str(unit)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    broken = tmp_path / "broken.service"
    broken.write_text(text.replace("ExecStart=", "ExecStart=no-such-program "))
    assert subprocess.run([exe, "verify", str(broken)], capture_output=True).returncode != 0
    assert main(["--home", str(home), "service", "status"]) == 0
    assert "Installed at" in capsys.readouterr().out
    assert main(["--home", str(home), "service", "uninstall"]) == 0
    assert not unit.exists()
    assert main(["--home", str(home), "service", "status"]) == 0
    assert "Not installed" in capsys.readouterr().out


@pytest.mark.parametrize("works", [True, False])
def test_service_install_starts_it_with_systemctl_or_says_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], works: bool
) -> None:
    calls = tmp_path / "calls.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text(
        f'#!/bin/sh\necho "$@" >> "{calls}"\n'
        + (
            "exit 0\n"
            if works
            else 'echo "Failed to connect to bus: No medium found" >&2\nexit 1\n'
        )
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["--home", str(tmp_path / "home"), "--profile", "alex", "service", "install"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "config/systemd/user/rollminder-alex.service").exists()
    if works:
        assert "Started rollminder-alex.service" in out
        assert calls.read_text().splitlines() == [
            "--user daemon-reload",
            "--user enable --now rollminder-alex.service",
        ]
    else:
        assert "Could not start it with systemctl --user (Failed to connect to bus" in out
        assert "systemctl --user enable --now rollminder-alex.service" in out


def test_the_loop_after_a_sleep_sends_one_catch_up_and_a_clock_set_back_repeats_nothing(
    tmp_path: Path,
) -> None:
    tz = ZoneInfo("Europe/Berlin")
    now = [dt.datetime(2026, 11, 25, 10, tzinfo=tz)]
    env = Env(home=tmp_path / "home", clock=lambda: now[0])
    with http_receiver() as rx:
        with env.open_store() as store:
            app = Rollminder(store, env.now)
            app.set_plan(
                needle_mm=0.25, sessions=2, weekdays=(0, 3), time=dt.time(21), tz="Europe/Berlin"
            )

            app.add_channel(f"json://{rx.base}/hook")
        passes: list[dt.datetime] = []
        stop = threading.Event()
        thread = threading.Thread(
            target=daemon.run,
            args=(env, stop),
            kwargs={"on_pass": lambda r: passes.append(r.now), "max_sleep": 0.05},
        )

        def settle(when: dt.datetime) -> None:
            """Set the clock, then wait for a few passes to see it."""
            now[0] = when
            seen = len(passes)
            deadline = time.monotonic() + 10
            while len(passes) < seen + 3 and time.monotonic() < deadline:
                time.sleep(0.02)

        thread.start()
        try:
            settle(dt.datetime(2026, 11, 26, 20, 0, tzinfo=tz))  # awake, then asleep until 22:40
            settle(dt.datetime(2026, 11, 26, 22, 40, tzinfo=tz))
            settle(dt.datetime(2026, 11, 26, 22, 41, tzinfo=tz))
            settle(dt.datetime(2026, 11, 26, 21, 41, tzinfo=tz))  # NTP steps the clock back 1 h
            settle(dt.datetime(2026, 11, 26, 22, 45, tzinfo=tz))
        finally:
            stop.set()
            thread.join(timeout=5)
        got = rx.wait(1, timeout=1)
    assert [g.json()["title"] for g in got] == ["Catch-up: your session is still open"]
