"""The log page: back-dated sessions and skips round-trip through add, edit and delete; pauses,
rollers, visits and series; bad input is refused with one line and changes nothing."""

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
from rollminder.store.sqlite import SqliteStore
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


def rows(env: Env) -> dict[str, list[object]]:
    with env.open_store() as store:
        return {
            "sessions": list(store.sessions()),
            "skips": list(store.skips()),
            "pauses": list(store.pauses()),
            "rollers": list(store.rollers()),
            "visits": list(store.visits()),
            "series": list(store.series()),
        }


def one_line_error(response: object) -> str:
    text = getattr(response, "text", "")
    found = re.search(r'<p class="msg error" role="alert">([^<]*)</p>', text)
    assert found, text[-800:]
    assert "\n" not in found.group(1)
    return html.unescape(found.group(1))


def test_back_dated_session_add_edit_delete(client: TestClient, env: Env) -> None:
    added = client.post(
        "/log/session",
        data={
            "at": "2026-11-16T21:05",
            "minutes": "2.5",
            "zones": ["neck"],
            "reaction": "mild",
            "note": "felt fine",
        },
    )
    assert added.status_code == 200
    assert "Logged a session: Mon 16 Nov, 21:05." in added.text
    [session] = rows(env)["sessions"]
    assert session.start == dt.datetime(2026, 11, 16, 20, 5, tzinfo=UTC)  # type: ignore[attr-defined]
    assert session.zones == ("neck",) and session.reaction == "mild"  # type: ignore[attr-defined]
    assert session.minutes == 2.5 and session.note == "felt fine"  # type: ignore[attr-defined]
    page = client.get("/log").text
    assert f"/log/session/{session.id}/edit" in page and "felt fine" in page  # type: ignore[attr-defined]

    form = client.get(f"/log/session/{session.id}/edit")  # type: ignore[attr-defined]
    assert 'value="2026-11-16T21:05"' in form.text and "felt fine" in form.text
    edited = client.post(
        f"/log/session/{session.id}/edit",  # type: ignore[attr-defined]
        data={"at": "2026-11-17T08:00", "minutes": "3", "zones": ["chin"], "note": "moved"},
    )
    assert edited.status_code == 200 and "Session changed." in edited.text
    [changed] = rows(env)["sessions"]
    assert changed.id == session.id  # type: ignore[attr-defined]
    assert changed.start == dt.datetime(2026, 11, 17, 7, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    assert changed.zones == ("chin",) and changed.note == "moved"  # type: ignore[attr-defined]
    assert changed.reaction is None  # type: ignore[attr-defined]

    deleted = client.post(f"/log/session/{session.id}/delete")  # type: ignore[attr-defined]
    assert deleted.status_code == 200 and "Deleted the session." in deleted.text
    assert rows(env)["sessions"] == []
    assert client.post(f"/log/session/{session.id}/delete").status_code == 404  # type: ignore[attr-defined]


def test_skip_add_edit_delete(client: TestClient, env: Env) -> None:
    added = client.post("/log/skip", data={"slot": "2026-11-23T21:00", "reason": "travel"})
    assert "Skipped the slot of Mon 23 Nov." in added.text
    [skip] = rows(env)["skips"]
    edited = client.post(
        f"/log/skip/{skip.id}/edit",  # type: ignore[attr-defined]
        data={"slot": "2026-11-23T21:00", "reason": "skin irritated"},
    )
    assert "Skip changed." in edited.text
    [changed] = rows(env)["skips"]
    assert changed.id == skip.id and changed.reason == "skin irritated"  # type: ignore[attr-defined]
    client.post(f"/log/skip/{skip.id}/delete")  # type: ignore[attr-defined]
    assert rows(env)["skips"] == []
    # The next slot when none is given.
    client.post("/log/skip", data={"reason": "busy"})
    [nxt] = rows(env)["skips"]
    assert nxt.slot == dt.datetime(2026, 11, 26, 20, 0, tzinfo=UTC)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "data", "words"),
    [
        ("/log/session", {"at": "2026-12-24T21:00"}, "in the future"),
        ("/log/session", {"at": "yesterday-ish"}, "date and time"),
        ("/log/session", {"at": "2026-11-20T21:00", "minutes": "abc"}, "must be a number"),
        ("/log/session", {"at": "2026-11-20T21:00", "minutes": "500"}, "at most 120"),
        ("/log/session", {"at": "2026-11-20T21:00", "zones": ["ears"]}, "Unknown zone"),
        ("/log/session", {"at": "2026-11-20T21:00", "reaction": "awful"}, "The reaction is one of"),
        ("/log/session", {"at": "2026-11-20T21:00", "note": "a\x00b"}, "control characters"),
        ("/log/skip", {"reason": "", "catch_up": "yes"}, "ticked or not"),  # reason optional now
        ("/log/pause", {"first": "2026-12-10", "last": "2026-12-01"}, "must end on or after"),
        ("/log/pause", {"first": "2026-12-10"}, "first and last day"),
        ("/log/roller", {"needle_mm": "9"}, "at most 3.0 mm"),
        ("/log/visit", {"at": ""}, "visit's date and time"),
        ("/log/series", {"count": "40", "spacing_weeks": "5"}, "1 to 12 visits"),
        ("/settings/plan", {"needle_mm": "1.0"}, "for professionals"),
        ("/settings/plan", {"tz": "Mars/Olympus"}, "Unknown time zone"),
        ("/settings/limits", {"roller_max_uses": "0"}, "Roller limits"),
    ],
)
def test_bad_input_is_refused_in_one_line_and_changes_nothing(
    client: TestClient, env: Env, path: str, data: dict[str, object], words: str
) -> None:
    before = rows(env)
    with env.open_store() as store:
        plans, settings = store.plans(), store.settings()
    response = client.post(path, data=data)  # type: ignore[arg-type]
    assert 400 <= response.status_code < 500, response.text[-500:]
    assert words in one_line_error(response)
    assert rows(env) == before
    with env.open_store() as store:
        assert store.plans() == plans and store.settings() == settings


def test_duplicate_session_is_a_conflict(client: TestClient, env: Env) -> None:
    client.post("/log/session", data={"at": "2026-11-20T21:00"})
    again = client.post("/log/session", data={"at": "2026-11-20T21:00"})
    assert again.status_code == 409 and "already logged" in one_line_error(again)
    assert len(rows(env)["sessions"]) == 1


def test_edit_that_is_refused_keeps_the_old_session(client: TestClient, env: Env) -> None:
    client.post("/log/session", data={"at": "2026-11-20T21:00", "note": "keep me"})
    [session] = rows(env)["sessions"]
    refused = client.post(
        f"/log/session/{session.id}/edit",  # type: ignore[attr-defined]
        data={"at": "2027-01-01T10:00", "note": "changed"},
    )
    assert refused.status_code == 400
    assert rows(env)["sessions"] == [session]


def test_pauses_rollers_visits_series(client: TestClient, env: Env) -> None:
    assert (
        "Paused from"
        in client.post(
            "/log/pause", data={"first": "2026-12-01", "last": "2026-12-05", "reason": "trip"}
        ).text
    )
    [pause] = rows(env)["pauses"]
    assert client.get("/log/pauses").text.count("trip") >= 1
    client.post(f"/log/pause/{pause.id}/cancel")  # type: ignore[attr-defined]
    assert rows(env)["pauses"] == []

    client.post("/log/roller", data={"label": "Old", "needle_mm": "0.25", "uses": "3"})
    client.post("/log/roller", data={"label": "New", "needle_mm": "0.25"})
    old, new = rows(env)["rollers"]
    assert old.retired == dt.date(2026, 11, 25) and new.retired is None  # type: ignore[attr-defined]
    client.post(f"/log/roller/{new.id}/retire")  # type: ignore[attr-defined]
    assert rows(env)["rollers"][1].retired is not None  # type: ignore[attr-defined]

    client.post("/log/series", data={"name": "Clinic A", "count": "4", "spacing_weeks": "5"})
    [series] = rows(env)["series"]
    client.post(
        "/log/visit",
        data={"at": "2027-01-10T14:00", "clinic": "Dr. B", "series": series.id},  # type: ignore[attr-defined]
    )
    [visit] = rows(env)["visits"]
    assert visit.series_id == series.id and visit.clinic == "Dr. B"  # type: ignore[attr-defined]
    page = client.get("/log/visits").text
    assert "Clinic A" in page and "0 of 4 done" in page
    client.post(f"/log/visit/{visit.id}/delete")  # type: ignore[attr-defined]
    assert rows(env)["visits"] == []


def test_backups_list_now_and_restore(client: TestClient, env: Env) -> None:
    client.post("/log/session", data={"at": "2026-11-20T21:00"})
    made = client.post("/settings/backup")
    assert "Backed up to rollminder-manual-" in made.text
    name = re.search(r"rollminder-manual-\d{8}T\d{6}\.db", made.text)
    assert name
    client.post("/log/session", data={"at": "2026-11-23T21:00"})
    assert len(rows(env)["sessions"]) == 2
    refused = client.post("/settings/restore", data={"name": "../../etc/passwd", "confirm": "yes"})
    assert refused.status_code == 400
    unconfirmed = client.post("/settings/restore", data={"name": name.group(0)})
    assert unconfirmed.status_code == 400 and len(rows(env)["sessions"]) == 2
    restored = client.post("/settings/restore", data={"name": name.group(0), "confirm": "yes"})
    assert restored.status_code == 200 and f"Restored {name.group(0)}." in restored.text
    assert len(rows(env)["sessions"]) == 1


def test_settings_plan_change(client: TestClient, env: Env) -> None:
    response = client.post(
        "/settings/plan",
        data={
            "needle_mm": "0.25",
            "days": ["tue", "fri"],
            "time": "20:30",
            "tz": "Europe/Berlin",
            "zones_given": "1",
            "zones": ["neck", "chest"],
        },
    )
    assert "Plan saved: 2 sessions a week at 20:30 (Europe/Berlin)." in response.text
    with env.open_store() as store:
        assert isinstance(store, SqliteStore)
        plan = store.plan()
    assert plan is not None and plan.weekdays == (1, 4) and plan.zones == ("neck", "chest")


def test_the_kept_store_is_reopened_each_day_for_the_daily_backup(tmp_path: Path) -> None:
    now = [NOW]
    env = Env(home=tmp_path / "home", clock=lambda: now[0])
    with env.open_store() as store:
        Rollminder(store, env.now).set_plan(needle_mm=0.25, tz="Europe/Berlin")
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        assert c.get("/").status_code == 200
        assert c.get("/").status_code == 200
        now[0] = NOW + dt.timedelta(days=1)
        assert not (env.backup_dir / "rollminder-2026-11-26.db").exists()
        assert c.get("/").status_code == 200
        assert (env.backup_dir / "rollminder-2026-11-26.db").exists()
