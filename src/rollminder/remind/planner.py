"""Which reminders are due: pure, from the plan, the log, the settings and ``now``.

Every reminder has a ledger key ``(slot, kind)`` (the channel completes it), an instant ``at``
from which it is due and, for most, an instant ``until`` after which it is stale and never sent:

- ``prep``: ``Settings.prep_minutes`` before a slot, until the slot's time ("start soaking").
- ``session``: at the slot's time, while the slot is open (until the end of its local day). Sent
  later than :data:`GRACE` after its time (the machine slept or was off), it reads as a
  *catch-up*: the same key, so a slot gets one session reminder or one catch-up, never both.
- ``snooze-N``: the N-th ``rollminder snooze`` of the open slot, at the time asked for.
- ``roller``: the current roller is worn out; due with the next slot's prep, once per roller.
- ``visit``: the day before a clinic visit, at the plan's time, until the visit.
- ``book``: a series' next visit should be booked; once per visit to book.

Slots come from :func:`rollminder.schedule.upcoming`, which never places one on a day that is
done, skipped, paused or blacked out, nor within the rest interval; so no reminder is planned
then. A wall time in a DST gap is the schedule's (moved forward by the gap); an ambiguous one is
its first occurrence. Keys are instants in UTC, so a clock stepped back finds them already in
the ledger, and a new zone (a new slot instant) gets its own reminders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from rollminder import schedule
from rollminder.durations import say_left, say_minutes
from rollminder.model import Log, Plan, Settings, Visit

if TYPE_CHECKING:
    from rollminder.remind.records import Snooze
    from rollminder.service import RollerWear, SeriesStatus

PREP = "prep"
SESSION = "session"
SNOOZE = "snooze"
ROLLER = "roller"
VISIT = "visit"
BOOK = "book"
PHOTO = "photo"  # the progress photo (issue 17): see photo_reminder

#: A session reminder sent later than this after its time is a catch-up.
GRACE = dt.timedelta(minutes=3)

#: How many slots ahead reminders are planned (the next one, and the one after for its prep).
AHEAD = 2


class Reminder(NamedTuple):
    slot: str  # the ledger key: the slot's UTC instant, or 'roller:ID', 'visit:ID', 'book:ID:N'
    kind: str  # prep, session, snooze-N, roller, visit, book
    at: dt.datetime  # due from (UTC)
    until: dt.datetime | None  # stale from (UTC), None: until sent
    title: str
    body: str
    slot_start: dt.datetime | None = None  # the slot (or visit) it is about, plan's zone
    # With several routines (issue 12): the routine's name and needle ("thighs (0.5 mm)") and
    # what it rolls ("thighs, about 5 min"), so one message can name two routines due together.
    routine: str = ""
    what: str = ""

    def due(self, now: dt.datetime) -> bool:
        return self.at <= now and (self.until is None or now < self.until)

    def late(self, now: dt.datetime) -> bool:
        """A session (or snooze) reminder sent this late is a catch-up."""
        return self.kind == SESSION and now - self.at > GRACE

    def text(self, now: dt.datetime) -> tuple[str, str]:
        """Title and body as sent at ``now``: the words follow the real time left. A prep
        reminder says how long until the slot ("In 4 min" when sent late); a visit reminder
        caught up on the visit's day says "today"; a late session reminder reads as a catch-up."""
        if self.kind == PREP and self.slot_start is not None:
            return (
                self.title,
                f"In {say_left((self.slot_start - now).total_seconds())}: {self.body}",
            )
        if self.kind == VISIT and self.slot_start is not None:
            if now.astimezone(self.slot_start.tzinfo).date() == self.slot_start.date():
                return (
                    _today(self.title, "Clinic visit tomorrow", "Clinic visit today"),
                    _today(self.body, "Your visit is tomorrow", "Your visit is today"),
                )
            return self.title, self.body
        if self.late(now) and self.slot_start is not None:
            when = f"{self.slot_start:%H:%M}"
            return (
                "Catch-up: your session is still open"
                + (f": {self.routine}" if self.routine else ""),
                f"Your {when} session was due while this computer was asleep or off; it is "
                f"still open today. {self.body}",
            )
        return self.title, self.body


#: Two routines' slots this close on one day get one reminder that names both (issue 12).
TOGETHER = dt.timedelta(hours=1)


def family(kind: str) -> str | None:
    """What reminders go out together for routines due together: preps with preps, a session
    reminder with a session reminder or a snooze; None for the others (roller, visit, book)."""
    if kind == PREP:
        return PREP
    if kind == SESSION or kind.startswith(SNOOZE + "-"):
        return SESSION
    return None


def joinable(a: Reminder, b: Reminder) -> bool:
    """Whether two routines' reminders go out as one message: the same family, different
    slots (routines) and slot times within :data:`TOGETHER` on one local day."""
    fa = family(a.kind)
    if fa is None or fa != family(b.kind) or a.slot == b.slot:
        return False
    if a.slot_start is None or b.slot_start is None:
        return False
    if a.slot_start.date() != b.slot_start.astimezone(a.slot_start.tzinfo).date():
        return False
    return abs(a.slot_start - b.slot_start) <= TOGETHER


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def together(group: Sequence[Reminder], now: dt.datetime) -> tuple[str, str]:
    """Title and body of one message for several routines' reminders due together (issue 12):
    "Time to roll: face (0.25 mm) and thighs (0.5 mm)"; the body says what each rolls and to
    switch rollers between them. One reminder: its own words (:meth:`Reminder.text`)."""
    if len(group) == 1:
        return group[0].text(now)
    group = sorted(group, key=lambda r: (r.slot_start or r.at, r.routine))
    names = _and([r.routine or r.what for r in group])
    each = " ".join(f"{r.routine}: {r.what}." for r in group)
    first = group[0].slot_start
    assert first is not None
    if family(group[0].kind) == PREP:
        times = sorted({f"{r.slot_start:%H:%M}" for r in group if r.slot_start is not None})
        return (
            f"Sessions at {_and(times)}: start soaking your rollers",
            f"In {say_left((first - now).total_seconds())}: {names}. {each} Soak each roller in "
            "70% isopropyl alcohol for about 10 minutes and let it air-dry; cleanse your skin.",
        )
    if any(r.late(now) for r in group):
        return (
            f"Catch-up: still open today: {names}",
            f"Your {first:%H:%M} sessions were due while this computer was asleep or off; they "
            f"are still open today. {each} Switch rollers between them. {_aftercare()}",
        )
    snoozed = all(r.kind.startswith(SNOOZE + "-") for r in group)
    return (
        ("Snoozed: time to roll: " if snoozed else "Time to roll: ") + names,
        f"{each} One after the other, switching rollers between them. {_aftercare()}",
    )


def _today(text: str, tomorrow: str, today: str) -> str:
    """``text`` with its opening words ``tomorrow`` replaced (never the clinic's name after)."""
    return today + text[len(tomorrow) :] if text.startswith(tomorrow) else text


def slot_key(start: dt.datetime, routine: str = "") -> str:
    """The ledger key of a session slot: its instant in UTC, to the minute; for a routine other
    than the profile's first, followed by ``/`` and the routine's id (issue 12), so two routines'
    slots at one instant never share a key, and the keys of a one-routine person never change."""
    key = start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
    return f"{key}/{routine}" if routine else key


def slot_keys(text: str) -> tuple[str, ...]:
    """The slot keys a reminder's actions name: one key, or several joined by ``+`` (one
    reminder for two routines due together)."""
    return tuple(k for k in text.split(SEPARATOR) if k)


#: Joins the slot keys of the routines one reminder names (the desktop's Done and Snooze).
SEPARATOR = "+"


def _what(plan: Plan) -> str:
    return f"{', '.join(plan.zones)}, about {say_minutes(plan.minutes)}"


def _day_end(start: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    day = start.astimezone(tz).date() + dt.timedelta(days=1)
    return schedule.local_slot(day, dt.time(0), tz)


def reminders(
    plan: Plan,
    log: Log,
    settings: Settings,
    now: dt.datetime,
    *,
    snoozes: Sequence[Snooze] = (),
    roller: RollerWear | None = None,
    series: Sequence[SeriesStatus] = (),
    routine: str = "",
    routine_id: str = "",
) -> list[Reminder]:
    """The reminders that are due now or later (stale ones are left out), sorted by ``at``.

    ``routine`` (a name, for a profile with several routines) goes into the words; ``routine_id``
    (for a routine other than the first) into the slot keys (:func:`slot_key`)."""
    tz = ZoneInfo(plan.tz)
    utc = dt.UTC
    out: list[Reminder] = []
    slots = schedule.upcoming(plan, log, now, count=AHEAD)
    today = now.astimezone(tz).date()
    yesterday = today - dt.timedelta(days=1)
    if (
        yesterday.weekday() in plan.weekdays
        and schedule.local_slot(yesterday, plan.time, tz).date() != yesterday
    ):
        # Yesterday's slot was moved past midnight by a gap (Greenland springs forward from
        # 23:00 to 00:00): counting from today, the schedule no longer sees it.
        eve = schedule.local_slot(today, dt.time(0), tz) - dt.timedelta(microseconds=1)
        moved = schedule.upcoming(plan, log, eve, count=1)
        if moved and moved[0].start.date() == today and moved[0] not in slots:
            slots = [moved[0]._replace(due=moved[0].start <= now), *slots]
    lead = dt.timedelta(minutes=max(0, settings.prep_minutes))
    what = _what(plan)
    label = f"{routine} ({plan.needle_mm:g} mm)" if routine else ""
    named = f"{label}: {what}" if label else what
    for slot in slots:
        key = slot_key(slot.start, routine_id)
        start = slot.start.astimezone(utc)
        end = _day_end(slot.start, tz).astimezone(utc)
        local = slot.start.astimezone(tz)
        if lead:
            out.append(
                Reminder(
                    key,
                    PREP,
                    start - lead,
                    start,
                    f"{routine} at {local:%H:%M}: start soaking your {plan.needle_mm:g} mm roller"
                    if routine
                    else f"Session at {local:%H:%M}: start soaking your roller",
                    f"{named}. Soak the roller in 70% "
                    "isopropyl alcohol for about 10 minutes and let it air-dry; cleanse your skin.",
                    local,
                    label,
                    what,
                )
            )
        out.append(
            Reminder(
                key, SESSION, start, end, f"Time to roll: {named}", _aftercare(), local, label, what
            )
        )
        for z in snoozes:
            if z.slot == key:
                out.append(
                    Reminder(
                        key,
                        f"{SNOOZE}-{z.n}",
                        z.until.astimezone(utc),
                        end,
                        f"Snoozed: time to roll: {named}",
                        _aftercare(),
                        local,
                        label,
                        what,
                    )
                )
    paused = any(p.covers(today) for p in log.pauses)
    if not paused:
        if roller is not None and roller.replace_now and slots:
            first = slots[0].start.astimezone(utc)
            out.append(
                Reminder(
                    f"roller:{roller.roller.id}",
                    ROLLER,
                    first - lead,
                    None,
                    "Time to replace your roller",
                    f"{roller.roller.label}: {roller.reason}. Needles dull with use: start the "
                    "next session with a new roller.",
                )
            )
        out += clinic_reminders(log.visits, series, now, tz, plan.time)
    out = [r for r in out if r.until is None or now < r.until]
    out.sort(key=lambda r: (r.at, r.kind))
    return out


#: When a clinic-only person (no plan, so no plan time) gets the visit and booking reminders.
CLINIC_TIME = dt.time(9, 0)


def clinic_reminders(
    visits: Sequence[Visit],
    series: Sequence[SeriesStatus],
    now: dt.datetime,
    tz: ZoneInfo,
    at_time: dt.time = CLINIC_TIME,
) -> list[Reminder]:
    """The clinic's reminders: the day before each visit and when a series' next visit should be
    booked, at ``at_time`` in ``tz`` (the plan's time; for a clinic-only person, 09:00). Stale
    ones are left in: the caller drops them."""
    utc = dt.UTC
    out: list[Reminder] = []
    for v in visits:
        if v.at <= now:
            continue
        day = v.at.astimezone(tz).date()
        at = schedule.local_slot(day - dt.timedelta(days=1), at_time, tz)
        where = f" at {v.clinic}" if v.clinic else ""
        out.append(
            Reminder(
                f"visit:{v.id}",
                VISIT,
                at.astimezone(utc),
                v.at.astimezone(utc),
                f"Clinic visit tomorrow{where}",
                f"Your visit is tomorrow at {v.at.astimezone(tz):%H:%M}{where}. No makeup "
                "and no workout that day; expect redness, and some peeling a few days later.",
                v.at.astimezone(tz),
            )
        )
    for s in series:
        if s.book_from is None or s.next_visit is not None or not s.remaining:
            continue
        at = schedule.local_slot(s.book_from, at_time, tz)
        until = s.book_until or s.book_from
        out.append(
            Reminder(
                f"book:{s.series.id}:{len(s.visits)}",
                BOOK,
                at.astimezone(utc),
                None,
                f"Book your next visit: {s.series.name}",
                f"Visit {len(s.visits) + 1} of {s.series.count} should be booked for "
                f"{s.book_from:%a %d %b}"
                + ("" if until == s.book_from else f" to {until:%a %d %b}")
                + "; add it to your visits once it is booked.",
            )
        )
    return out


def _aftercare() -> str:
    return (
        "Roll each direction with light pressure, lifting the roller between passes, "
        "and log the session when you are done."
    )


def stage(kind: str) -> int | None:
    """Where a kind stands in a slot's sequence (prep 0, session or catch-up 1, the N-th snooze
    1 + N); None for reminders that are not a slot's (roller, visit, book).

    A slot's reminders go out in this order only: once a later one was sent on a channel, an
    earlier one is stale there, whatever the clock says now. A clock stepped back after the
    session reminder would otherwise make the prep (never sent: the machine slept through it, or
    it was still inside its window) due again, and send it after the session."""
    if kind == PREP:
        return 0
    if kind == SESSION:
        return 1
    if kind.startswith(SNOOZE + "-"):
        n = kind.partition("-")[2]
        return 1 + int(n) if n.isdigit() else None
    return None


def due(found: Sequence[Reminder], now: dt.datetime) -> list[Reminder]:
    return [r for r in found if r.due(now)]


def next_at(found: Sequence[Reminder], now: dt.datetime) -> dt.datetime | None:
    """The next instant after ``now`` at which a reminder becomes due."""
    ahead = [r.at for r in found if r.at > now]
    return min(ahead) if ahead else None


def photo_reminder(key: str, day: dt.date, at_time: dt.time, tz: ZoneInfo) -> Reminder:
    """The progress photo's reminder (issue 17): on ``day`` (never a rolling day or the day
    after: :func:`rollminder.photos.next_photo_day`) at the plan's time, once per photo taken
    (``key`` names the last one), so a late machine sends it once, never daily."""
    at = schedule.local_slot(day, at_time, tz)
    return Reminder(
        f"photo:{key}",
        PHOTO,
        at.astimezone(dt.UTC),
        None,
        "Time for your progress photos",
        "Same place and light, no makeup, before rolling: front, left and right (and your "
        "close-up). Compare them with your first ones in the journal.",
        at,
    )
