"""The iCalendar feed: expanded as a client would, DST gaps and folds, stable UIDs and bytes."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from rollminder import calendar, schedule
from rollminder.errors import InvalidInput, NoPlan, RollminderError
from rollminder.service import Rollminder
from rollminder.store.memory import MemoryStore
from rollminder.web.app import create_app
from tests.conftest import Runner
from tests.web.common import Clock as WebClock

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


def make_app(
    now: dt.datetime,
    *,
    tz: str = "Europe/Berlin",
    time: dt.time = dt.time(21),
    weekdays: tuple[int, ...] = (0, 3),
    needle: float = 0.25,
) -> tuple[Rollminder, Clock]:
    clock = Clock(now)
    app = Rollminder(MemoryStore(), clock)
    app.set_plan(needle_mm=needle, sessions=len(weekdays), weekdays=weekdays, time=time, tz=tz)
    return app, clock


def events_of(data: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def expand(data: bytes, first: dt.date, last: dt.date) -> list[icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    return list(recurring_ical_events.of(cal).between(first, last))


# ---------------------------------------------------------------------------- expanded by a client


@pytest.mark.parametrize(
    ("tz", "now", "weekdays", "time", "special"),
    [
        # Berlin springs forward on Sun 2027-03-28 at 02:00: 02:30 does not exist -> 03:30 CEST.
        (
            "Europe/Berlin",
            dt.datetime(2027, 3, 20, 10, tzinfo=UTC),
            (2, 6),
            dt.time(2, 30),
            {dt.date(2027, 3, 28): dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)},
        ),
        # Berlin falls back on Sun 2026-10-25: 02:30 happens twice -> the first one (CEST).
        (
            "Europe/Berlin",
            dt.datetime(2026, 10, 19, 10, tzinfo=UTC),
            (2, 6),
            dt.time(2, 30),
            {dt.date(2026, 10, 25): dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)},
        ),
        # New York springs forward on Sun 2027-03-14: 02:30 -> 03:30 EDT.
        (
            "America/New_York",
            dt.datetime(2027, 3, 8, 15, tzinfo=UTC),
            (3, 6),
            dt.time(2, 30),
            {dt.date(2027, 3, 14): dt.datetime(2027, 3, 14, 7, 30, tzinfo=UTC)},
        ),
        # New York falls back on Sun 2026-11-01: 01:30 twice -> the first one (EDT).
        (
            "America/New_York",
            dt.datetime(2026, 10, 26, 15, tzinfo=UTC),
            (3, 6),
            dt.time(1, 30),
            {dt.date(2026, 11, 1): dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)},
        ),
    ],
)
def test_expanded_starts_are_the_plans_wall_time_across_dst(
    tz: str,
    now: dt.datetime,
    weekdays: tuple[int, ...],
    time: dt.time,
    special: dict[dt.date, dt.datetime],
) -> None:
    app, _ = make_app(now, tz=tz, weekdays=weekdays, time=time)
    data = calendar.feed(app, weeks=6)
    zone = ZoneInfo(tz)
    # Every DTSTART names the plan's zone, and the feed carries that zone's VTIMEZONE.
    cal = icalendar.Calendar.from_ical(data)
    assert not any("RRULE" in e for e in cal.walk("VEVENT"))  # (the VTIMEZONE has rules)
    assert [str(t["TZID"]) for t in cal.walk("VTIMEZONE")] == [tz]
    # ... except a fall-back time (it happens twice): UTC, so no client can pick the wrong one.
    for e in cal.walk("VEVENT"):
        local = e["DTSTART"].dt.astimezone(zone)
        if local.date() in special and now.month in (10, 11):
            assert "TZID" not in e["DTSTART"].params
            assert e["DTSTART"].to_ical().endswith(b"Z")
        else:
            assert e["DTSTART"].params["TZID"] == tz

    expanded = expand(data, now.date(), now.date() + dt.timedelta(weeks=6))
    expected_slots = schedule.upcoming(app.plan(), app.log_for(app.plan(), app.now()), now, 100)
    expected_slots = [s for s in expected_slots if s.start < now + dt.timedelta(weeks=6)]
    assert len(expanded) == len(expected_slots) >= 10
    seen_special = set()
    for event, slot in zip(
        sorted(expanded, key=lambda e: e["DTSTART"].dt), expected_slots, strict=True
    ):
        start = event["DTSTART"].dt
        # (By timestamp: PEP 495 makes a fall-back wall time unequal to any other zone's.)
        assert start.timestamp() == slot.start.timestamp()
        assert event["DTEND"].dt - start == dt.timedelta(minutes=3)
        local = start.astimezone(zone)
        assert local.weekday() in weekdays
        # The prep alarm names the time the session really starts (03:30 on a gap day).
        assert f"at {local:%H:%M}." in str(event.walk("VALARM")[0]["DESCRIPTION"])
        if local.date() in special:
            # The independent, hand-computed instant for the transition day.
            assert start.astimezone(UTC) == special[local.date()]
            seen_special.add(local.date())
        else:
            assert (local.hour, local.minute) == (time.hour, time.minute)
            assert local.replace(tzinfo=None) == dt.datetime.combine(local.date(), time)
    assert seen_special == set(special)


def test_alarms_description_duration_and_summary() -> None:
    app, _ = make_app(dt.datetime(2026, 11, 25, 9, tzinfo=UTC))
    event = events_of(calendar.feed(app, weeks=1))["slot-20261123-1." + tag(app) + "@rollminder"]
    assert event["DTSTART"].dt == dt.datetime(2026, 11, 26, 21, tzinfo=BERLIN)
    assert event["DURATION"].dt == dt.timedelta(minutes=3)
    assert str(event["SUMMARY"]) == "Derma rolling"
    text = str(event["DESCRIPTION"])
    for needed in ("forehead, cheeks, chin", "vertical", "diagonal, up to the left", "5 passes"):
        assert needed in text
    assert "isopropyl alcohol" in text and "store it in its case" in text
    assert "not medical advice" in text
    alarms = [(a["TRIGGER"].dt, str(a["ACTION"])) for a in event.walk("VALARM")]
    assert alarms == [(-dt.timedelta(minutes=15), "DISPLAY"), (dt.timedelta(0), "DISPLAY")]


def test_prep_alarm_follows_the_prep_minutes_setting() -> None:
    app, _ = make_app(dt.datetime(2026, 11, 25, 9, tzinfo=UTC))

    def alarms() -> list[dt.timedelta]:
        events = events_of(calendar.feed(app, weeks=2)).values()
        assert events
        found = {tuple(a["TRIGGER"].dt for a in e.walk("VALARM")) for e in events}
        assert len(found) == 1  # every slot has the same alarms
        return list(found.pop())

    assert alarms() == [-dt.timedelta(minutes=15), dt.timedelta(0)]
    app.set_settings(prep_minutes=30)
    assert alarms() == [-dt.timedelta(minutes=30), dt.timedelta(0)]
    app.set_settings(prep_minutes=0)  # off: only the session's own alarm
    assert alarms() == [dt.timedelta(0)]


def tag(app: Rollminder) -> str:
    return calendar.plan_tag(app.store.plans(), app.plan())


# ---------------------------------------------------------------------------- stability


def test_same_data_same_bytes_even_later_the_same_day() -> None:
    app, clock = make_app(dt.datetime(2026, 11, 25, 9, tzinfo=UTC))
    app.add_visit(at=dt.datetime(2027, 1, 20, 9, tzinfo=BERLIN), clinic="Dr Skin")
    first = calendar.feed(app, include_history=True)
    clock.now += dt.timedelta(hours=3)
    assert calendar.feed(app, include_history=True) == first
    # A second Rollminder over a copy of the rows gives the same bytes too (nothing in memory).
    assert calendar.feed(Rollminder(app.store, clock), include_history=True) == first


def test_a_skipped_slot_keeps_its_uid_and_raises_its_sequence() -> None:
    app, _ = make_app(dt.datetime(2026, 11, 25, 9, tzinfo=UTC))
    before = events_of(calendar.feed(app))
    thursday = f"slot-20261123-1.{tag(app)}@rollminder"
    assert before[thursday]["DTSTART"].dt == dt.datetime(2026, 11, 26, 21, tzinfo=BERLIN)
    assert before[thursday]["SEQUENCE"] == 0
    app.skip(slot=dt.datetime(2026, 11, 26, 21, tzinfo=BERLIN), reason="irritated", catch_up=True)
    after = events_of(calendar.feed(app))
    assert set(after) == set(before)
    moved = after[thursday]
    assert moved["DTSTART"].dt != before[thursday]["DTSTART"].dt
    assert moved["SEQUENCE"] > before[thursday]["SEQUENCE"]
    for key in set(before) - {thursday}:
        assert after[key].to_ical() == before[key].to_ical()


def test_a_missed_monday_moves_to_a_catch_up_and_thursday_keeps_its_own_uid() -> None:
    app, clock = make_app(dt.datetime(2026, 11, 25, 9, tzinfo=UTC))
    monday, thursday = (f"slot-20261130-{k}.{tag(app)}@rollminder" for k in (0, 1))
    clock.now = dt.datetime(2026, 11, 27, 9, tzinfo=UTC)
    app.log_session(at=dt.datetime(2026, 11, 26, 21, tzinfo=BERLIN))
    before = events_of(calendar.feed(app))
    assert before[monday]["DTSTART"].dt == dt.datetime(2026, 11, 30, 21, tzinfo=BERLIN)
    clock.now = dt.datetime(2026, 12, 1, 9, tzinfo=UTC)  # Monday's slot passed, not done
    after = events_of(calendar.feed(app))
    assert after[thursday].to_ical() == before[thursday].to_ical()
    assert after[monday]["DTSTART"].dt == dt.datetime(2026, 12, 1, 21, tzinfo=BERLIN)
    assert "catch-up" in str(after[monday]["SUMMARY"])
    assert after[monday]["SEQUENCE"] > before[monday]["SEQUENCE"]
    # Twice in a row, the same bytes.
    assert calendar.feed(app) == calendar.feed(app)


def test_a_plan_change_keeps_uids_and_raises_every_sequence() -> None:
    app, _ = make_app(dt.datetime(2026, 11, 25, 9, tzinfo=UTC))
    before = events_of(calendar.feed(app))
    app.set_plan(time=dt.time(20, 15))
    after = events_of(calendar.feed(app))
    assert set(after) == set(before)
    for key, event in after.items():
        assert event["DTSTART"].dt.time() == dt.time(20, 15)
        assert event["SEQUENCE"] > before[key]["SEQUENCE"]


def test_profiles_have_their_own_tags() -> None:
    a, _ = make_app(dt.datetime(2026, 11, 25, 9, tzinfo=UTC))
    b, _ = make_app(dt.datetime(2026, 11, 25, 9, tzinfo=UTC))
    assert tag(a) != tag(b)
    assert all(calendar.is_ours(u, tag(a)) for u in events_of(calendar.feed(a)))
    assert not any(calendar.is_ours(u, tag(a)) for u in events_of(calendar.feed(b)))


# ---------------------------------------------------------------------------- visits and history


def test_visits_have_a_day_before_alarm_and_history_adds_sessions() -> None:
    app, _ = make_app(dt.datetime(2026, 11, 25, 9, tzinfo=UTC))
    app.log_session(at=dt.datetime(2026, 11, 20, 21, tzinfo=BERLIN), note="felt fine")
    app.add_visit(at=dt.datetime(2026, 11, 1, 9, tzinfo=BERLIN), clinic="Old Clinic")
    app.add_visit(at=dt.datetime(2027, 2, 10, 9, tzinfo=BERLIN), clinic="Dr Skin")
    plain = events_of(calendar.feed(app, weeks=2))
    visits = [e for u, e in plain.items() if u.startswith("visit-")]
    assert [str(v["SUMMARY"]) for v in visits] == ["Clinic visit at Dr Skin"]
    (visit,) = visits
    assert visit["DTSTART"].dt == dt.datetime(2027, 2, 10, 9, tzinfo=BERLIN)
    assert [a["TRIGGER"].dt for a in visit.walk("VALARM")] == [-dt.timedelta(days=1)]
    assert "no makeup and no workout" in str(visit["DESCRIPTION"])
    assert not any(u.startswith("session-") for u in plain)

    full = events_of(calendar.feed(app, weeks=2, include_history=True))
    sessions = [e for u, e in full.items() if u.startswith("session-")]
    assert [s["DTSTART"].dt for s in sessions] == [dt.datetime(2026, 11, 20, 21, tzinfo=BERLIN)]
    assert "felt fine" in str(sessions[0]["DESCRIPTION"])
    assert not sessions[0].walk("VALARM")
    assert sorted(str(e["SUMMARY"]) for u, e in full.items() if u.startswith("visit-")) == [
        "Clinic visit at Dr Skin",
        "Clinic visit at Old Clinic",
    ]
    assert set(plain) < set(full)


def test_weeks_are_checked_and_a_plan_is_needed() -> None:
    app, _ = make_app(dt.datetime(2026, 11, 25, 9, tzinfo=UTC))
    for weeks in (0, 105, True):
        with pytest.raises(InvalidInput):
            calendar.feed(app, weeks=weeks)
    with pytest.raises(NoPlan):
        calendar.feed(Rollminder(MemoryStore(), Clock(dt.datetime(2026, 1, 1, tzinfo=UTC))))
    one, four = calendar.feed(app, weeks=1), calendar.feed(app, weeks=4)
    assert len(events_of(one)) == 2 and len(events_of(four)) == 8


# ---------------------------------------------------------------------------- the command


def test_cli_export_to_stdout_and_to_a_file(planned: Runner, tmp_path: Path) -> None:
    out = planned("calendar", "export", "--weeks", "2")
    assert out.code == 0, out.err
    assert out.out.startswith("BEGIN:VCALENDAR")
    target = tmp_path / "plan.ics"
    written = planned("calendar", "export", "--output", str(target), "--weeks", "2")
    assert written.code == 0 and "Exported" in written.err
    assert target.read_bytes() == out.out.encode()
    assert target.read_bytes() == planned("calendar", "export", "--weeks", "2").out.encode()
    assert len(events_of(target.read_bytes())) == 4


def test_cli_errors_are_one_line(rm: Runner, planned: Runner, tmp_path: Path) -> None:
    bad = planned("calendar", "export", "--weeks", "0")
    assert bad.code == 2 and bad.err.count("\n") == 1
    folder = planned("calendar", "export", "--output", str(tmp_path / "missing" / "x.ics"))
    assert folder.code == 1 and folder.err.count("\n") == 1 and "Traceback" not in folder.err


def test_no_plan_is_one_line(rm: Runner) -> None:
    result = rm("calendar", "export")
    assert result.code == 1 and result.err.startswith("Error: No plan yet")


def test_icalendar_is_not_imported_by_other_commands(planned: Runner, home: Path) -> None:
    """Start-up time is a feature: only the calendar commands load icalendar."""
    code = (
        "import sys; from rollminder.cli import main; main(['next'])\n"
        "assert 'icalendar' not in sys.modules, 'icalendar imported'\n"
    )
    env = {"ROLLMINDER_HOME": str(home), "ROLLMINDER_NOW": "2026-11-25T10:00+01:00"}
    import os

    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------- invariants


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    needle=st.sampled_from([0.25, 0.5, 0.75]),
    tz=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"]),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 30]),
    start=st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2028, 12, 31)),
    actions=st.lists(st.sampled_from(["skip", "done", "wait", "pause"]), max_size=6),
)
def test_every_feed_matches_the_schedule_with_unique_stable_uids(
    needle: float,
    tz: str,
    hour: int,
    minute: int,
    start: dt.datetime,
    actions: list[str],
) -> None:
    clock = Clock(start.replace(tzinfo=UTC))
    app = Rollminder(MemoryStore(), clock)
    app.set_plan(needle_mm=needle, time=dt.time(hour, minute), tz=tz)
    for action in [*actions, "check"]:
        data = calendar.feed(app, weeks=6)
        assert data == calendar.feed(app, weeks=6)
        events = events_of(data)
        plan = app.plan()
        slots = schedule.upcoming(plan, app.log_for(plan, app.now()), clock.now, 100)
        slots = [s for s in slots if s.start < clock.now + dt.timedelta(weeks=6)]
        starts = sorted(e["DTSTART"].dt.timestamp() for e in events.values())
        assert starts == [s.start.timestamp() for s in slots]
        for u, event in events.items():
            assert calendar.is_ours(u, tag(app)) and u.startswith("slot-")
            ordinal = int(u.split(".")[0].rsplit("-", 1)[1])
            assert 0 <= ordinal < plan.sessions
            # A UID stands for one period's slot: a later feed may move it, within its period.
            period = dt.datetime.strptime(u.split("-")[1], "%Y%m%d").date()
            local = event["DTSTART"].dt.astimezone(ZoneInfo(tz)).date()
            assert period <= local < period + dt.timedelta(weeks=plan.every_weeks)
            assert event["SEQUENCE"] >= 0
        if action == "skip" and slots:
            app.skip(reason="irritated")
        elif action == "done" and slots and slots[0].due:
            app.log_session(at=slots[0].start)
        elif action == "wait":
            clock.now += dt.timedelta(days=2, hours=5)
        elif action == "pause":
            today = clock.now.astimezone(ZoneInfo(tz)).date()
            with contextlib.suppress(RollminderError):
                app.pause(today + dt.timedelta(days=3), today + dt.timedelta(days=6))


# ---------------------------------------------------------------------------- the live feed (web)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[TestClient, WebClock, str]]:
    from tests.web.common import BASE, NOW, planned_env

    env = planned_env(tmp_path)
    clock = WebClock(NOW)
    env.clock = clock
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as client:
        html = client.get("/settings").text
        found = re.search(r'id="feed-url" value="http://127.0.0.1:8765(/feed/[^"]+\.ics)"', html)
        assert found
        yield client, clock, found.group(1)


def test_feed_etag_last_modified_and_304(web: tuple[TestClient, WebClock, str]) -> None:
    client, clock, path = web
    first = client.get(path, headers={"accept-encoding": "identity"})
    assert first.status_code == 200 and first.content.startswith(b"BEGIN:VCALENDAR")
    etag = first.headers["etag"]
    assert etag == '"' + hashlib.sha256(first.content).hexdigest()[:32] + '"'  # strong
    modified = first.headers["last-modified"]
    assert parsedate_to_datetime(modified) == clock.now.replace(microsecond=0)
    assert first.headers["vary"] == "Accept-Encoding"
    assert first.headers["x-content-type-options"] == "nosniff"  # security headers kept

    clock.now += dt.timedelta(minutes=10)  # same data, same bytes
    for headers in (
        {"if-none-match": etag},
        {"if-none-match": f'"other", {etag}'},
        {"if-none-match": "W/" + etag},  # If-None-Match compares weakly
        {"if-modified-since": modified},
    ):
        again = client.get(path, headers={"accept-encoding": "identity", **headers})
        assert again.status_code == 304, headers
        assert again.content == b"" and "content-length" not in again.headers
        assert again.headers["etag"] == etag and again.headers["last-modified"] == modified
        assert again.headers["x-content-type-options"] == "nosniff"
    # If-None-Match decides when both are sent (RFC 9110): a stale tag gets the body.
    stale = client.get(path, headers={"if-none-match": '"old"', "if-modified-since": modified})
    assert stale.status_code == 200 and stale.content == first.content

    # The data change: a new ETag, a later Last-Modified, and the old validators get the body.
    service = client.app.state.apps.get()  # type: ignore[attr-defined]
    service.set_plan(time=dt.time(20, 15))
    clock.now += dt.timedelta(minutes=1)
    changed = client.get(path, headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert parsedate_to_datetime(changed.headers["last-modified"]) > parsedate_to_datetime(modified)
    assert client.get(path, headers={"if-modified-since": modified}).status_code == 200
    assert b"T201500" in changed.content


def test_feed_gzip_when_asked(web: tuple[TestClient, WebClock, str]) -> None:
    client, _, path = web
    plain = client.get(path, headers={"accept-encoding": "identity"})
    zipped = client.get(path, headers={"accept-encoding": "gzip, deflate"})
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    # (httpx decodes it: the body is the same calendar, the bytes on the wire much fewer.)
    assert zipped.content == plain.content
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.headers["etag"] != plain.headers["etag"]  # another representation
    assert zipped.headers["x-frame-options"] and zipped.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in plain.headers
    refused = client.get(path, headers={"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    # Either tag revalidates: both name the same calendar.
    for tag in (plain.headers["etag"], zipped.headers["etag"]):
        again = client.get(path, headers={"accept-encoding": "gzip", "if-none-match": tag})
        assert again.status_code == 304 and again.content == b""


def test_settings_offer_webcal_google_and_outlook_links(
    web: tuple[TestClient, WebClock, str],
) -> None:
    client, _, path = web
    html = client.get("/settings").text
    feed = "http://127.0.0.1:8765" + path
    webcal = "webcal://127.0.0.1:8765" + path
    assert f'href="{webcal}"' in html
    google = re.search(r'id="feed-google"', html) and re.search(
        r'href="(https://calendar\.google\.com/calendar/render\?cid=[^"]+)"', html
    )
    outlook = re.search(r'href="(https://outlook\.live\.com/calendar/0/addfromweb\?[^"]+)"', html)
    assert google and outlook
    g = parse_qs(urlsplit(google.group(1).replace("&amp;", "&")).query)
    o = parse_qs(urlsplit(outlook.group(1).replace("&amp;", "&")).query)
    assert g == {"cid": [webcal]}
    assert o == {"url": [feed], "name": ["rollminder"]}
    # Links only: nothing on the page loads from those sites.
    assert not re.search(r'(src|srcset)="https?://', html)


def test_day_before_alarm_is_written_in_hours_across_a_dst_change() -> None:
    """A visit on the Sunday Berlin falls back: "tomorrow at 09:00" rings Saturday 09:00 CEST,
    25 hours before; written -PT25H (hours are exact for every client, a day is not)."""
    app, _ = make_app(dt.datetime(2026, 10, 1, 9, tzinfo=UTC))
    app.add_visit(at=dt.datetime(2026, 10, 25, 9, tzinfo=BERLIN), clinic="Dr Skin")
    app.add_visit(at=dt.datetime(2027, 3, 28, 9, tzinfo=BERLIN), clinic="Dr Skin")
    app.add_visit(at=dt.datetime(2026, 11, 12, 9, tzinfo=BERLIN), clinic="Dr Skin")
    data = calendar.feed(app, weeks=30)
    triggers = [
        line for line in data.decode().split("\r\n") if line.startswith("TRIGGER") and "H" in line
    ]
    assert triggers == ["TRIGGER:-PT25H", "TRIGGER:-PT24H", "TRIGGER:-PT23H"]
    assert b"UID:" in data and not any(
        "UID" in a
        for e in icalendar.Calendar.from_ical(data).walk("VEVENT")
        for a in e.walk("VALARM")
    )
    assert b"COMMENT" not in data
    rdates = [line for line in data.split(b"\r\n") if line.startswith(b"RDATE")]
    assert all(b"," not in line for line in rdates)  # one date per RDATE line
