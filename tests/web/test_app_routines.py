"""Routines on the web (issue 12): the switcher on Today, Session, Log and History, Today's list
of every routine's slots, and setting up a second routine from Settings."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web.app import create_app
from tests.web.common import BASE, planned_env

PAGES = ("/", "/session", "/log", "/log/pauses", "/history")


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return planned_env(tmp_path)


def add_thighs(env: Env) -> None:
    with env.open_store() as store:
        Rollminder(store, env.now).add_routine(
            "thighs", needle_mm=0.5, zones=("thighs",), weekdays=(5,), sessions=1
        )


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        c.headers["X-CSRF-Token"] = re.findall(r'"X-CSRF-Token": "([^"]+)"', c.get("/").text)[0]
        yield c


@pytest.mark.parametrize("path", PAGES)
def test_one_routine_sees_no_switcher(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text[-400:]
    assert 'aria-label="Routines"' not in r.text


@pytest.mark.parametrize("path", PAGES)
def test_the_switcher_shows_with_two_routines_and_remembers_the_choice(
    client: TestClient, env: Env, path: str
) -> None:
    add_thighs(env)
    first = client.get(path)
    assert 'aria-label="Routines"' in first.text
    assert re.search(r'routine=face" aria-current="true"', first.text), first.text[-2000:]
    chosen = client.get(f"{path}?routine=thighs")
    assert re.search(r'routine=thighs" aria-current="true"', chosen.text)
    again = client.get(path)  # remembered in the session
    assert re.search(r'routine=thighs" aria-current="true"', again.text)


def test_an_unknown_routine_is_one_line(client: TestClient, env: Env) -> None:
    add_thighs(env)
    r = client.get("/?routine=elbows")
    assert r.status_code == 404
    assert "No routine elbows: your routines are face, thighs." in r.text
    assert "Traceback" not in r.text


def test_today_lists_every_routines_slots_and_each_page_works_on_the_chosen_one(
    client: TestClient, env: Env
) -> None:
    add_thighs(env)
    today = client.get("/").text
    listed = re.search(r'<ol class="slots" id="routine-slots">(.*?)</ol>', today, re.S)
    assert listed, today[-2000:]
    assert '<span class="pill">face</span>' in listed.group(1)
    assert '<span class="pill">thighs</span>' in listed.group(1)
    assert "0.5 mm needle" in client.get("/?routine=thighs").text
    assert "0.25 mm needle" in client.get("/?routine=face").text


def test_done_on_today_logs_into_the_chosen_routine(client: TestClient, env: Env) -> None:
    add_thighs(env)
    r = client.post("/today/done?routine=thighs", follow_redirects=False)
    assert r.status_code == 303, r.text[-400:]
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        assert app.for_routine("thighs").history() != []
        assert app.for_routine("face").history() == []


def test_the_session_page_prompts_the_routines_roller(client: TestClient, env: Env) -> None:
    add_thighs(env)
    text = client.get("/session?routine=thighs").text
    assert re.search(r"Your thighs routine:</strong> take your 0.5 mm roller", text), text[-3000:]
    assert "take your 0.25 mm roller" in client.get("/session?routine=face").text


def test_a_removed_routine_falls_back_to_the_first(client: TestClient, env: Env) -> None:
    add_thighs(env)
    client.get("/?routine=thighs")
    with env.open_store() as store:
        Rollminder(store, env.now).remove_routine("thighs")
    r = client.get("/")
    assert r.status_code == 200
    assert "0.25 mm needle" in r.text
    assert 'aria-label="Routines"' not in r.text


def test_a_second_routine_is_set_up_from_settings_in_steps(client: TestClient, env: Env) -> None:
    settings = client.get("/settings").text
    assert 'href="/settings/routine/new"' in settings
    step = client.get("/settings/routine/new")
    assert step.status_code == 200 and "Step 1 of 3" in step.text
    r = client.post(
        "/settings/routine/new", data={"name": "thighs", "needle_mm": "0.5"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].endswith("/when")
    r = client.post(
        "/settings/routine/new/when",
        data={"days": ["sat"], "time": "19:30"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("/areas")
    areas = client.get("/settings/routine/new/areas").text
    for area in ("Thighs", "Arms", "Abdomen", "Back of the hands"):
        assert area in areas
    r = client.post(
        "/settings/routine/new/areas",
        data={"zones": ["thighs", "abdomen"]},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/?routine=thighs"
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        plan = app.for_routine("thighs").plan()
        assert plan.needle_mm == 0.5 and plan.zones == ("thighs", "abdomen")
        assert plan.time == dt.time(19, 30) and plan.weekdays == (5,)
        assert app.for_routine("face").plan().needle_mm == 0.25  # the face plan is untouched
    today = client.get("/?routine=thighs").text
    assert "Added the routine thighs" in today
    assert 'aria-label="Routines"' in today


@pytest.mark.parametrize(
    ("step", "data", "field", "words"),
    [
        ("", {"name": "", "needle_mm": "0.5"}, "name", "Give the routine a name"),
        ("", {"name": "Face", "needle_mm": "0.5"}, "name", "There is a routine named face"),
        ("", {"name": "body", "needle_mm": "1.5"}, "needle_mm", "professional"),
        ("/when", {"days": ["sat"], "time": "25:99"}, "time", "time"),
        ("/areas", {}, "zones", "Choose at least one area."),
        ("/areas", {"zones": ["ears"]}, "zones", "Unknown area"),
    ],
)
def test_a_refused_answer_is_told_next_to_its_field_and_keeps_the_answers(
    client: TestClient, env: Env, step: str, data: dict[str, object], field: str, words: str
) -> None:
    if step:
        client.post("/settings/routine/new", data={"name": "thighs", "needle_mm": "0.75"})
        client.post("/settings/routine/new/when", data={"days": ["sun"], "time": "20:00"})
    r = client.post(f"/settings/routine/new{step}", data=data)  # type: ignore[arg-type]
    assert r.status_code == 400, r.text[-500:]
    error = re.search(rf'<p class="field-error" id="e-{field}">([^<]*)</p>', r.text)
    assert error and words.lower() in error.group(1).lower(), r.text[-3000:]
    assert "That did not work" not in r.text and "Traceback" not in r.text
    if step == "":
        assert f'value="{data["name"]}"' in r.text  # the answer as typed
    with env.open_store() as store:
        assert len(store.routines()) <= 1  # nothing added
