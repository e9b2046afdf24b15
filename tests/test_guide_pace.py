"""Issue 11, item 10: the guided session's pace. No step under 10 s (DOMAIN.md, "Technique"):
with more areas the minutes grow and the setup says why; the prep step offers the 10-minute soak
as an optional countdown; the terminal's bar counts steps as well as time."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from rollminder import guide
from rollminder.durations import say, say_minutes
from rollminder.model import ALL_DIRECTIONS, ZONES
from rollminder.rules import make_plan
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore
from rollminder.term import screen
from tests.conftest import Runner

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
EVERY_ZONE = tuple(ZONES)


def test_durations_as_people_say_them() -> None:
    assert [say(s) for s in (0, 44, 60, 180, 280, 3600, 3900, 90000)] == [
        "0 s", "44 s", "1 min", "3 min", "4 min 40 s", "1 h", "1 h 5 min", "1 day 1 h",
    ]  # fmt: skip
    assert say_minutes(2.5) == "2 min 30 s" and say_minutes(0.75) == "45 s"


def test_seven_areas_grow_the_plan_to_4_min_40_s() -> None:
    app = Rollminder(MemoryStore(), lambda: T0)
    plan = app.set_plan(needle_mm=0.25, zones=EVERY_ZONE, tz="UTC")
    assert round(plan.minutes * 60) == 280  # 7 areas x 4 directions x 10 s
    g = guide.build_guide(plan)
    assert min(s.seconds for s in g.rolling) == 10 and len(g.rolling) == 28
    assert guide.pace_note(plan.zones, plan.directions, plan.minutes) == (
        "7 areas x 4 directions need at least 4 min 40 s (10 s a step): "
        "your session is set to 4 min 40 s."
    )


def test_three_minutes_are_kept_when_they_are_enough() -> None:
    plan = make_plan(needle_mm=0.25, start=dt.date(2026, 11, 25), created_at=T0)
    assert plan.minutes == 3
    assert guide.pace_note(plan.zones, plan.directions, plan.minutes) == ""


@given(
    zones=st.lists(st.sampled_from(EVERY_ZONE), min_size=1, unique=True),
    directions=st.lists(st.sampled_from(ALL_DIRECTIONS), min_size=1, unique=True),
    minutes=st.floats(min_value=1, max_value=30),
)
def test_no_step_is_ever_under_10_seconds(
    zones: list[str], directions: list[str], minutes: float
) -> None:
    plan = make_plan(
        needle_mm=0.25,
        start=dt.date(2026, 11, 25),
        zones=tuple(zones),
        directions=tuple(directions),
        created_at=T0,
    )
    g = guide.build_guide(plan, minutes=minutes)
    assert all(s.seconds >= guide.MIN_STEP_SECONDS for s in g.rolling)
    assert g.total_seconds >= round(minutes * 60)


def test_the_prep_step_offers_the_soak() -> None:
    plan = make_plan(needle_mm=0.25, start=dt.date(2026, 11, 25), created_at=T0)
    g = guide.build_guide(plan)
    assert g.steps[0].soak_seconds == 600
    assert g.to_json()["steps"][0]["soak_seconds"] == 600
    assert all(s.soak_seconds == 0 for s in g.steps[1:])


def test_the_terminal_bar_counts_steps() -> None:
    plan = make_plan(needle_mm=0.25, start=dt.date(2026, 11, 25), created_at=T0)
    g = guide.build_guide(plan)
    view = screen.View(guide=g, step=g.rolling[2], remaining=5, rolled=30, paused=False)
    console = Console(width=100, record=True, color_system=None)
    console.print(screen.roll_view(view))
    text = console.export_text()
    assert "step 3/16" in text and "0:30 / 3:00" in text


def test_setup_and_plan_say_why_the_session_is_longer(rm: Runner) -> None:
    zones = ",".join(EVERY_ZONE)
    out = rm("setup", "--needle", "0.25", "--zones", zones, "--tz", "UTC", "--yes").out
    assert "Session    about 4 min 40 s:" in out
    assert "7 areas x 4 directions need at least 4 min 40 s (10 s a step): " in out
    assert "your session is set to 4 min 40 s." in rm("plan").out
    small = rm("plan", "set", "--zones", "forehead").out
    assert "Session    about 4 min 40 s:" in small and "need at least" not in small


def test_the_web_preview_says_why_the_session_is_longer(tmp_path: object) -> None:
    import re
    from pathlib import Path

    from starlette.testclient import TestClient

    from rollminder.env import Env
    from rollminder.web.app import create_app
    from tests.web.common import BASE, NOW

    env = Env(home=Path(str(tmp_path)) / "fresh", clock=lambda: NOW)
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as client:
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/welcome").text)
        assert token
        form = {"csrf_token": token.group(1), "needle_mm": "0.25", "tz": "Europe/Berlin"}
        form |= {"minutes": "3", "time": "21:00", "zones_given": "1"}
        page = client.post(
            "/welcome/preview",
            data=form | {"zones": list(EVERY_ZONE)},
            headers={"X-CSRF-Token": token.group(1)},
        )
        assert page.status_code == 200, page.text
        assert "7 areas x 4 directions need at least 4 min 40 s" in page.text
