"""The feed as independent calendar implementations read it: Mozilla's ical.js (Thunderbird's
parser), libical (Evolution, GNOME, KDE's importers; its validator) and node-ical (MagicMirror and
other Node apps).

Each one reads a feed with two years of history and a year ahead (``calendar export
--include-history --weeks 52``) in four zones with odd DST rules, and must agree with ``rollminder
next --json`` and with the calendar's own slot list on every event's start and every alarm's
instant. The readers are small scripts under tests/clients/: ical.js and node-ical are npm
packages pinned in package.json (``npm ci``, a step of ``make test``); libical is Debian's
(gir1.2-ical-3.0, python3-gi, in the Makefile's APT_PACKAGES), used from Debian's own interpreter
/usr/bin/python3 (the project's venv has no ``gi``). Missing, they skip; under CI=true they fail.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from rollminder import calendar
from rollminder.env import Env
from rollminder.service import Rollminder
from tests.conftest import Runner
from tests.need import missing

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = Path(__file__).with_name("clients")
DEBIAN_PYTHON = Path("/usr/bin/python3")
UTC = dt.UTC
#: "Now" for every scenario; the plan starts two years before.
NOW = dt.datetime(2026, 11, 25, 9, tzinfo=UTC)
HISTORY_START = dt.datetime(2024, 11, 25, 9, tzinfo=UTC)
PREP = dt.timedelta(minutes=15)  # Settings.prep_minutes' default

# The zones, with days and a time that land slots in their DST gaps or folds.
ZONES = {
    # Last Sundays of March (02:00 -> 03:00) and October (03:00 -> 02:00): 02:30 hits both.
    "Europe/Berlin": ("wed,sun", "02:30"),
    # 2nd Sunday of March (02:00 -> 03:00), 1st of November (02:00 -> 01:00): 01:30 twice.
    "America/New_York": ("thu,sun", "01:30"),
    # A 30-minute DST: 1st Sunday of October 02:00 -> 02:30, 1st of April 02:00 -> 01:30.
    "Australia/Lord_Howe": ("wed,sun", "02:15"),
    # Changes at midnight, on "Sunday on or after the 2nd" (not always the 1st Sunday).
    "America/Santiago": ("wed,sun", "00:30"),
}


# ----------------------------------------------------------------------------- the readers


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        missing("node is not installed (the machine needs Node.js 20 or later)")
    pins = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    for name in ("ical.js", "node-ical"):
        meta = ROOT / "node_modules" / name / "package.json"
        found = json.loads(meta.read_text(encoding="utf-8"))["version"] if meta.exists() else None
        if found != pins[name]:
            missing(f"npm package {name} {pins[name]} is not installed (found {found}): npm ci")
    return node


def _libical() -> None:
    probe = "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib"
    if not DEBIAN_PYTHON.exists():
        missing(f"{DEBIAN_PYTHON} (Debian's python3, with python3-gi) is not installed")
    done = subprocess.run([str(DEBIAN_PYTHON), "-c", probe], capture_output=True, text=True)
    if done.returncode != 0:
        missing("libical's GObject bindings are missing: apt-get install gir1.2-ical-3.0")


def read(reader: str, data: bytes) -> dict[str, Any]:
    """What ``reader`` (icaljs, nodeical, libical) makes of the feed ``data``."""
    if reader == "libical":
        _libical()
        command = [str(DEBIAN_PYTHON), str(CLIENTS / "read_feed_libical.py")]
    else:
        command = [_node(), str(CLIENTS / "read_feed.mjs"), reader]
    done = subprocess.run(command, input=data, capture_output=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# ----------------------------------------------------------------------------- the scenario


class Scenario:
    def __init__(self, tz: str, feed: bytes, next_json: list[dict[str, Any]], app: Rollminder):
        self.tz = tz
        self.zone = ZoneInfo(tz)
        self.feed = feed
        self.next_json = next_json
        self.app = app


def changes(tz: str, first: dt.datetime, last: dt.datetime) -> list[dt.datetime]:
    """When the zone changes its UTC offset, to the hour after (found hour by hour, independent
    of the calendar module), in local time."""
    zone = ZoneInfo(tz)
    found, at = [], first
    while at < last:
        nxt = at + dt.timedelta(hours=1)
        if at.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            found.append(nxt.astimezone(zone))
        at = nxt
    return found


def change_days(tz: str) -> set[dt.date]:
    return {c.date() for c in changes(tz, HISTORY_START, NOW + dt.timedelta(weeks=52))}


def build(rm: Runner, home: Path, tz: str) -> Scenario:
    days, time = ZONES[tz]
    setup = rm(
        *("setup", "--needle", "0.25", "--per-week", "2", "--days", days, "--time", time),
        *("--tz", tz, "--minutes", "3", "--yes"),
        now=HISTORY_START.isoformat(),
    )
    assert setup.code == 0, setup.err
    clock = [HISTORY_START]
    env = Env(home=home, clock=lambda: clock[0])
    zone = ZoneInfo(tz)
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        # A clinic visit at 09:00 on every other day the clocks change, past and ahead: its "day
        # before" alarm spans the change (23 h or 25 h; 23.5 h or 24.5 h on Lord Howe). (Visits
        # black out home rolling around them: the other change days keep their slots.)
        for change in changes(tz, HISTORY_START, NOW + dt.timedelta(weeks=52))[::2]:
            day = change.date() + dt.timedelta(days=int(change.hour >= 9))
            app.add_visit(at=dt.datetime.combine(day, dt.time(9), zone), clinic="Dr Weiss")
        # Two years of sessions, each at its slot; every seventh slot missed (a catch-up follows).
        k = 0
        while True:
            _, slots = app.next(1)
            slot = slots[0]
            if slot.start >= NOW:
                break
            k += 1
            if k % 7 == 3:
                clock[0] = slot.start + dt.timedelta(days=1)
                continue
            clock[0] = slot.start + dt.timedelta(minutes=10)
            app.log_session(at=slot.start)
    out = rm("next", "--json", "--count", "100", now=NOW.isoformat())
    assert out.code == 0, out.err
    feed = rm(
        *("calendar", "export", "--include-history", "--weeks", "52", "-o", str(home / "f.ics")),
        now=NOW.isoformat(),
    )
    assert feed.code == 0, feed.err
    store = Env(home=home, clock=lambda: NOW).open_store()
    return Scenario(tz, (home / "f.ics").read_bytes(), out.json(), Rollminder(store, lambda: NOW))


def close(s: Scenario) -> None:
    s.app.close()  # closes the profile's store under the routine view and the due index


@pytest.fixture(params=list(ZONES))
def scenario(request: pytest.FixtureRequest, rm: Runner, home: Path) -> Iterator[Scenario]:
    built = build(rm, home, request.param)
    yield built
    close(built)


def expected(s: Scenario) -> dict[str, tuple[int, list[int]]]:
    """UID -> (start, alarm instants), from the data and the plan's rules (not from the feed):
    a slot's alarms are the prep lead and its start; a visit's, the same wall time the day
    before (what its text says: "tomorrow at 09:00"); a logged session has none."""
    found = calendar.collect(s.app, weeks=52, include_history=True)
    out = {}
    for event in found.events:
        start = event.start
        if event.uid.startswith("slot-"):
            alarms = [start - PREP, start]
        elif event.uid.startswith("visit-"):
            local = start.astimezone(s.zone)
            wall = dt.datetime.combine(local.date() - dt.timedelta(days=1), local.time())
            alarms = [wall.replace(tzinfo=s.zone)]
        else:
            alarms = []
        out[event.uid] = (int(start.timestamp()), sorted(int(a.timestamp()) for a in alarms))
    # The calendar's slots are the schedule's: next --json lists them (100 at most, and past
    # the feed's 52 weeks when clinic blackouts leave fewer in them).
    slots = sorted(v[0] for k, v in out.items() if k.startswith("slot-"))
    listed = [int(dt.datetime.fromisoformat(j["start"]).timestamp()) for j in s.next_json]
    end = (NOW + dt.timedelta(weeks=52)).timestamp()
    assert len(listed) == 100 and slots[:100] == [t for t in listed if t < end]
    assert len(slots) >= 80
    return out


def seen(result: dict[str, Any]) -> dict[str, tuple[int, list[int]]]:
    events = result["events"]
    uids = [e["uid"] for e in events]
    assert len(uids) == len(set(uids))
    return {e["uid"]: (int(e["start"]), sorted(int(a) for a in e["alarms"])) for e in events}


def check_coverage(s: Scenario, want: dict[str, tuple[int, list[int]]]) -> None:
    """The scenario really has the hard cases: slots on change days, visits whose alarm spans
    a change, more than a year ahead, two years back."""
    days = change_days(s.tz)
    starts = {k: dt.datetime.fromtimestamp(v[0], s.zone) for k, v in want.items()}
    on_change_days = [k for k in want if not k.startswith("visit-") and starts[k].date() in days]
    assert any(k.startswith("slot-") for k in on_change_days)
    assert any(k.startswith("session-") for k in on_change_days)
    leads = {v[0] - v[1][0] for k, v in want.items() if k.startswith("visit-")}
    assert leads - {86400}, leads  # some "day before" alarms are not 24 h
    assert min(starts.values()) < HISTORY_START + dt.timedelta(days=7)
    assert max(starts.values()) > NOW + dt.timedelta(weeks=51)
    assert sum(k.startswith("session-") for k in want) > 150


# ----------------------------------------------------------------------------- the tests


def test_icaljs_and_libical_agree_on_every_start_and_alarm(scenario: Scenario) -> None:
    want = expected(scenario)
    check_coverage(scenario, want)
    icaljs, libical = read("icaljs", scenario.feed), read("libical", scenario.feed)
    for name, result in (("ical.js", icaljs), ("libical", libical)):
        got = seen(result)
        assert set(got) == set(want), name
        wrong = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
        assert not wrong, f"{name} reads {len(wrong)} events differently: {list(wrong.items())[:3]}"
        assert not any(e["recurring"] for e in result["events"])
    # Times with a TZID resolved to the feed's own VTIMEZONE (neither reader fell back to
    # floating time or to a zone database of its own).
    for e in icaljs["events"]:
        assert e["tzid"] in (scenario.tz, "UTC"), e
    for e in libical["events"]:
        assert e["zone"] == e["tzid"] == scenario.tz or (e["zone"] is None and e["tzid"] is None)
    assert any(e["tzid"] == scenario.tz for e in libical["events"])
    # The libical validator (its RFC 5545 restriction check) finds nothing to flag.
    assert libical["valid"] and libical["errors"] == []


def test_node_ical_sees_both_alarms_of_every_event(scenario: Scenario) -> None:
    want = expected(scenario)
    result = read("nodeical", scenario.feed)
    assert [s for s in result["strays"] if s.get("type")] == []  # no VALARM filed on its own
    got = {e["uid"]: e for e in result["events"]}
    assert set(got) == set(want)
    for uid, (start, alarms) in want.items():
        assert len(got[uid]["alarms"]) == len(alarms), uid
        assert int(got[uid]["start"]) == start, uid
        if uid.startswith("slot-"):
            assert got[uid]["alarms"] == ["-PT15M", "PT0S"]


# ----------------------------------------------------------------------------- the faults seen


def _with_icalendar_vtimezone(data: bytes, tz: str) -> bytes:
    """The feed with the VTIMEZONE icalendar writes (what the feed carried before)."""
    cal = icalendar.Calendar.from_ical(data)
    old = cal.walk("VTIMEZONE")[0]
    cal.subcomponents[cal.subcomponents.index(old)] = icalendar.Timezone.from_tzid(
        tz, first_date=dt.date(2024, 1, 1), last_date=dt.date(2030, 1, 1)
    )
    out: bytes = cal.to_ical()
    return out


def test_the_readers_see_the_faults_this_feed_avoids(rm: Runner, home: Path) -> None:
    """The same scenario with the old VTIMEZONE (dates listed on one RDATE line, a COMMENT) and
    UIDs in the VALARMs: ical.js shifts events, the validator complains, node-ical loses alarms.
    So the tests above would see these faults come back."""
    s = build(rm, home, "Australia/Lord_Howe")
    try:
        want = expected(s)
        old = _with_icalendar_vtimezone(s.feed, s.tz)
        got = seen(read("icaljs", old))
        shifted = [k for k in want if got[k][0] != want[k][0]]
        assert shifted and all(abs(got[k][0] - want[k][0]) == 1800 for k in shifted)
        libical = read("libical", old)
        assert not libical["valid"] and any("COMMENT" in e for e in libical["errors"])

        text = s.feed.decode()
        parts = text.split("BEGIN:VALARM\r\n")
        with_uids = parts[0] + "".join(
            f"BEGIN:VALARM\r\nUID:alarm-{i}@rollminder\r\n{p}" for i, p in enumerate(parts[1:])
        )
        events = read("nodeical", with_uids.encode())["events"]
        assert all(e["alarms"] == [] for e in events)
    finally:
        close(s)
