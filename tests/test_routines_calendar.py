"""The calendar with routines (issue 12): one event per routine slot with the routine in the
summary, stable UIDs per routine (a one-routine person's unchanged), ``--routine`` narrows, and a
CalDAV push (Radicale) holds every routine's events."""

from __future__ import annotations

import icalendar
import pytest

from rollminder import calendar
from tests.conftest import Runner
from tests.test_calendar_caldav import PASSWORD, USER, Server, radicale, uids
from tests.test_routines_remind import Clock, MemoryStore, Rollminder, at, face, thighs

__all__ = ["radicale"]  # the fixture, imported for this module's tests


def events(data: str) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data.encode()).walk("VEVENT"))


def test_every_routine_slot_is_an_event_and_the_first_keeps_its_uids() -> None:
    app = Rollminder(MemoryStore(), Clock(at(25, 10)))
    face(app)
    before = calendar.collect(app, weeks=4)
    thighs(app)
    after = calendar.collect(app, weeks=4)
    assert after.tag == before.tag
    faces = [e for e in after.events if e.summary.startswith("Roll: face")]
    legs = [e for e in after.events if e.summary.startswith("Roll: thighs")]
    assert [e.uid for e in faces] == [e.uid for e in before.events]
    assert [e.start for e in faces] == [e.start for e in before.events]
    assert len(legs) == 4 and len(after.events) == len(before.events) + 4
    rid = app.for_routine("thighs").routine().id[:12]  # type: ignore[union-attr]
    assert all(f"-{rid}." in e.uid and calendar.is_ours(e.uid, after.tag) for e in legs)
    assert len({e.uid for e in after.events}) == len(after.events)
    assert all("0.5 mm needle" in e.description for e in legs)
    # Stable: the same data gives the same bytes; a done slot moves, its UID stays.
    assert calendar.feed(app, weeks=4) == calendar.feed(app, weeks=4)
    # Only one routine: the facade bound to it.
    only = calendar.collect(app.for_routine("thighs"), weeks=4)
    assert [e.uid for e in only.events] == [e.uid for e in legs] and only.tag == after.tag


def test_a_one_routine_feed_is_as_before() -> None:
    app = Rollminder(MemoryStore(), Clock(at(25, 10)))
    face(app)
    found = calendar.collect(app, weeks=2)
    assert {e.summary for e in found.events} == {"Derma rolling"}
    assert all(e.uid.startswith("slot-2026") and e.uid.count("-") == 2 for e in found.events)


def test_calendar_export_names_each_routine_and_routine_narrows(routined: Runner) -> None:
    whole = routined("calendar", "export", "--weeks", "2")
    assert whole.code == 0, whole.err
    summaries = [str(e["SUMMARY"]) for e in events(whole.out)]
    assert summaries.count("Roll: body") == 2 and summaries.count("Roll: face") == 4
    one = routined("calendar", "export", "--weeks", "2", "--routine", "body")
    assert [str(e["SUMMARY"]) for e in events(one.out)] == ["Roll: body"] * 2
    assert {str(e["UID"]) for e in events(one.out)} <= {str(e["UID"]) for e in events(whole.out)}
    history = routined("calendar", "export", "--weeks", "1", "--include-history")
    assert history.code == 0, history.err


@pytest.fixture
def routined(planned: Runner) -> Runner:
    r = planned("routine", "add", "body", "--needle", "0.5", "--areas", "thighs", "--days", "mon")
    assert r.code == 0, r.err
    return planned


def test_push_holds_every_routines_events(
    radicale: Server, routined: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLMINDER_CALDAV_PASSWORD", PASSWORD)
    path = radicale.new_calendar()
    url = radicale.url(path)
    first = routined("calendar", "push", "--url", url, "--user", USER, "--weeks", "4")
    assert first.code == 0, first.err
    assert "12 created, 0 updated, 0 removed" in first.out
    ours = uids(radicale.objects(path))
    assert (
        sorted(str(e["SUMMARY"]) for e in ours.values()) == ["Roll: body"] * 4 + ["Roll: face"] * 8
    )
    exported = events(routined("calendar", "export", "--weeks", "4").out)
    assert set(ours) == {str(e["UID"]) for e in exported}
    again = routined("calendar", "push", "--url", url, "--user", USER, "--weeks", "4")
    assert again.code == 0 and "nothing changed" in again.out
    # The body routine removed (with its log): its events go, the face's stay untouched.
    assert routined("routine", "remove", "body", "--with-log").code == 0
    third = routined("calendar", "push", "--url", url, "--user", USER, "--weeks", "4")
    assert third.code == 0, third.err
    assert "0 created, 8 updated, 4 removed" in third.out  # one routine: "Derma rolling" again
