"""Use cases: the one API the CLI, the web app and the reminder daemon call.

Every rule lives in the domain (rules, schedule, progress); this layer loads what a use case needs
from the store, passes ``now`` in, and writes inside one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from rollminder import rules, schedule
from rollminder.env import DEFAULT_PROFILE
from rollminder.errors import Conflict, InvalidInput, NoPlan, NotFound
from rollminder.model import (
    REACTIONS,
    ZONES,
    Log,
    Pause,
    Plan,
    Roller,
    Series,
    Session,
    Settings,
    Skip,
    Visit,
)
from rollminder.store import Store

if TYPE_CHECKING:
    from rollminder.progress import Progress

MAX_NOTE = 2000
MAX_NAME = 120


#: A second "Done" from a reminder this soon after a logged session is a double tap.
DOUBLE_TAP = dt.timedelta(hours=2)


class Logged(NamedTuple):
    session: Session
    warnings: tuple[str, ...]


class RollerWear(NamedTuple):
    roller: Roller
    uses: int
    uses_left: int
    age_days: int | None  # days since first use, None before it was used
    days_left: int | None
    replace_now: bool
    reason: str  # why it should be replaced, or ""

    @property
    def nearly_worn(self) -> bool:
        """One use or a week left (not yet due): worth a word before the session."""
        return not self.replace_now and (
            self.uses_left <= 1 or (self.days_left is not None and self.days_left <= 7)
        )


class SeriesStatus(NamedTuple):
    series: Series
    visits: tuple[Visit, ...]
    done: int  # visits before now
    remaining: int
    next_visit: Visit | None  # the next booked visit
    book_from: dt.date | None  # when no next visit is booked: the window to book it in
    book_until: dt.date | None


#: Dates and times the service accepts (as rollminder.timeparse reads them).
MIN_YEAR = 1970
MAX_YEAR = 2200

#: The plan's fields a person may choose (``set_plan``); ``start`` only for a new plan.
PLAN_CHOICES = frozenset(
    {
        "needle_mm",
        "sessions",
        "every_weeks",
        "weekdays",
        "time",
        "tz",
        "minutes",
        "zones",
        "directions",
        "passes",
        "rest_hours",
        "blackout_before_days",
        "blackout_after_days",
    }
)


def _instant(value: object, what: str) -> dt.datetime:
    """An aware datetime within the years rollminder handles, or a one-line error."""
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise InvalidInput(f"The {what} needs a date and a time with a time zone.")
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidInput(f"The {what} must be between the years {MIN_YEAR} and {MAX_YEAR}.")
    return value


def _day(value: object, what: str) -> dt.date:
    """A calendar day (not a datetime) within the years rollminder handles."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidInput(f"The {what} must be a day, such as 2026-12-16.")
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidInput(f"The {what} must be between the years {MIN_YEAR} and {MAX_YEAR}.")
    return value


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"The {what} must be a whole number.")
    return value


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise InvalidInput(f"The {what} must be a number.")
    return float(value)


def _text(value: object, what: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be text.")
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"The {what} is too long: at most {limit} characters.")
    if any(ord(c) < 32 and c not in "\n\t" for c in value) or "\x7f" in value:
        raise InvalidInput(f"The {what} contains control characters.")
    return value


def _after(now: dt.datetime, previous: dt.datetime | None) -> dt.datetime:
    """``now``, or just after ``previous`` when a clock set back would put a new version first."""
    if previous is not None and now <= previous:
        return previous + dt.timedelta(microseconds=1)
    return now


def _says_day(day: dt.date) -> str:
    """How a day is written in messages: 'Wed 25 Nov 2026' (as the CLI writes days)."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _at(when: dt.datetime) -> str:
    return f"{_says_day(when.date())} {when:%H:%M}"


def check_zones(zones: Sequence[str]) -> tuple[str, ...]:
    if isinstance(zones, str):
        zones = zones.split(",")
    if not all(isinstance(z, str) for z in zones):
        raise InvalidInput(f"Zones are names: {', '.join(ZONES)}.")
    out = tuple(dict.fromkeys(z.strip().lower() for z in zones if z.strip()))
    if not out:
        raise InvalidInput(f"Choose at least one zone: {', '.join(ZONES)}.")
    for z in out:
        if z not in ZONES:
            raise InvalidInput(f"Unknown zone {z!r}: choose from {', '.join(ZONES)}.")
    return out


def _roller_on(rollers: Sequence[Roller], day: dt.date) -> Roller | None:
    """The roller in use on ``day``: from its first use (or the day it was added) through the
    day it was retired; on a changeover day, the newer one. A day before any roller was in use
    (history logged after the fact) goes to the first roller."""
    found = first = None
    for r in rollers:  # sorted by added, then created_at
        began = min(r.added, r.first_use) if r.first_use else r.added
        if began <= day and (r.retired is None or day <= r.retired):
            found = r
        if first is None or began < first[0]:
            first = (began, r)
    if found is None and first is not None and day < first[0]:
        return first[1]
    return found


def series_window(last: dt.date, spacing_weeks: int) -> tuple[dt.date, dt.date]:
    """When to book the visit after the one on ``last``. A series spaced within the usual 4-6
    weeks may book anywhere in 4-6 weeks (seed article); one the clinic spaced otherwise books
    in the week its spacing falls on (never earlier than the clinic asked)."""
    if rules.SERIES_MIN_WEEKS <= spacing_weeks <= rules.SERIES_MAX_WEEKS:
        lo, hi = (
            dt.timedelta(weeks=rules.SERIES_MIN_WEEKS),
            dt.timedelta(weeks=rules.SERIES_MAX_WEEKS),
        )
    else:
        lo = dt.timedelta(weeks=spacing_weeks)
        hi = lo + dt.timedelta(days=6)
    return last + lo, last + hi


class Rollminder:
    """The use cases for one profile. ``clock`` returns an aware ``datetime``."""

    def __init__(self, store: Store, clock: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.clock = clock

    # ------------------------------------------------------------------ basics

    def now(self) -> dt.datetime:
        return self.clock()

    def plan(self) -> Plan:
        plan = self.store.plan()
        if plan is None:
            profile = self.store.profile
            if profile == DEFAULT_PROFILE:
                raise NoPlan("No plan yet: run 'rollminder setup' first.")
            raise NoPlan(
                f"No plan yet for {profile}: run 'rollminder --profile {profile} setup' first."
            )
        return plan

    def has_plan(self) -> bool:
        return self.store.plan() is not None

    def zone(self) -> ZoneInfo:
        plan = self.store.plan()
        return ZoneInfo(plan.tz) if plan else ZoneInfo("UTC")

    def local_now(self) -> dt.datetime:
        return self.now().astimezone(self.zone())

    def log_for(self, plan: Plan, *, full: bool = False) -> Log:
        """What the schedule needs. Unless ``full``, only the recent log is read (fast ``next``)."""
        now = self.now()
        since = None
        if not full:
            today = now.astimezone(ZoneInfo(plan.tz)).date()
            first = schedule.period_first(plan, today)
            margin = dt.timedelta(hours=plan.rest_hours) + dt.timedelta(days=8)
            since = dt.datetime.combine(first, dt.time(0), ZoneInfo(plan.tz)) - margin
        return Log(
            sessions=tuple(self.store.sessions(since=since)),
            skips=tuple(self.store.skips(since=since)),
            pauses=tuple(self.store.pauses()),
            visits=tuple(self.store.visits()),
            holds=tuple(self.store.holds()),
        )

    # ------------------------------------------------------------------ plan

    def set_plan(self, **choices: object) -> Plan:
        """Create the plan, or change the current one (only the given choices change).

        A new needle brings its own defaults (sessions, period, days, rest) unless they are
        chosen too; a new number of sessions brings default days unless days are chosen (a new
        period keeps the days). A change keeps the plan's start date. The check and the write
        are one transaction, so two changes at once cannot both build on the same old plan.
        """
        with self.store.transaction():
            current = self.store.plan()
            plan = self._build_plan(current, choices)
            plan = replace(
                plan, created_at=_after(self.now(), current.created_at if current else None)
            )
            self.store.put_plan(plan)
        return plan

    def draft_plan(self, **choices: object) -> Plan:
        """The plan :meth:`set_plan` would make of ``choices``, validated but not saved (the
        setup wizard checks each answer with it)."""
        return self._build_plan(self.store.plan(), choices)

    def _build_plan(self, current: Plan | None, choices: dict[str, object]) -> Plan:
        unknown = sorted(set(choices) - PLAN_CHOICES - {"start"})
        if unknown:
            raise InvalidInput(f"A plan has no setting {unknown[0]!r}.")
        given = {k: v for k, v in choices.items() if v is not None}
        rules.check_types(given)
        if current is None:
            start = (
                given.pop("start", None)
                or self.now().astimezone(rules.check_zone(str(given.get("tz", "UTC")))).date()
            )
            return rules.make_plan(start=start, **given)  # type: ignore[arg-type]
        given.pop("start", None)
        merged: dict[str, object] = {k: getattr(current, k) for k in PLAN_CHOICES}
        if "needle_mm" in given and given["needle_mm"] != current.needle_mm:
            # A new needle brings its own defaults unless the person chose them too.
            for key in ("sessions", "every_weeks", "weekdays", "rest_hours"):
                merged.pop(key)
        merged.update(given)
        if (
            ("sessions" in given or "every_weeks" in given)
            and "weekdays" not in given
            and len(current.weekdays) != merged.get("sessions")
        ):
            # A new number of sessions brings default days; the person's days stay while they
            # still number the sessions.
            merged.pop("weekdays", None)
        return rules.make_plan(start=current.start, **merged)  # type: ignore[arg-type]

    def preview(self, plan: Plan, count: int = 4) -> list[schedule.Slot]:
        return schedule.upcoming(plan, self.log_for(plan), self.now(), count)

    # ------------------------------------------------------------------ schedule

    def next(self, count: int = 3) -> tuple[schedule.Status, list[schedule.Slot]]:
        if not 1 <= _whole(count, "count") <= 100:
            raise InvalidInput("--count must be between 1 and 100.")
        plan = self.plan()
        log = self.log_for(plan)
        now = self.now()
        return schedule.status(plan, log, now), schedule.upcoming(plan, log, now, count)

    # ------------------------------------------------------------------ log

    def log_from_reminder(self) -> Logged:
        """ "Done" pressed on a reminder (a desktop button, a link from ntfy or e-mail): log a
        session now, unless one was logged within DOUBLE_TAP (then it is the same session tapped
        twice, or on two devices: Conflict, nothing added)."""
        with self.store.transaction():
            last = self.store.last_session()
            if last is not None and self.now() - last.start < DOUBLE_TAP:
                local = last.start.astimezone(self.zone())
                raise Conflict(f"Already logged: a session at {local:%H:%M}. Nothing was added.")
            return self.log_session()

    def log_session(
        self,
        *,
        at: dt.datetime | None = None,
        minutes: float | None = None,
        zones: Sequence[str] | None = None,
        reaction: str | None = None,
        note: str = "",
        roller_id: str | None = None,
    ) -> Logged:
        plan = self.plan()
        now = self.now()
        at = now if at is None else _instant(at, "session's time")
        if at > now + dt.timedelta(minutes=1):
            raise InvalidInput("A session cannot be logged in the future.")
        if at.year < 2000:
            raise InvalidInput("That date is too far in the past.")
        minutes = plan.minutes if minutes is None else _number(minutes, "session's minutes")
        if not 0 < minutes <= 120:
            raise InvalidInput("Minutes must be more than 0 and at most 120.")
        if reaction is not None and reaction not in REACTIONS:
            raise InvalidInput(f"Reaction must be one of {', '.join(REACTIONS)}.")
        if roller_id is not None and not isinstance(roller_id, str):
            raise InvalidInput("The roller is named by its id.")
        tz = ZoneInfo(plan.tz)
        session = Session(
            start=at.astimezone(dt.UTC).replace(second=0, microsecond=0),
            minutes=round(float(minutes), 2),
            zones=check_zones(zones) if zones else plan.zones,
            reaction=reaction,
            note=_text(note, "note", MAX_NOTE),
            roller_id=roller_id,
            created_at=now,
        )
        day = session.start.astimezone(tz).date()
        warnings: list[str] = []
        with self.store.transaction():
            rollers = self.store.rollers()
            if roller_id is None:
                # The roller in use that day (a session logged late keeps the roller it had).
                used = _roller_on(rollers, day)
                session = replace(session, roller_id=used.id if used else None)
            elif not any(r.id == roller_id for r in rollers):
                raise NotFound(f"No roller {roller_id!r}.")
            window = dt.timedelta(hours=plan.rest_hours)
            near = self.store.sessions(since=session.start - window, until=session.start + window)
            if any(s.start == session.start for s in near):
                local = session.start.astimezone(tz)
                raise Conflict(f"A session at {_at(local)} is already logged.")
            visits = self.store.visits()
            self.store.put_session(session)
        clash = schedule.rest_conflict(plan, [s.start for s in near], session.start)
        if clash is not None:
            local = clash.astimezone(tz)
            warnings.append(
                f"This was less than {rules.fmt_hours(plan.rest_hours)} from the session of "
                f"{_at(local)}: the plan asks for more rest."
            )
        for b in schedule.blackouts(plan, visits):
            if b.first <= day <= b.last:
                warnings.append(
                    "This was within the no-home-rolling days around your clinic visit of "
                    f"{_says_day(b.visit.at.astimezone(tz).date())}; ask your clinician before "
                    "rolling that close to a treatment."
                )
                break
        if session.roller_id:
            wear = self.roller_wear(session.roller_id)
            if wear.replace_now:
                warnings.append(f"Time to replace your roller: {wear.reason}.")
        return Logged(session, tuple(warnings))

    def skip(self, *, slot: dt.datetime | None = None, reason: str) -> Skip:
        reason = _text(reason, "reason", MAX_NAME * 4)
        if not reason:
            raise InvalidInput("Say why you skip (--reason), e.g. --reason 'skin irritated'.")
        plan = self.plan()
        now = self.now()
        tz = ZoneInfo(plan.tz)
        if slot is not None:
            slot = _instant(slot, "slot to skip")
            if slot > now + dt.timedelta(days=366):
                raise InvalidInput("You can skip a slot at most a year ahead.")
        with self.store.transaction():
            if slot is None:
                upcoming = schedule.upcoming(plan, self.log_for(plan), now, 1)
                if not upcoming:
                    raise NotFound("There is no upcoming slot to skip.")
                slot = upcoming[0].start
            day = slot.astimezone(tz).date()
            start = dt.datetime.combine(day, dt.time(0), tz)
            if self.store.skips(since=start, until=start + dt.timedelta(days=1)):
                raise Conflict(f"The slot of {_says_day(day)} is already skipped.")
            skip = Skip(slot=slot.astimezone(dt.UTC), reason=reason, created_at=now)
            self.store.put_skip(skip)
        return skip

    def history(self, since: dt.datetime | None = None) -> list[Session]:
        since = None if since is None else _instant(since, "start of the history")
        return self.store.sessions(since=since)

    def skips(self, since: dt.datetime | None = None) -> list[Skip]:
        since = None if since is None else _instant(since, "start of the history")
        return self.store.skips(since=since)

    def _find(
        self, rows: Sequence[Roller | Visit | Series | Pause | Session | Skip], ref: str, what: str
    ) -> str:
        if not isinstance(ref, str):
            raise InvalidInput(f"Give the {what} id (at least 4 characters).")
        ref = ref.strip().lower()
        if len(ref) < 4:
            raise InvalidInput(f"Give at least 4 characters of the {what} id.")
        hits = [r.id for r in rows if r.id.startswith(ref)]
        if not hits:
            raise NotFound(f"No {what} with id {ref!r}.")
        if len(hits) > 1:
            raise InvalidInput(f"{ref!r} matches several {what}s: give more of the id.")
        return hits[0]

    def delete_entry(self, ref: str) -> str:
        """Delete a session or a skip by (a prefix of) its id. Returns what it was."""
        with self.store.transaction():
            sessions = self.store.sessions()
            skips = self.store.skips()
            rows: list[Session | Skip] = [*sessions, *skips]
            rid = self._find(rows, ref, "entry")
            if self.store.delete_session(rid):
                return "session"
            self.store.delete_skip(rid)
            return "skip"

    # ------------------------------------------------------------------ pauses

    def pause(self, first: dt.date, last: dt.date, reason: str = "") -> Pause:
        first = _day(first, "pause's first day")
        last = _day(last, "pause's last day")
        if last < first:
            raise InvalidInput("The pause must end on or after the day it starts.")
        if (last - first).days > 366 * 2:
            raise InvalidInput("A pause can last at most two years.")
        pause = Pause(
            first=first,
            last=last,
            reason=_text(reason, "reason", MAX_NAME * 4),
            created_at=self.now(),
        )
        with self.store.transaction():
            for p in self.store.pauses():
                if p.first <= last and first <= p.last:
                    raise Conflict(
                        f"That overlaps your pause from {_says_day(p.first)} through "
                        f"{_says_day(p.last)}; see 'rollminder pauses' (cancel one with "
                        "'rollminder resume ID')."
                    )
            self.store.put_pause(pause)
        return pause

    def pauses(self) -> list[Pause]:
        return self.store.pauses()

    def resume(self) -> Pause | None:
        """End the pause that holds today (it ends yesterday; removed if it began today).

        Pauses that overlap (an import can bring them) all end, so resuming always resumes.
        Returns the pause as it was, or None when today is not paused.
        """
        today = self.local_now().date()
        ended = None
        with self.store.transaction():
            for p in self.store.pauses():
                if p.covers(today):
                    if p.first == today:
                        self.store.delete_pause(p.id)
                    else:
                        self.store.put_pause(replace(p, last=today - dt.timedelta(days=1)))
                    ended = ended or p
        return ended

    def cancel_pause(self, ref: str) -> Pause:
        with self.store.transaction():
            pauses = self.store.pauses()
            pid = self._find(pauses, ref, "pause")
            self.store.delete_pause(pid)
            return next(p for p in pauses if p.id == pid)

    # ------------------------------------------------------------------ rollers

    def settings(self) -> Settings:
        return self.store.settings()

    def set_settings(self, **changes: int) -> Settings:
        known = {
            "roller_max_uses": "roller uses",
            "roller_max_days": "roller days",
            "prep_minutes": "prep reminder's minutes",
            "session_check": "session check",
        }
        for key, value in changes.items():
            if key not in known:
                raise InvalidInput(f"There is no setting {key!r}.")
            _whole(value, known[key])
        with self.store.transaction():
            s = replace(self.store.settings(), **changes)
            if not 1 <= s.roller_max_uses <= 1000 or not 1 <= s.roller_max_days <= 3650:
                raise InvalidInput("Roller limits: 1-1000 uses and 1-3650 days.")
            if not 0 <= s.prep_minutes <= 240:
                raise InvalidInput("The prep reminder comes 0 (off) to 240 minutes before a slot.")
            if s.session_check not in (0, 1):
                raise InvalidInput("The session check is 1 (ask before each session) or 0 (off).")
            self.store.put_settings(s)
        return s

    def current_roller(self) -> Roller | None:
        active = [r for r in self.store.rollers() if r.retired is None]
        return active[-1] if active else None

    def add_roller(
        self,
        *,
        label: str = "",
        needle_mm: float | None = None,
        first_use: dt.date | None = None,
        initial_uses: int = 0,
    ) -> tuple[Roller, Roller | None]:
        """Add a roller; it becomes the current one and the previous current one is retired."""
        today = self.local_now().date()
        if needle_mm is None:
            plan = self.store.plan()
            if plan is None:
                raise InvalidInput("Give the needle length (--needle) or set up a plan first.")
            needle_mm = plan.needle_mm
        needle_mm = _number(needle_mm, "needle length")
        initial_uses = _whole(initial_uses, "number of earlier uses")
        if first_use is not None:
            first_use = _day(first_use, "first use")
        if not 0 < needle_mm <= rules.MAX_NEEDLE_MM:
            raise InvalidInput(
                f"Needle length must be above 0 and at most {rules.MAX_NEEDLE_MM} mm."
            )
        if not 0 <= initial_uses <= 1000:
            raise InvalidInput("Earlier uses must be between 0 and 1000.")
        if first_use is not None and first_use > today:
            raise InvalidInput("The first use cannot be in the future.")
        label = _text(label, "label", MAX_NAME) or f"{needle_mm:g} mm roller"
        roller = Roller(
            label=label,
            needle_mm=round(needle_mm, 3),
            added=today,
            first_use=first_use,
            initial_uses=initial_uses,
            created_at=self.now(),
        )
        with self.store.transaction():
            previous = self.current_roller()
            if previous is not None:
                self.store.put_roller(replace(previous, retired=today))
                roller = replace(roller, created_at=_after(roller.created_at, previous.created_at))
            self.store.put_roller(roller)
        return roller, previous

    def retire_roller(self, ref: str | None = None) -> Roller:
        today = self.local_now().date()
        with self.store.transaction():
            rollers = self.store.rollers()
            if ref is None:
                current = self.current_roller()
                if current is None:
                    raise NotFound("There is no current roller to retire.")
                rid = current.id
            else:
                rid = self._find(rollers, ref, "roller")
            roller = next(r for r in rollers if r.id == rid)
            if roller.retired is not None:
                raise Conflict(f"That roller was retired on {_says_day(roller.retired)}.")
            roller = replace(roller, retired=today)
            self.store.put_roller(roller)
        return roller

    def rollers(self) -> list[Roller]:
        return self.store.rollers()

    def roller_wear(self, roller_id: str) -> RollerWear:
        roller = next((r for r in self.store.rollers() if r.id == roller_id), None)
        if roller is None:
            raise NotFound(f"No roller {roller_id!r}.")
        settings = self.store.settings()
        uses = roller.initial_uses + self.store.count_sessions(roller_id)
        first_use = roller.first_use
        if first_use is None:
            first = (
                next((s for s in self.store.sessions() if s.roller_id == roller_id), None)
                if uses > roller.initial_uses
                else None
            )
            first_use = first.start.astimezone(self.zone()).date() if first else None
            if roller.initial_uses:
                # Used before it was added: its first use was on that day at the latest.
                first_use = roller.added if first_use is None else min(first_use, roller.added)
        end = roller.retired or self.local_now().date()
        age = None if first_use is None else (end - first_use).days
        uses_left = max(0, settings.roller_max_uses - uses)
        days_left = None if age is None else max(0, settings.roller_max_days - age)
        reasons = []
        if uses >= settings.roller_max_uses:
            reasons.append(f"{uses} uses (replace after {settings.roller_max_uses})")
        if age is not None and age >= settings.roller_max_days:
            reasons.append(f"{age} days since first use (replace after {settings.roller_max_days})")
        return RollerWear(
            roller,
            uses,
            uses_left,
            age,
            days_left,
            roller.retired is None and bool(reasons),
            "; ".join(reasons),
        )

    # ------------------------------------------------------------------ visits

    def add_visit(
        self, *, at: dt.datetime, clinic: str = "", note: str = "", series_ref: str | None = None
    ) -> Visit:
        at = _instant(at, "visit's time")
        with self.store.transaction():
            series_id = None
            if series_ref is not None:
                series_id = self._find(self.store.series(), series_ref, "series")
            visit = Visit(
                at=at.astimezone(dt.UTC),
                clinic=_text(clinic, "clinic", MAX_NAME),
                note=_text(note, "note", MAX_NOTE),
                series_id=series_id,
                created_at=self.now(),
            )
            if any(v.at == visit.at for v in self.store.visits()):
                raise Conflict("A visit at that time is already recorded.")
            self.store.put_visit(visit)
        return visit

    def visits(self) -> list[Visit]:
        return self.store.visits()

    def delete_visit(self, ref: str) -> Visit:
        with self.store.transaction():
            visits = self.store.visits()
            vid = self._find(visits, ref, "visit")
            self.store.delete_visit(vid)
            return next(v for v in visits if v.id == vid)

    def add_series(self, *, name: str, count: int, spacing_weeks: int) -> Series:
        count = _whole(count, "number of visits")
        spacing_weeks = _whole(spacing_weeks, "number of weeks between visits")
        if not 1 <= count <= 12:
            raise InvalidInput("A series has 1 to 12 visits (4-6 is usual).")
        if not 1 <= spacing_weeks <= 26:
            raise InvalidInput("Visits are 1 to 26 weeks apart (4-6 is usual).")
        name = _text(name, "name", MAX_NAME) or "Clinic series"
        series = Series(name=name, count=count, spacing_weeks=spacing_weeks, created_at=self.now())
        with self.store.transaction():
            self.store.put_series(series)
        return series

    def series_status(self) -> list[SeriesStatus]:
        now = self.now()
        visits = self.store.visits()
        out = []
        for s in self.store.series():
            mine = tuple(v for v in visits if v.series_id == s.id)
            done = sum(1 for v in mine if v.at <= now)
            upcoming = [v for v in mine if v.at > now]
            remaining = max(0, s.count - len(mine)) + len(upcoming)
            book_from = book_until = None
            if not upcoming and len(mine) < s.count:
                tz = self.zone()
                today = now.astimezone(tz).date()
                if mine:
                    book_from, book_until = series_window(
                        mine[-1].at.astimezone(tz).date(), s.spacing_weeks
                    )
                    # A window already past: book now (never a window in the past).
                    book_from = max(book_from, today)
                    book_until = max(book_until, book_from)
                else:
                    book_from = book_until = today
            out.append(
                SeriesStatus(
                    s,
                    mine,
                    done,
                    remaining,
                    upcoming[0] if upcoming else None,
                    book_from,
                    book_until,
                )
            )
        return out

    # ------------------------------------------------------------------ progress

    def stats(self) -> Progress:
        from rollminder import progress

        plan = self.plan()
        log = self.log_for(plan, full=True)
        return progress.compute(plan, log, self.now(), versions=self.store.plans())

    # ------------------------------------------------------------------ edits (web, issue 7)

    def edit_session(
        self,
        ref: str,
        *,
        at: dt.datetime | None = None,
        minutes: float | None = None,
        zones: Sequence[str] | None = None,
        reaction: str | None = None,
        note: str = "",
    ) -> Logged:
        """Change a logged session (by a prefix of its id): the same checks as logging it anew,
        and it keeps its id (so export/import still knows it). One transaction: a refused change
        leaves the old session as it was."""
        with self.store.transaction():
            sessions = self.store.sessions()
            sid = self._find(sessions, ref, "session")
            old = next(s for s in sessions if s.id == sid)
            self.store.delete_session(sid)
            logged = self.log_session(
                at=old.start if at is None else at,
                minutes=old.minutes if minutes is None else minutes,
                zones=old.zones if zones is None else zones,
                reaction=reaction,
                note=note,
                roller_id=old.roller_id,
            )
            self.store.delete_session(logged.session.id)
            session = replace(logged.session, id=old.id, created_at=old.created_at)
            self.store.put_session(session)
        return Logged(session, logged.warnings)

    def edit_skip(self, ref: str, *, slot: dt.datetime | None = None, reason: str) -> Skip:
        """Change a skip's slot or reason (by a prefix of its id); it keeps its id."""
        with self.store.transaction():
            skips = self.store.skips()
            kid = self._find(skips, ref, "skip")
            old = next(k for k in skips if k.id == kid)
            self.store.delete_skip(kid)
            new = self.skip(slot=old.slot if slot is None else slot, reason=reason)
            self.store.delete_skip(new.id)
            skip = replace(new, id=old.id, created_at=old.created_at)
            self.store.put_skip(skip)
        return skip
