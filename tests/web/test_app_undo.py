"""Edit and undo on the web (issues 11 item 8, 13): every delete and edit of the Log shows an
Undo toast that takes it back; /log/pause keeps the answers with an inline message; Done on
Today asks before a second session the same day."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web.app import create_app
from tests.web.common import BASE, NOW, planned_env

UTC = dt.UTC


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return planned_env(tmp_path)


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        c.headers["X-CSRF-Token"] = re.findall(r'"X-CSRF-Token": "([^"]+)"', c.get("/").text)[0]
        yield c


def toast(text: str) -> str:
    found = re.search(r'<div class="msg ok toast" id="undo-toast">(.*?)</div>', text, re.S)
    assert found, text[-1500:]
    return found.group(1)


def read(env: Env, fn: object) -> object:
    with env.open_store() as store:
        return fn(Rollminder(store, env.now))  # type: ignore[operator]


def test_a_deleted_session_comes_back_with_undo(client: TestClient, env: Env) -> None:
    with env.open_store() as store:
        Rollminder(store, env.now).log_session(at=NOW - dt.timedelta(days=2), note="kept")
    [session] = read(env, lambda app: app.history())  # type: ignore[misc]
    page = client.post(f"/log/session/{session.id}/delete")
    assert page.status_code == 200
    box = toast(page.text)
    assert "Deleted the session." in box
    assert 'action="/undo"' in box and 'name="csrf_token"' in box
    assert 'name="back" value="/log"' in box
    assert 'role="status"' in page.text  # the flash area announces it
    assert read(env, lambda app: app.history()) == []
    # For that page view only: the next page has no toast.
    assert "undo-toast" not in client.get("/log").text
    undone = client.post("/undo", data={"back": "/log"})
    assert undone.status_code == 200 and str(undone.url).endswith("/log")
    assert "Undone: the session of" in html.unescape(undone.text)
    assert read(env, lambda app: app.history()) == [session]
    again = client.post("/undo", data={"back": "/log"})
    assert "Nothing to undo." in again.text


def test_an_edit_is_undone_back_to_what_it_was(client: TestClient, env: Env) -> None:
    with env.open_store() as store:
        Rollminder(store, env.now).log_session(at=NOW - dt.timedelta(days=2), minutes=3)
    [before] = read(env, lambda app: app.history())  # type: ignore[misc]
    at = before.start.astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%Y-%m-%dT%H:%M")
    page = client.post(f"/log/session/{before.id}/edit", data={"at": at, "minutes": "7"})
    assert "Session changed." in toast(page.text)
    [changed] = read(env, lambda app: app.history())  # type: ignore[misc]
    assert changed.minutes == 7
    client.post("/undo", data={"back": "/log"})
    assert read(env, lambda app: app.history()) == [before]


@pytest.mark.parametrize("kind", ["pause", "roller", "visit"])
def test_cancel_retire_and_visit_delete_offer_undo(client: TestClient, env: Env, kind: str) -> None:
    app_rows = {
        "pause": lambda app: app.pauses(),
        "roller": lambda app: [r for r in app.rollers() if r.retired is None],
        "visit": lambda app: app.visits(),
    }[kind]
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        if kind == "pause":
            row = app.pause(dt.date(2026, 12, 1), dt.date(2026, 12, 5), "trip")
            path = f"/log/pause/{row.id}/cancel"
        elif kind == "roller":
            row, _ = app.add_roller(label="Blue", needle_mm=0.25)
            path = f"/log/roller/{row.id}/retire"
        else:
            row = app.add_visit(at=NOW + dt.timedelta(days=20), clinic="Dr A")
            path = f"/log/visit/{row.id}/delete"
    before = read(env, app_rows)
    page = client.post(path)
    toast(page.text)
    assert read(env, app_rows) != before
    client.post("/undo", data={"back": "/log"})
    assert read(env, app_rows) == before


@pytest.mark.parametrize("back", ["//evil.example/x", "https://evil.example/", "javascript:x"])
def test_undo_goes_back_only_to_a_path_of_this_app(client: TestClient, env: Env, back: str) -> None:
    r = client.post("/undo", data={"back": back}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/") and not r.headers["location"].startswith("//")


def test_undo_needs_the_csrf_token(env: Env) -> None:
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        assert c.post("/undo", data={"back": "/log"}).status_code == 403


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"first": "2026-12-10", "last": "2026-12-01", "reason": "trip"}, "last", "on or after"),
        ({"first": "2026-12-10", "last": "", "reason": "trip"}, "last", "first and last day"),
        ({"first": "soon", "last": "2026-12-12", "reason": "trip"}, "first", "first day"),
    ],
)
def test_a_refused_pause_keeps_the_answers_with_an_inline_message(
    client: TestClient, env: Env, data: dict[str, str], field: str, words: str
) -> None:
    r = client.post("/log/pause", data=data)
    assert r.status_code == 400
    message = re.search(rf'<p class="field-error" id="e-{field}">([^<]*)</p>', r.text)
    assert message and words in html.unescape(message.group(1)), r.text[-2000:]
    assert f'value="{data["reason"]}"' in r.text and f'value="{data["first"]}"' in r.text
    assert "That did not work" not in r.text
    assert read(env, lambda app: app.pauses()) == []


def test_done_twice_a_day_asks_first(client: TestClient, env: Env) -> None:
    env.clock = lambda: NOW.replace(hour=20, minute=5)  # 21:05 in Berlin
    first = client.post("/today/done")
    assert first.status_code == 200 and "Done: logged a session at 21:05." in first.text
    env.clock = lambda: NOW.replace(hour=21, minute=30)
    asked = client.post("/today/done")
    assert asked.status_code == 200
    assert "You already rolled today at 21:05 — log another? It counts once." in asked.text
    assert len(read(env, lambda app: app.history())) == 1  # type: ignore[arg-type]
    again = client.post("/today/done", data={"again": "1"})
    assert "Done: logged a session at 22:30." in again.text
    assert len(read(env, lambda app: app.history())) == 2  # type: ignore[arg-type]
