"""Desktop notifications reach a real notification server: dunst, under Xvfb, on a private D-Bus
session bus. A dunst rule runs a script for each notification; the test reads what it wrote.

In CI (CI=true) a missing Xvfb, dbus-daemon or dunst fails these tests (APT_PACKAGES installs
them); on a developer's machine without them they are skipped.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rollminder.remind.channels import ChannelError, DesktopChannel, desktop_available
from tests.conftest import Runner

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

TOOLS = ("Xvfb", "dbus-daemon", "dunst", "dunstctl")


@dataclass
class Desktop:
    bus: str
    record: Path
    choice: Path  # the context-menu entry the fake dmenu picks ("Done", "Snooze")
    env: dict[str, str]

    def press(self, label: str) -> None:
        """Open dunst's context menu and pick the action ``label`` (as a person would)."""
        self.choice.write_text(label)
        subprocess.run(["dunstctl", "context"], env=self.env, check=True, timeout=10)

    def received(self, count: int, timeout: float = 10.0) -> list[list[str]]:
        deadline = time.monotonic() + timeout
        rows: list[list[str]] = []
        while time.monotonic() < deadline:
            if self.record.exists():
                rows = [line.split("\t") for line in self.record.read_text().splitlines() if line]
                if len(rows) >= count:
                    return rows
            time.sleep(0.05)
        return rows


def _require_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        message = f"needs {', '.join(missing)} (Debian: xvfb, dbus, dunst in APT_PACKAGES)"
        missing(message)


@pytest.fixture
def desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    _require_tools()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        read, write = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(xvfb)
        os.close(write)
        with os.fdopen(read) as fh:
            display = f":{fh.readline().strip()}"
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1", "--nopidfile"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        procs.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        assert address, "dbus-daemon printed no address"
        record = tmp_path / "received.tsv"
        script = tmp_path / "record.sh"
        script.write_text(f'#!/bin/sh\nprintf "%s\\t%s\\t%s\\n" "$1" "$2" "$3" >> "{record}"\n')
        script.chmod(0o755)
        choice = tmp_path / "choice.txt"
        menu = tmp_path / "dmenu.sh"  # dunst pipes the actions to "dmenu"; this one picks one
        menu.write_text(f'#!/bin/sh\ngrep "^#$(cat "{choice}")" | head -n 1\n')
        menu.chmod(0o755)
        config = tmp_path / "dunstrc"
        config.write_text(
            "[global]\n    monitor = 0\n    follow = none\n    timeout = 60\n"
            f'    dmenu = "{menu}"\n'
            f'[record]\n    appname = "*"\n    script = "{script}"\n'
        )
        env = {**os.environ, "DISPLAY": display, "DBUS_SESSION_BUS_ADDRESS": address}
        dunst = subprocess.Popen(
            ["dunst", "-config", str(config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(dunst)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ok = subprocess.run(
                ["dunstctl", "is-paused"], env=env, capture_output=True, timeout=5
            ).returncode
            if ok == 0:
                break
            time.sleep(0.05)
        else:
            pytest.fail("dunst did not come up on the private bus")
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        monkeypatch.setenv("DISPLAY", display)
        yield Desktop(address, record, choice, env)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
            if p.stdout is not None:
                p.stdout.close()


def test_the_desktop_channel_reaches_dunst(desktop: Desktop) -> None:
    assert desktop_available()
    pressed: list[tuple[str, str]] = []
    channel = DesktopChannel(on_action=lambda action, slot: pressed.append((action, slot)))
    try:
        channel.send("Time to roll: forehead", "Light pressure.", slot="2026-11-26T20:00Z")
    finally:
        channel.close()
    rows = desktop.received(1)
    assert rows == [["rollminder", "Time to roll: forehead", "Light pressure."]]


def test_the_done_and_snooze_buttons_log_and_snooze(
    planned: Runner, desktop: Desktop, home: Path
) -> None:
    import datetime as dt

    from rollminder.env import Env
    from rollminder.remind.daemon import _Desktop
    from rollminder.remind.records import ChannelConfig
    from rollminder.service import Rollminder

    slot = dt.datetime.fromisoformat("2026-11-26T21:00+01:00")
    env = Env(home=home, clock=lambda: slot + dt.timedelta(minutes=5))
    buttons = _Desktop(env)
    config = ChannelConfig(
        name="desktop", url="desktop://", masked="desktop://", kind="desktop", created_at=T0
    )
    try:
        channel = buttons.build(config)
        channel.send("Time to roll", "now", slot="2026-11-26T20:00Z")
        assert len(desktop.received(1)) == 1
        desktop.press("Snooze")
        deadline = time.monotonic() + 10
        with env.open_store() as store:
            while not store.snoozes() and time.monotonic() < deadline:
                time.sleep(0.05)
            [z] = store.snoozes()
        assert z.until == slot + dt.timedelta(minutes=35)
        channel.send("Snoozed: time to roll", "now", slot="2026-11-26T20:00Z")
        assert len(desktop.received(2)) == 2
        desktop.press("Done")
        with env.open_store() as store:
            app = Rollminder(store, env.now)
            while not app.history() and time.monotonic() < deadline:
                time.sleep(0.05)
            [session] = app.history()
        assert session.start == (slot + dt.timedelta(minutes=5)).astimezone(dt.UTC)
    finally:
        buttons.close()


def test_with_no_channel_the_reminder_goes_to_the_desktop(
    planned: Runner, desktop: Desktop
) -> None:
    result = planned("remind", now="2026-11-26T21:00+01:00")
    assert result.out == "Sent the reminder to roll via desktop.\n", result.err
    rows = desktop.received(1)
    assert len(rows) == 1 and rows[0][1].startswith("Time to roll")
    listing = planned("channel", "list", "--json").json()
    assert [(c["name"], c["implicit"]) for c in listing] == [("desktop", True)]
    assert listing[0]["last_sent"] is not None
    assert "No reminder can reach you" not in planned("next").err


BARE_BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def test_no_notification_server_is_a_failure_not_a_silent_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, planned: Runner
) -> None:
    _require_tools()
    config = tmp_path / "bus.conf"
    config.write_text(BARE_BUS)  # no service directories: nothing can be started on demand
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert bus.stdout is not None
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.stdout.readline().decode().strip())
        assert not desktop_available()
        channel = DesktopChannel()
        try:
            with pytest.raises(ChannelError):
                channel.send("x", "y")
        finally:
            channel.close()
        result = planned("remind", now="2026-11-26T21:00+01:00")
        assert "No reminder can reach you" in result.err and result.out == ""
        assert "No reminder can reach you" in planned("next").err  # the daemon's probe said so
    finally:
        bus.terminate()
        bus.wait(timeout=5)
        if bus.stdout is not None:
            bus.stdout.close()


def test_the_probe_works_from_inside_an_event_loop(desktop: Desktop) -> None:
    import asyncio

    async def handler() -> bool:  # as a web app's request handler would call it
        return desktop_available()

    assert asyncio.run(handler())
