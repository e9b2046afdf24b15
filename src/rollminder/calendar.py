"""The iCalendar feed: the plan's slots, clinic visits and (optionally) the log, with alarms.

:func:`feed` is what ``rollminder calendar export`` writes and what the web app serves as a live,
token-protected feed; :mod:`rollminder.caldav` pushes the same events to a CalDAV calendar.

Design (docs/calendar.md):

- One VEVENT per computed slot (:func:`rollminder.schedule.upcoming`), never an RRULE: slots move
  when sessions are missed, skipped or paused, and a rule cannot say so.
- A slot's UID names the slot, not its time: ``slot-<period's Monday>-<ordinal>.<tag>@rollminder``.
  The ordinal is the position of the preferred weekday the slot stands for (Mon = 0, Thu = 1 in a
  Mon+Thu plan); a catch-up takes the ordinal of the slot it replaces. So a slot that moves keeps
  its UID, and the client moves the event instead of showing a new one. ``tag`` is the first plan's
  id (stable across plan changes, different for each profile): push touches only its own tag.
- SEQUENCE is derived, not remembered: the plan's revision (versions before the current one) plus
  the days the slot sits away from its nominal day (its preferred weekday in the period's first
  week). A skip or a miss pushes a slot later, so its SEQUENCE rises; a plan change raises every
  slot's. The feed stays a pure function of the data: no table, no write on a GET.
- DTSTAMP comes from the data (the plan version's, the visit's or the session's ``created_at``),
  never from the clock, so the same data gives the same bytes.

The icalendar library is imported only here (and only when a calendar command runs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from rollminder import __version__, guide, rules, schedule
from rollminder.errors import InvalidInput
from rollminder.model import Log, Plan, Session, Visit
from rollminder.vtimezone import (
    vtimezone,
)

if TYPE_CHECKING:
    from icalendar import Calendar, Event

    from rollminder.service import Rollminder

#: The UID domain of every event rollminder writes; push recognises its own events by it.
UID_DOMAIN = "rollminder"
PRODID = f"-//rollminder//rollminder {__version__}//EN"
MAX_WEEKS = 104
#: How long a clinic visit is shown (the LifeZette article: about an hour, after 30 minutes of
#: numbing).
VISIT_MINUTES = 90
#: Subscribed clients re-read the feed this often (REFRESH-INTERVAL and X-PUBLISHED-TTL).
REFRESH = dt.timedelta(hours=1)

#: Prep and aftercare come from the guide, so the calendar says what the guided session says.
PREP_TEXT = "Before: " + " ".join(guide.PREP_LINES[:2])
AFTERCARE_TEXT = "After: " + " ".join(guide.AFTERCARE_LINES)
TECHNIQUE_TEXT = (
    "Light pressure; lift the roller between passes. "
    "Never over eyelids, lips, moles, warts or broken skin."
)
VISIT_TEXT = (
    "Day of the visit: no makeup and no workout (a LifeZette article on micro-needling). "
    "Peeling a few days later is expected."
)


class Alarm(NamedTuple):
    before: dt.timedelta  # how long before the event's start (0 = at the start)
    text: str


class CalEvent(NamedTuple):
    """One VEVENT, as plain values (the CalDAV push compares and uploads these one by one)."""

    uid: str
    start: dt.datetime  # aware, in the plan's zone
    duration: dt.timedelta
    summary: str
    description: str
    sequence: int
    stamp: dt.datetime  # DTSTAMP: from the data, never the clock
    categories: tuple[str, ...]
    alarms: tuple[Alarm, ...] = ()


class Feed(NamedTuple):
    tz: str
    tag: str
    events: tuple[CalEvent, ...]


# ----------------------------------------------------------------------------- collecting


def plan_tag(versions: Sequence[Plan], plan: Plan) -> str:
    """The profile's calendar tag: the first plan version's id, cut short (stable across plan
    changes; two profiles have different ones)."""
    first = min([*versions, plan], key=lambda p: p.created_at)
    return first.id[:12].lower()


def uid(kind: str, key: str, tag: str) -> str:
    return f"{kind}-{key}.{tag}@{UID_DOMAIN}"


def is_ours(uid_text: str, tag: str) -> bool:
    return uid_text.endswith(f".{tag}@{UID_DOMAIN}")


def _ordinals(
    plan: Plan,
    slots: Sequence[schedule.Slot],
    sessions: Sequence[dt.datetime],
    usable: Sequence[bool],
) -> list[int]:
    """Which of the period's slots each of ``slots`` stands for (all in one period).

    A session or a slot on a preferred weekday stands for that weekday's slot; the rest (catch-ups,
    sessions on other days) take, in time order, the lowest ordinal left whose weekday was usable
    in the period (``usable[k]``: not before the plan, paused or blacked out), then any left. So
    a missed or skipped Monday's catch-up keeps Monday's UID, and Thursday keeps its own.
    """
    tz = ZoneInfo(plan.tz)
    taken: set[int] = set()
    items = sorted(
        [(s.astimezone(tz), False, -1) for s in sessions]
        + [(s.start, True, i) for i, s in enumerate(slots)]
    )
    out = [-1] * len(slots)
    rest: list[tuple[bool, int]] = []
    for start, is_slot, index in items:
        wd = start.weekday()
        k = plan.weekdays.index(wd) if wd in plan.weekdays else -1
        if k >= 0 and k not in taken:
            taken.add(k)
            if is_slot:
                out[index] = k
        else:
            rest.append((is_slot, index))
    for is_slot, index in rest:
        free = [k for k in range(len(usable)) if k not in taken]
        k = next((k for k in free if usable[k]), free[0] if free else len(taken))
        taken.add(k)
        if is_slot:
            out[index] = k
    return out


def _nominal_day(plan: Plan, first: dt.date, ordinal: int) -> dt.date:
    weekday = plan.weekdays[ordinal] if ordinal < len(plan.weekdays) else plan.weekdays[-1]
    return first + dt.timedelta(days=weekday)  # ``first`` is a Monday


def _roll_text(plan: Plan, minutes: float, zones: Sequence[str]) -> str:
    directions = "; ".join(guide.DIRECTION_LABELS.get(d, d).lower() for d in plan.directions)
    return (
        f"Derma rolling, about {minutes:g} minutes, {plan.needle_mm:g} mm needle.\n"
        f"Zones: {', '.join(zones)}.\n"
        f"Directions: {directions}; {plan.passes} passes each. {TECHNIQUE_TEXT}"
    )


def slot_description(plan: Plan) -> str:
    parts = [_roll_text(plan, plan.minutes, plan.zones), PREP_TEXT, AFTERCARE_TEXT]
    warning = rules.plan_warning(plan)
    if warning:
        parts.append(warning)
    parts.append(rules.NOT_MEDICAL_ADVICE)
    return "\n\n".join(parts)


def slot_events(
    plan: Plan,
    log: Log,
    now: dt.datetime,
    *,
    weeks: int,
    revision: int,
    tag: str,
    prep_minutes: int,
) -> list[CalEvent]:
    tz = ZoneInfo(plan.tz)
    end = now.astimezone(tz) + dt.timedelta(weeks=weeks)
    count = (weeks // plan.every_weeks + 2) * plan.sessions
    slots = [s for s in schedule.upcoming(plan, log, now, count) if s.start < end]
    by_period: dict[dt.date, list[schedule.Slot]] = {}
    for s in slots:
        by_period.setdefault(schedule.period_first(plan, s.day), []).append(s)
    description = slot_description(plan)

    def alarms(start: dt.datetime) -> tuple[Alarm, ...]:
        at = Alarm(dt.timedelta(0), "Time for your derma-roller session.")
        if prep_minutes <= 0:
            return (at,)
        soak = f"Soak your roller now: derma rolling at {start:%H:%M}."
        return Alarm(dt.timedelta(minutes=prep_minutes), soak), at

    out = []
    for first, period_slots in by_period.items():
        last = first + dt.timedelta(weeks=plan.every_weeks, days=-1)
        done = [s.start for s in log.sessions if first <= s.local_start(plan.tz).date() <= last]
        ordinals = _ordinals(
            plan, period_slots, done, schedule.usable_weekdays(plan, log, first, last)
        )
        for slot, ordinal in zip(period_slots, ordinals, strict=True):
            moved = abs((slot.day - _nominal_day(plan, first, ordinal)).days)
            summary = (
                "Derma rolling" if slot.kind == schedule.PLANNED else "Derma rolling (catch-up)"
            )
            out.append(
                CalEvent(
                    uid=uid("slot", f"{first:%Y%m%d}-{ordinal}", tag),
                    start=slot.start,
                    duration=dt.timedelta(minutes=plan.minutes),
                    summary=summary,
                    description=description,
                    sequence=revision + moved,
                    stamp=plan.created_at,
                    categories=("rollminder", "derma rolling"),
                    alarms=alarms(slot.start),
                )
            )
    return out


def visit_event(plan: Plan, visit: Visit, tag: str) -> CalEvent:
    tz = ZoneInfo(plan.tz)
    start = visit.at.astimezone(tz)
    day = start.date()
    where = f" at {visit.clinic}" if visit.clinic else ""
    first = day - dt.timedelta(days=plan.blackout_before_days)
    last = day + dt.timedelta(days=plan.blackout_after_days)
    lines = [f"In-office micro-needling{where}."] if not visit.note else [visit.note]
    lines += [
        VISIT_TEXT,
        f"No home rolling from {first:%a %d %b} to {last:%a %d %b %Y} ({rules.BLACKOUT_SOURCE})",
    ]
    return CalEvent(
        uid=uid("visit", visit.id, tag),
        start=start,
        duration=dt.timedelta(minutes=VISIT_MINUTES),
        summary=f"Clinic visit{where}",
        description="\n\n".join(lines),
        sequence=0,
        stamp=visit.created_at,
        categories=("rollminder", "clinic visit"),
        alarms=(Alarm(day_before(start), f"Clinic visit{where} tomorrow at {start:%H:%M}."),),
    )


def day_before(start: dt.datetime) -> dt.timedelta:
    """How long before ``start`` the same wall time falls the day before: 24 h, or 23 h / 25 h
    over a DST change (a wall time that does not exist moves forward, as slots do)."""
    wall = start.replace(tzinfo=None, fold=0) - dt.timedelta(days=1)
    earlier = wall.replace(tzinfo=start.tzinfo)
    return start.astimezone(dt.UTC) - earlier.astimezone(dt.UTC)


def session_event(plan: Plan, session: Session, tag: str) -> CalEvent:
    lines = [_roll_text(plan, session.minutes, session.zones).splitlines()[1]]
    if session.reaction:
        lines.append(f"Skin reaction: {session.reaction}.")
    if session.note:
        lines.append(session.note)
    return CalEvent(
        uid=uid("session", session.id, tag),
        start=session.start.astimezone(ZoneInfo(plan.tz)),
        duration=dt.timedelta(minutes=session.minutes),
        summary="Derma rolling (done)",
        description="\n".join(lines),
        sequence=0,
        stamp=session.created_at,
        categories=("rollminder", "derma rolling", "done"),
    )


def collect(app: Rollminder, *, weeks: int = 8, include_history: bool = False) -> Feed:
    """The feed's events as plain values, sorted by start then UID.

    Every routine's slots (issue 12) unless the facade is bound to one (``--routine``): the
    routine in the summary ("Roll: thighs") when the profile has several. The first routine's
    UIDs are those of a one-routine profile; another's slot UIDs carry its id. The tag (and the
    zone of the VTIMEZONE) are the first routine's, so a push recognises every routine's events."""
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput(f"--weeks must be a whole number from 1 to {MAX_WEEKS}.")
    plan = app.plan()
    several = app.several_routines()
    head = app.for_routine(None) if several else app
    main = head.plan() if head.has_plan() else plan
    tag = plan_tag(head.plan_versions(), main)
    if several and app.routine_id is None:
        first = app.routines()[0].routine.id
        each = [(r, one) for r, one in app.each_routine() if r is not None]
        parts = [(one, r.name, "" if r.id == first else r.id) for r, one in each]
    else:
        routine = app.routine() if several else None
        first_id = app.routines()[0].routine.id if several else ""
        rid = "" if routine is None or routine.id == first_id else routine.id
        parts = [(app, routine.name if routine is not None else "", rid)]
    tz = ZoneInfo(main.tz)
    events: list[CalEvent] = []
    visits: dict[str, Visit] = {}
    for one, name, rid in parts:
        found, seen = _routine_events(
            one, weeks=weeks, include_history=include_history, tag=tag, name=name, rid=rid
        )
        events += [e._replace(start=e.start.astimezone(tz)) for e in found]
        for v in seen:
            visits.setdefault(v.id, v)
    now = app.now()
    today = dt.datetime.combine(now.astimezone(tz).date(), dt.time(0), tz)
    for visit in visits.values():
        if include_history or visit.at >= today:
            events.append(visit_event(main, visit, tag))
    events.sort(key=lambda e: (e.start, e.uid))
    return Feed(main.tz, tag, tuple(events))


def _routine_events(
    app: Rollminder, *, weeks: int, include_history: bool, tag: str, name: str, rid: str
) -> tuple[list[CalEvent], list[Visit]]:
    """One routine's slot events (and its sessions with ``include_history``), and the visits
    that concern it (the caller writes each visit once)."""
    plan = app.plan()
    now = app.now()
    versions = app.plan_versions()
    revision = sum(1 for v in versions if v.id != plan.id and v.created_at <= plan.created_at)
    # The "start soaking your roller" alarm: as far ahead as the prep reminder (0: none).
    prep = app.settings().prep_minutes
    log = app.log_for(plan, now, full=include_history)
    events = slot_events(plan, log, now, weeks=weeks, revision=revision, tag=tag, prep_minutes=prep)
    if name:
        events = [_named(e, name, rid) for e in events]
    if include_history:
        done = [session_event(plan, s, tag) for s in log.sessions]
        if name:
            done = [e._replace(summary=f"Roll: {name} (done)") for e in done]
        events += done
    return events, list(log.visits)


def _named(event: CalEvent, name: str, rid: str) -> CalEvent:
    """A slot event of a profile with several routines: the routine in the summary and, for a
    routine other than the first, its id in the UID."""
    catch_up = event.summary.endswith("(catch-up)")
    summary = f"Roll: {name}" + (" (catch-up)" if catch_up else "")
    uid_text = event.uid
    if rid:
        key, _, rest = uid_text.partition(".")
        uid_text = f"{key}-{rid[:12].lower()}.{rest}"
    return event._replace(summary=summary, uid=uid_text)


# ----------------------------------------------------------------------------- writing


def _utc(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(microsecond=0)


def ambiguous(start: dt.datetime) -> bool:
    """Whether a wall time happens twice in its zone (the hour the clocks fall back)."""
    return start.replace(fold=0).utcoffset() != start.replace(fold=1).utcoffset()


def dtstart(start: dt.datetime) -> dt.datetime:
    """A start as DTSTART writes it: the local time with the zone's TZID, except a wall time that
    happens twice (fall back), which goes out in UTC. RFC 5545 says such a local time means the
    first occurrence, but clients differ (khal, through pytz, takes the second): UTC leaves none
    of them a choice. A slot in a spring-forward gap has already moved past it (schedule)."""
    start = start.replace(microsecond=0)
    return _utc(start) if ambiguous(start) else start


def vevent(event: CalEvent) -> Event:
    from icalendar import Alarm as VAlarm
    from icalendar import Event as VEvent

    ev = VEvent()
    ev.add("uid", event.uid)
    ev.add("dtstamp", _utc(event.stamp))
    ev.add("dtstart", dtstart(event.start))
    ev.add("duration", event.duration)
    ev.add("summary", event.summary)
    ev.add("description", event.description)
    ev.add("categories", list(event.categories))
    ev.add("sequence", event.sequence)
    ev.add("transp", "OPAQUE")
    for alarm in event.alarms:
        # No UID in a VALARM: node-ical files a component with a UID under that UID, so the
        # event would lose its alarms (RFC 9074's alarm UID is optional).
        va = VAlarm()
        va.add("action", "DISPLAY")
        va.add("description", alarm.text)
        va.add("trigger", _Trigger(-alarm.before), encode=False)
        ev.add_component(va)
    return ev


class _Trigger:
    """A TRIGGER written in hours, minutes and seconds, never days: RFC 5545 reads a day as
    nominal (the same wall time a day before) and an hour as exact, and clients disagree about
    days (Thunderbird and Evolution count 24 h). A time-only duration is read alike by all."""

    def __init__(self, delta: dt.timedelta) -> None:
        from icalendar import Parameters

        self.delta = delta
        self.params = Parameters()

    def to_ical(self) -> bytes:
        seconds = int(self.delta.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        minutes, secs = divmod(rest, 60)
        text = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
        return f"{sign}PT{text or '0S'}".encode()


def _timezone_range(events: Sequence[CalEvent], fallback: dt.date) -> tuple[dt.date, dt.date]:
    """The years the VTIMEZONE must cover: from the January before the first event to two years
    after the last (a deterministic function of the events, so the bytes are stable)."""
    if not events:
        return dt.date(fallback.year, 1, 1), dt.date(fallback.year + 2, 1, 1)
    first, last = events[0].start.date(), max(e.start for e in events).date()
    return dt.date(first.year, 1, 1), dt.date(last.year + 2, 1, 1)


def calendar(
    tz: str, events: Sequence[CalEvent], *, fallback: dt.date, name: str = "rollminder"
) -> Calendar:
    from icalendar import Calendar as VCalendar
    from icalendar import vDuration

    cal = VCalendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("name", name)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    first, last = _timezone_range(events, fallback)
    cal.add_component(vtimezone(tz, first, last))
    for event in events:
        cal.add_component(vevent(event))
    return cal


def render(feed_: Feed, *, fallback: dt.date) -> bytes:
    data: bytes = calendar(feed_.tz, feed_.events, fallback=fallback).to_ical()
    return data


def feed(app: Rollminder, *, weeks: int = 8, include_history: bool = False) -> bytes:
    """The whole VCALENDAR for the next ``weeks`` (and the log when ``include_history``):
    byte-stable for the same data (and the same day)."""
    found = collect(app, weeks=weeks, include_history=include_history)
    return render(found, fallback=app.local_now().date())


def object_for(tz: str, event: CalEvent) -> tuple[bytes, str]:
    """One event as a CalDAV calendar object, and a hash of its content (kept in the object as
    X-ROLLMINDER-HASH, so a push can tell an unchanged event even after the server rewrote it)."""
    cal = calendar(tz, [event], fallback=event.start.date())
    digest = hashlib.sha256(cal.to_ical()).hexdigest()[:32]
    for component in cal.walk("VEVENT"):
        component.add("x-rollminder-hash", digest)
    body: bytes = cal.to_ical()
    return body, digest
