"""A command is one moment: `rollminder next` (and the other quick commands) read the clock once,
and every use case sees that instant (issue #10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rollminder import cli
from tests.conftest import SETUP


class CountingClock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start
        self.reads = 0

    def __call__(self) -> dt.datetime:
        self.reads += 1
        # Every read moves the clock on: a use case that read it twice would see two instants.
        self.now += dt.timedelta(seconds=1)
        return self.now


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CountingClock:
    clock = CountingClock(dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC))
    monkeypatch.setenv("ROLLMINDER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ROLLMINDER_NOW", raising=False)
    monkeypatch.setattr(cli, "clock_from_environment", lambda: clock)
    return clock


@pytest.mark.parametrize(
    "args",
    [
        ["next"],
        ["next", "--json"],
        ["status"],
        ["status", "--json"],
        ["history"],
        ["stats"],
        ["done", "--at", "yesterday 21:00"],
        ["skip", "--reason", "travel"],
    ],
)
def test_a_command_reads_the_clock_once(counting: CountingClock, args: list[str]) -> None:
    assert cli.main(SETUP) == 0
    counting.reads = 0
    assert cli.main(args) == 0
    assert counting.reads == 1


def test_setup_reads_the_clock_once(counting: CountingClock) -> None:
    assert cli.main(SETUP) == 0
    assert counting.reads == 1
