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


class SeriesStatus(NamedTuple):
    series: Series
    visits: tuple[Visit, ...]
    done: int  # visits before now
    remaining: int
    next_visit: Visit | None  # the next booked visit
    book_from: dt.date | None  # when no next visit is booked: the window to book it in
    book_until: dt.date | None


def _text(value: str, what: str, limit: int) -> str:
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


def check_zones(zones: Sequence[str]) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(z.strip().lower() for z in zones if z.strip()))
    if not out:
        raise InvalidInput(f"Choose at least one zone: {', '.join(ZONES)}.")
    for z in out:
        if z not in ZONES:
            raise InvalidInput(f"Unknown zone {z!r}: choose from {', '.join(ZONES)}.")
    return out


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
            raise NoPlan("No plan yet: run 'rollminder setup' first.")
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
        )

    # ------------------------------------------------------------------ plan

    def set_plan(self, **choices: object) -> Plan:
        """Create the plan, or change the current one (only the given choices change)."""
        current = self.store.plan()
        today = self.local_now().date()
        if current is None:
            start = choices.pop("start", None) or today
            plan = rules.make_plan(start=start, **choices)  # type: ignore[arg-type]
        else:
            merged: dict[str, object] = {
                k: getattr(current, k)
                for k in (
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
                )
            }
            if "needle_mm" in choices and choices["needle_mm"] != current.needle_mm:
                # A new needle brings its own defaults unless the person chose them too.
                for key in ("sessions", "every_weeks", "weekdays", "rest_hours"):
                    merged.pop(key)
            if "sessions" in choices or "every_weeks" in choices:
                merged.pop("weekdays", None)
            merged.update({k: v for k, v in choices.items() if v is not None})
            merged.pop("start", None)
            plan = rules.make_plan(start=current.start, **merged)  # type: ignore[arg-type]
        plan = replace(plan, created_at=_after(self.now(), current.created_at if current else None))
        self.store.put_plan(plan)
        return plan

    def preview(self, plan: Plan, count: int = 4) -> list[schedule.Slot]:
        return schedule.upcoming(plan, self.log_for(plan), self.now(), count)

    # ------------------------------------------------------------------ schedule

    def next(self, count: int = 3) -> tuple[schedule.Status, list[schedule.Slot]]:
        if not 1 <= count <= 100:
            raise InvalidInput("--count must be between 1 and 100.")
        plan = self.plan()
        log = self.log_for(plan)
        now = self.now()
        return schedule.status(plan, log, now), schedule.upcoming(plan, log, now, count)

    # ------------------------------------------------------------------ log

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
        at = now if at is None else at
        if at > now + dt.timedelta(minutes=1):
            raise InvalidInput("A session cannot be logged in the future.")
        if at.year < 2000:
            raise InvalidInput("That date is too far in the past.")
        minutes = plan.minutes if minutes is None else minutes
        if not 0 < minutes <= 120:
            raise InvalidInput("Minutes must be more than 0 and at most 120.")
        if reaction is not None and reaction not in REACTIONS:
            raise InvalidInput(f"Reaction must be one of {', '.join(REACTIONS)}.")
        session = Session(
            start=at.astimezone(dt.UTC).replace(second=0, microsecond=0),
            minutes=round(float(minutes), 2),
            zones=check_zones(zones) if zones else plan.zones,
            reaction=reaction,
            note=_text(note, "note", MAX_NOTE),
            roller_id=roller_id,
            created_at=now,
        )
        warnings: list[str] = []
        with self.store.transaction():
            if roller_id is None:
                current = self.current_roller()
                session = replace(session, roller_id=current.id if current else None)
            elif not any(r.id == roller_id for r in self.store.rollers()):
                raise NotFound(f"No roller {roller_id!r}.")
            window = dt.timedelta(hours=plan.rest_hours)
            near = self.store.sessions(since=session.start - window, until=session.start + window)
            if any(s.start == session.start for s in near):
                local = session.start.astimezone(ZoneInfo(plan.tz))
                raise Conflict(f"A session at {local:%Y-%m-%d %H:%M} is already logged.")
            self.store.put_session(session)
        clash = schedule.rest_conflict(plan, [s.start for s in near], session.start)
        if clash is not None:
            local = clash.astimezone(ZoneInfo(plan.tz))
            warnings.append(
                f"This was less than {plan.rest_hours} h from the session of "
                f"{local:%a %Y-%m-%d %H:%M}: the plan asks for more rest."
            )
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
        with self.store.transaction():
            if slot is None:
                upcoming = schedule.upcoming(plan, self.log_for(plan), now, 1)
                if not upcoming:
                    raise NotFound("There is no upcoming slot to skip.")
                slot = upcoming[0].start
            day = slot.astimezone(tz).date()
            start = dt.datetime.combine(day, dt.time(0), tz)
            if self.store.skips(since=start, until=start + dt.timedelta(days=1)):
                raise Conflict(f"The slot of {day:%a %Y-%m-%d} is already skipped.")
            skip = Skip(slot=slot.astimezone(dt.UTC), reason=reason, created_at=now)
            self.store.put_skip(skip)
        return skip

    def history(self, since: dt.datetime | None = None) -> list[Session]:
        return self.store.sessions(since=since)

    def skips(self, since: dt.datetime | None = None) -> list[Skip]:
        return self.store.skips(since=since)

    def _find(
        self, rows: Sequence[Roller | Visit | Series | Pause | Session | Skip], ref: str, what: str
    ) -> str:
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
                        f"That overlaps the pause {p.first} to {p.last}; 'rollminder resume' "
                        "ends it."
                    )
            self.store.put_pause(pause)
        return pause

    def pauses(self) -> list[Pause]:
        return self.store.pauses()

    def resume(self) -> Pause | None:
        """End the pause that holds today (it ends yesterday; removed if it began today)."""
        today = self.local_now().date()
        with self.store.transaction():
            for p in self.store.pauses():
                if p.covers(today):
                    if p.first == today:
                        self.store.delete_pause(p.id)
                    else:
                        self.store.put_pause(replace(p, last=today - dt.timedelta(days=1)))
                    return p
        return None

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
        s = replace(self.store.settings(), **changes)
        if not 1 <= s.roller_max_uses <= 1000 or not 1 <= s.roller_max_days <= 3650:
            raise InvalidInput("Roller limits: 1-1000 uses and 1-3650 days.")
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
                raise Conflict(f"That roller was retired on {roller.retired}.")
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
            if first_use is None and roller.initial_uses:
                first_use = roller.added
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
        if not 1 <= count <= 12:
            raise InvalidInput("A series has 1 to 12 visits (4-6 is usual).")
        if not 1 <= spacing_weeks <= 26:
            raise InvalidInput("Visits are 1 to 26 weeks apart (4-6 is usual).")
        name = _text(name, "name", MAX_NAME) or "Clinic series"
        series = Series(name=name, count=count, spacing_weeks=spacing_weeks, created_at=self.now())
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
                if mine:
                    last = mine[-1].at.astimezone(tz).date()
                    lo = min(s.spacing_weeks, rules.SERIES_MIN_WEEKS)
                    hi = max(s.spacing_weeks, rules.SERIES_MAX_WEEKS)
                    book_from = last + dt.timedelta(weeks=lo)
                    book_until = last + dt.timedelta(weeks=hi)
                else:
                    book_from = book_until = now.astimezone(tz).date()
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
        return progress.compute(plan, self.log_for(plan, full=True), self.now())
