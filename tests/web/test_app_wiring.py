"""The web app over the other modules, for real: the calendar feed (rollminder.calendar), the
clinician notes and the pre-session check (rollminder.check), reminder channels, snooze and the
reminder loop with its Done/Snooze links (rollminder.remind), against loopback receivers."""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import icalendar
import pytest
from starlette.testclient import TestClient

from rollminder import rules
from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web import security
from rollminder.web.app import create_app
from tests.remind_receivers import dead_port, http_receiver
from tests.web.common import BASE, Clock

BERLIN = ZoneInfo("Europe/Berlin")
#: Wednesday 25 Nov 2026, 10:00 in Berlin; the plan rolls Mon and Thu at 21:00.
WEDNESDAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
#: Thursday 26 Nov, 21:01 in Berlin: that slot is open (due).
SLOT_OPEN = dt.datetime(2026, 11, 26, 21, 1, tzinfo=BERLIN)


@pytest.fixture
def clock() -> Clock:
    return Clock(WEDNESDAY)


def csrf(client: TestClient, path: str = "/") -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


T = TypeVar("T")


def read(env: Env, fn: Callable[[Rollminder], T]) -> T:
    """``fn`` of a Rollminder over the profile's data (its own store, closed after)."""
    with env.open_store() as store:
        return fn(Rollminder(store, env.now))


def settings_link(client: TestClient, field: str) -> str:
    found = re.search(
        rf'id="{field}" value="{re.escape(BASE)}([^"]+)"', client.get("/settings").text
    )
    assert found, field
    return found.group(1)


def flashes(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", m) for m in re.findall(r'<p class="msg [a-z]+">([^<]*)</p>', html)]


# -- the calendar feed -----------------------------------------------------------------------------


def test_feed_serves_the_real_calendar_one_event_per_slot(client: TestClient, env: Env) -> None:
    feed = settings_link(client, "feed-url")
    response = client.get(feed)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(response.content)
    starts = [e["DTSTART"].dt for e in cal.walk("VEVENT")]
    assert len(starts) >= 15  # eight weeks of Mon + Thu
    _, slots = read(env, lambda app: app.next(len(starts)))
    assert starts == [s.start for s in slots]  # exactly the schedule's slots, in order
    assert starts[0] == dt.datetime(2026, 11, 26, 21, tzinfo=BERLIN)
    assert all(s.weekday() in (0, 3) and s.time() == dt.time(21) for s in starts)
    assert len({str(e["UID"]) for e in cal.walk("VEVENT")}) == len(starts)
    # The same bytes as the CLI's export of the same data.
    from rollminder import calendar

    assert response.content == read(env, calendar.feed)


def test_feed_with_a_wrong_token_is_a_404_and_rotation_retires_the_old_link(
    client: TestClient,
) -> None:
    old = settings_link(client, "feed-url")
    assert client.get("/feed/wrong.ics").status_code == 404
    assert client.get(old.replace("/feed/", "/feed/x")).status_code == 404
    assert client.get(old).status_code == 200
    client.post("/settings/rotate/feed", data={"csrf_token": csrf(client)})
    new = settings_link(client, "feed-url")
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).content.startswith(b"BEGIN:VCALENDAR")


# -- clinician notes and the pre-session check -----------------------------------------------------


def test_clinician_notes_after_set_clinician_answers(client: TestClient, env: Env) -> None:
    pregnancy = next(q for q in rules.CLINICIAN_QUESTIONS if q.key == "pregnancy")
    assert pregnancy.reason not in client.get("/").text
    read(env, lambda app: app.set_clinician_answers({"pregnancy": True}))
    for path in ("/", "/session", "/session/go"):
        page = client.get(path).text
        assert "Standing notes" in page and pregnancy.reason in page, path
    read(env, lambda app: app.set_clinician_answers({"pregnancy": False}))
    assert pregnancy.reason not in client.get("/").text


def test_the_wizard_stores_the_clinician_answers(tmp_path: Path, clock: Clock) -> None:
    env = Env(home=tmp_path / "fresh", clock=clock)
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        response = c.post(
            "/welcome",
            data={
                "csrf_token": csrf(c, "/welcome"),
                "needle_mm": "0.25",
                "tz": "Europe/Berlin",
                "clinician_pregnancy": "yes",
                "clinician_keloid": "no",
                "understood": "yes",
            },
        )
        assert response.status_code == 200
    answers = read(env, lambda app: app.clinician_answers())
    assert answers == {q.key: q.key == "pregnancy" for q in rules.CLINICIAN_QUESTIONS}
    assert read(env, lambda app: app.clinician_notes()) == [
        q.reason for q in rules.CLINICIAN_QUESTIONS if q.key == "pregnancy"
    ]


def all_no() -> dict[str, str]:
    return {f"q_{q.key}": "no" for q in rules.STOP_QUESTIONS}


def test_a_stop_answer_records_a_real_skip(client: TestClient, env: Env, clock: Clock) -> None:
    clock.now = SLOT_OPEN
    skin = next(q for q in rules.STOP_QUESTIONS if not q.asks_date)
    page = client.post(
        "/session/check", data={"csrf_token": csrf(client), **all_no(), f"q_{skin.key}": "yes"}
    )
    assert page.status_code == 200 and "No rolling today" in page.text
    (skip,) = read(env, lambda app: app.skips())
    assert skip.reason == skin.reason
    assert skip.slot == dt.datetime(2026, 11, 26, 21, tzinfo=BERLIN)
    assert read(env, lambda app: app.store.holds()) == []
    assert read(env, lambda app: app.history()) == []
    # The slot is skipped: the next one is a catch-up the next evening.
    assert "Next session: <strong>Fri 27 Nov 2026, 21:00</strong>" in page.text


def test_a_retinoid_date_records_a_real_hold_and_the_session_page_says_not_now(
    client: TestClient, env: Env, clock: Clock
) -> None:
    clock.now = SLOT_OPEN
    retinoid = next(q for q in rules.STOP_QUESTIONS if q.key == "retinoid")
    page = client.post(
        "/session/check",
        data={
            "csrf_token": csrf(client),
            **all_no(),
            "q_retinoid": "yes",
            "date_retinoid": "2026-11-26",
            "time_retinoid": "08:00",
        },
    )
    assert page.status_code == 200 and "Rolling waits until Sat 28 Nov 2026, 08:00" in page.text
    (hold,) = read(env, lambda app: app.store.holds())
    assert hold.question == "retinoid" and hold.reason == retinoid.reason
    assert hold.until == dt.datetime(2026, 11, 28, 8, tzinfo=BERLIN)
    (skip,) = read(env, lambda app: app.skips())
    assert skip.reason == retinoid.reason
    session = client.get("/session").text
    assert "Your plan says: not now." in session
    assert "It holds off rolling until Sat 28 Nov, 08:00" in session
    assert "On hold" in client.get("/").text


def test_a_wrong_answer_is_one_line_and_changes_nothing(
    client: TestClient, env: Env, clock: Clock
) -> None:
    clock.now = SLOT_OPEN
    refused = client.post(
        "/session/check",
        data={"csrf_token": csrf(client), **all_no(), "q_retinoid": "yes", "date_retinoid": "x"},
    )
    assert refused.status_code == 400 and "YYYY-MM-DD" in refused.text
    assert read(env, lambda app: (app.skips(), app.store.holds())) == ([], [])


def test_session_check_on_asks_first_and_off_goes_straight_to_the_player(
    client: TestClient, env: Env
) -> None:
    assert read(env, lambda app: app.settings().session_check) == 1
    asked = client.get("/session").text
    assert "Before you roll" in asked and 'id="guide-data"' not in asked
    read(env, lambda app: app.set_settings(session_check=0))
    player = client.get("/session").text
    assert "Before you roll" not in player and 'id="guide-data"' in player
    # With the check off, a check posted anyway records nothing and goes to the player.
    posted = client.post(
        "/session/check",
        data={"csrf_token": csrf(client), **all_no(), "q_skin": "yes"},
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"] == "/session/go"
    assert read(env, lambda app: app.skips()) == []


# -- reminder channels -----------------------------------------------------------------------------


def test_channels_added_listed_tested_and_removed_with_a_real_receiver(
    client: TestClient, env: Env
) -> None:
    with http_receiver() as rx:
        token = csrf(client)
        added = client.post(
            "/settings/channels/add",
            data={"csrf_token": token, "url": f"json://{rx.base}/hook", "name": "hook"},
        )
        assert added.status_code == 200
        assert any(m.startswith("Channel hook added (json://") for m in flashes(added.text))
        page = client.get("/settings").text
        assert "<b>hook</b> (json)" in page and "Send a test" in page
        tested = client.post("/settings/channels/test", data={"csrf_token": token, "name": "hook"})
        assert flashes(tested.text) == ["hook: sent"]
        (got,) = rx.wait(1)
        assert got.path == "/hook" and got.json()["title"] == "rollminder test"
        removed = client.post(
            "/settings/channels/remove", data={"csrf_token": token, "name": "hook"}
        )
        assert flashes(removed.text) == ["Channel removed."]
        assert read(env, lambda app: app.store.channels()) == []
        after = client.get("/settings").text
        assert "No channel set up yet" in after


def test_a_failing_channel_shows_its_error(client: TestClient) -> None:
    token = csrf(client)
    client.post(
        "/settings/channels/add",
        data={"csrf_token": token, "url": f"json://127.0.0.1:{dead_port()}/hook", "name": "gone"},
    )
    tested = client.post("/settings/channels/test", data={"csrf_token": token, "name": "gone"})
    assert '<p class="msg error">gone: failed (' in tested.text


def test_bad_channel_input_is_one_line_and_changes_nothing(client: TestClient, env: Env) -> None:
    token = csrf(client)
    for form, status, words in (
        ({"url": "not a url"}, 400, "A channel is a URL"),
        ({"url": "json://127.0.0.1/x", "name": "bad name!"}, 400, "Channel names are"),
        ({"url": ""}, 400, "Give the channel's URL"),
    ):
        refused = client.post("/settings/channels/add", data={"csrf_token": token, **form})
        assert refused.status_code == status and words in html.unescape(refused.text), form
    missing = client.post("/settings/channels/remove", data={"csrf_token": token, "name": "nope"})
    assert missing.status_code == 404 and "No channel named 'nope'" in html.unescape(missing.text)
    assert read(env, lambda app: app.store.channels()) == []


# -- Done / Snooze links ---------------------------------------------------------------------------


def test_snooze_link_creates_a_real_snooze_and_done_logs(
    client: TestClient, env: Env, clock: Clock
) -> None:
    done = settings_link(client, "done-url")
    snooze = settings_link(client, "snooze-url")
    closed = client.post(snooze, headers={"Accept": "text/plain"})
    assert closed.status_code == 404 and "nothing to snooze" in closed.text  # Wednesday
    assert read(env, lambda app: app.store.snoozes()) == []
    clock.now = SLOT_OPEN
    with TestClient(client.app, base_url=BASE) as phone:  # no cookie, no CSRF token
        snoozed = phone.post(snooze, headers={"Accept": "text/plain"})
        assert snoozed.status_code == 200
        assert snoozed.text == "Snoozed: reminded again at 21:31.\n"
        (z,) = read(env, lambda app: app.store.snoozes())
        assert z.until == SLOT_OPEN + dt.timedelta(minutes=30) and z.n == 1
        logged = phone.post(done, headers={"Accept": "text/plain"})
    assert logged.status_code == 200 and logged.text.startswith("Logged a session at 21:01")
    assert len(read(env, lambda app: app.history())) == 1


# -- the reminder loop inside the app --------------------------------------------------------------


def reminder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "rollminder-reminders"]


def heartbeat(env: Env) -> str | None:
    return read(env, lambda app: app.store.reminder_state("daemon"))


def wait_for(what: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_app_runs_the_reminder_loop_with_action_links(env: Env, clock: Clock) -> None:
    clock.now = SLOT_OPEN
    with http_receiver() as rx:
        read(env, lambda app: app.add_channel(f"json://{rx.base}/hook"))
        app = create_app(env, base_url=BASE)
        with TestClient(app, base_url=BASE) as c:
            assert len(reminder_threads()) == 1
            (got,) = rx.wait(1)
            message = got.json()
            assert message["title"].startswith("Time to roll: forehead, cheeks, chin")
            secret = read(env, lambda a: a.store.secret(security.ACTION_TOKEN))
            assert secret
            done = f"{BASE}/act/{secret}/done"
            snooze = f"{BASE}/act/{secret}/snooze"
            assert message["message"].endswith(f"\n\nDone: {done}\nSnooze 30 min: {snooze}")
            assert settings_link(c, "done-url") == done.removeprefix(BASE)
            # Following the Snooze link (its page's button posts) snoozes the slot.
            assert "Snooze" in c.get(snooze.removeprefix(BASE)).text
            snoozed = c.post(snooze.removeprefix(BASE), headers={"Accept": "text/plain"})
            assert snoozed.status_code == 200 and snoozed.text.startswith("Snoozed")
            assert len(read(env, lambda a: a.store.snoozes())) == 1
            started = time.monotonic()
        assert time.monotonic() - started < 5  # the loop stops promptly with the app
        assert reminder_threads() == []
        assert len(rx.received) == 1
        assert [(d.kind, d.state) for d in read(env, lambda a: a.store.deliveries())] == [
            ("session", "recorded")
        ]

        # Served again 31 minutes later: the session reminder is not repeated; the snoozed one
        # comes, with the links too.
        read(env, lambda a: a.store.put_reminder_state("daemon", ""))
        clock.now = SLOT_OPEN + dt.timedelta(minutes=31)
        with TestClient(create_app(env, base_url=BASE), base_url=BASE):
            wait_for(lambda: heartbeat(env))  # the new loop's first pass is over
            _, second = rx.wait(2)
        assert len(rx.received) == 2
        assert second.json()["title"].startswith("Snoozed: time to roll")
        assert second.json()["message"].endswith(f"Snooze 30 min: {snooze}")


def test_without_a_base_url_reminders_carry_no_links(env: Env, clock: Clock) -> None:
    clock.now = SLOT_OPEN
    with http_receiver() as rx:
        read(env, lambda app: app.add_channel(f"json://{rx.base}/hook"))
        with TestClient(create_app(env), base_url=BASE):
            (got,) = rx.wait(1)
        assert "/act/" not in got.json()["message"]


def test_no_reminder_loop_when_asked_not_to(env: Env, clock: Clock) -> None:
    clock.now = SLOT_OPEN
    with http_receiver() as rx:
        read(env, lambda app: app.add_channel(f"json://{rx.base}/hook"))
        with TestClient(create_app(env, start_reminders=False, base_url=BASE), base_url=BASE):
            assert reminder_threads() == []
            assert rx.wait(1, timeout=0.5) == []


# -- rollminder serve, end to end ------------------------------------------------------------------


def test_serve_sends_reminders_with_links_that_work(tmp_path: Path) -> None:
    """``rollminder serve`` as a person runs it: its reminder loop sends the session reminder
    with Done/Snooze links to this server; posting the Snooze link snoozes; SIGTERM stops it."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    from rollminder.cli import main
    from tests.conftest import SETUP
    from tests.web.conftest import free_port

    home = tmp_path / "home"
    port = free_port()
    with http_receiver() as rx:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ROLLMINDER_NOW", "2026-11-25T10:00+01:00")
            assert main(["--home", str(home), *SETUP]) == 0
            assert main(["--home", str(home), "channel", "add", f"json://{rx.base}/hook"]) == 0
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
        env |= {"ROLLMINDER_NOW": "2026-11-26T21:01+01:00", "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "rollminder", "--home", str(home), "serve"]
        proc = subprocess.Popen(
            [*command, "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            (got,) = rx.wait(1, timeout=30)
            body = got.json()["message"]
            found = re.search(
                rf"Snooze 30 min: (http://127\.0\.0\.1:{port}/act/([^/\s]+)/snooze)$", body
            )
            assert found, body
            assert f"Done: http://127.0.0.1:{port}/act/{found.group(2)}/done\n" in body
            request = urllib.request.Request(
                found.group(1), method="POST", headers={"Accept": "text/plain"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
                assert response.read().decode().startswith("Snoozed: reminded again at 21:3")
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=15)
        # uvicorn shuts down (the lifespan stops the loop) and re-raises the signal.
        assert proc.returncode in (0, -signal.SIGTERM), err
        assert "Traceback" not in err, err
        assert found.group(2) not in out + err  # the token is in no log line
    with Env(home=home).open_store() as store:
        assert len(store.snoozes()) == 1
        assert store.secret(security.ACTION_TOKEN) == found.group(2)


def test_links_point_at_the_address_served() -> None:
    import socket

    from rollminder.cli.web import link_base

    assert link_base("http", "127.0.0.1", 8765) == "http://127.0.0.1:8765"
    assert link_base("http", "::1", 8000) == "http://[::1]:8000"
    assert link_base("https", "0.0.0.0", 443) == f"https://{socket.gethostname()}:443"


def test_a_retinoid_yes_without_a_date_holds_48_hours_from_now(
    client: TestClient, env: Env, clock: Clock
) -> None:
    """Issue 11, item 6: no date means "just now": the full 48 h, no catch-up inside it."""
    clock.now = SLOT_OPEN
    page = client.post(
        "/session/check", data={"csrf_token": csrf(client), **all_no(), "q_retinoid": "yes"}
    )
    assert page.status_code == 200 and "Rolling waits until Sat 28 Nov 2026, 21:01" in page.text
    (hold,) = read(env, lambda app: app.store.holds())
    assert hold.until == SLOT_OPEN + dt.timedelta(hours=48)
    assert "Fri 27 Nov" not in page.text
    form = client.get("/session").text
    assert "Without a date" in form
