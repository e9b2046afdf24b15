"""What the in-process web tests share: the address they use, their "now", a planned data folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rollminder.env import Env
from rollminder.service import Rollminder

#: The app answers only loopback host names while no password is set (DNS rebinding).
BASE = "http://127.0.0.1:8765"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # Wednesday 10:00 in Berlin


class Clock:
    """A clock the test sets: ``clock.now = ...``."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def planned_env(tmp_path: Path) -> Env:
    """A data folder at NOW with a Mon+Thu 21:00 plan in Berlin (0.25 mm, twice a week)."""
    env = Env(home=tmp_path / "home", clock=lambda: NOW)
    with env.open_store() as store:
        Rollminder(store, env.now).set_plan(
            needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin"
        )
    return env
