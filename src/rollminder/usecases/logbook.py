"""Use cases of the log: sessions (by hand, from a reminder, from a guided session), skips,
corrections, and the figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from rollminder import limits, rules, schedule
from rollminder.errors import Conflict, InvalidInput, NotFound
from rollminder.model import ALL_ZONES, REACTIONS, Pause, Plan, Roller, Session, Skip, Visit
from rollminder.usecases.base import Base, find, says_at, says_day
from rollminder.usecases.rollers import wear_of
from rollminder.usecases.undo import (
    KEEP,
    KIND_OF,
    Keep,
    check_flag,
    delete_row,
    journal,
    rows_of,
)

if TYPE_CHECKING:
    from rollminder.guide import Guide
    from rollminder.progress import Progress

#: What ``delete`` deletes (rollers are retired, not deleted: their sessions keep them).
DELETABLE = ("session", "skip", "pause", "visit")

#: A second "Done" from a reminder this soon after a logged session is a double tap.
DOUBLE_TAP = dt.timedelta(hours=2)


class SecondToday(Conflict):
    """The day already has a session: a second one counts once, so the person is asked first."""

    def __init__(self, message: str, existing: Session) -> None:
        super().__init__(message)
        self.existing = existing


class Logged(NamedTuple):
    session: Session
    warnings: tuple[str, ...]


def check_zones(zones: Sequence[str]) -> tuple[str, ...]:
    if isinstance(zones, str):
        zones = zones.split(",")
    if not all(isinstance(z, str) for z in zones):
        raise InvalidInput(f"Zones are names: {', '.join(ALL_ZONES)}.")
    out = tuple(dict.fromkeys(z.strip().lower() for z in zones if z.strip()))
    if not out:
        raise InvalidInput(f"Choose at least one zone: {', '.join(ALL_ZONES)}.")
    for z in out:
        if z not in ALL_ZONES:
            raise InvalidInput(f"Unknown zone {z!r}: choose from {', '.join(ALL_ZONES)}.")
    return out


def check_reaction(reaction: object) -> str:
    if not isinstance(reaction, str) or reaction not in REACTIONS:
        raise InvalidInput(f"The reaction is one of {', '.join(REACTIONS)}.")
    return reaction


def roller_on(rollers: Sequence[Roller], day: dt.date) -> Roller | None:
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


def rolled_zones(guide: Guide, rolled_by_step: Sequence[float]) -> tuple[str, ...]:
    """The zones with some rolling done, in the guide's order."""
    done = {step.zone for step, secs in zip(guide.rolling, rolled_by_step, strict=True) if secs > 0}
    return tuple(z for z in guide.zones if z in done)


class LogCases(Base):
    def log_from_reminder(self) -> Logged:
        """ "Done" pressed on a reminder (a desktop button, a link from ntfy or e-mail): log a
        session now, unless one was logged within DOUBLE_TAP (then it is the same session tapped
        twice, or on two devices: Conflict, nothing added)."""
        now = self.now()
        with self.store.transaction():
            last = self.store.last_session()
            if last is not None and now - last.start < DOUBLE_TAP:
                local = last.start.astimezone(self.zone())
                raise Conflict(f"Already logged: a session at {local:%H:%M}. Nothing was added.")
            return self._log(now, at=None)

    def log_session(
        self,
        *,
        at: dt.datetime | None = None,
        minutes: float | None = None,
        zones: Sequence[str] | None = None,
        reaction: str | None = None,
        note: str = "",
        roller_id: str | None = None,
        second_today: bool = False,
    ) -> Logged:
        """Log a session. A second session on a local day that already has one counts once:
        it is refused (Conflict) unless ``second_today`` says the person means it."""
        if not isinstance(second_today, bool):
            raise InvalidInput("second_today is true or false.")
        return self._log(
            self.now(),
            at=at,
            minutes=minutes,
            zones=zones,
            reaction=reaction,
            note=note,
            roller_id=roller_id,
            second_today=second_today,
        )

    def log_guided(
        self,
        *,
        started: dt.datetime,
        rolled_seconds: float,
        zones: Sequence[str],
        roller_id: str | None,
        reaction: str | None = None,
        note: str = "",
    ) -> Logged | None:
        """Log what a guided session rolled (None when nothing was): it began at ``started``
        and lasted the time really rolled, pauses excluded (the CLI and the web alike)."""
        if isinstance(rolled_seconds, bool) or not isinstance(rolled_seconds, int | float):
            raise InvalidInput("The time rolled must be a number of seconds.")
        if not rolled_seconds > 0 or not zones:
            return None
        minutes = min(120.0, max(0.01, round(rolled_seconds / 60, 2)))
        return self.log_session(
            at=started,
            minutes=minutes,
            zones=zones,
            roller_id=roller_id,
            reaction=reaction,
            note=note,
            # What was rolled is logged: the day's second session still counts once.
            second_today=True,
        )

    def _log(
        self,
        now: dt.datetime,
        *,
        at: dt.datetime | None,
        minutes: float | None = None,
        zones: Sequence[str] | None = None,
        reaction: str | None = None,
        note: str = "",
        roller_id: str | None = None,
        keep: Session | None = None,
        second_today: bool = True,
    ) -> Logged:
        plan = self.plan()
        at = now if at is None else limits.session_start(at, now)
        minutes = plan.minutes if minutes is None else minutes
        minutes = limits.SESSION_MINUTES.check(minutes, "session's minutes")
        if reaction is not None:
            check_reaction(reaction)
        if roller_id is not None and not isinstance(roller_id, str):
            raise InvalidInput("The roller is named by its id.")
        tz = ZoneInfo(plan.tz)
        session = Session(
            start=at.astimezone(dt.UTC).replace(second=0, microsecond=0),
            minutes=round(float(minutes), 2),
            zones=check_zones(zones) if zones else plan.zones,
            reaction=reaction,
            note=limits.NOTE.check(note, "note"),
            roller_id=roller_id,
            tz=plan.tz,  # where the person is now: the plan's zone, or the travel zone
            created_at=now,
        )
        if keep is not None:
            session = replace(session, id=keep.id, created_at=keep.created_at)
        day = session.start.astimezone(tz).date()
        warnings: list[str] = []
        with self.store.transaction():
            rollers = self.store.rollers()
            if roller_id is None:
                # The roller in use that day (a session logged late keeps the roller it had).
                used = roller_on(rollers, day)
                session = replace(session, roller_id=used.id if used else None)
            elif not any(r.id == roller_id for r in rollers):
                raise NotFound(f"No roller {roller_id!r}.")
            window = dt.timedelta(days=schedule.rest_days(plan) + 1)
            near = self.store.sessions(since=session.start - window, until=session.start + window)
            near = [s for s in near if keep is None or s.id != keep.id]
            if any(s.start == session.start for s in near):
                local = session.start.astimezone(tz)
                raise Conflict(f"A session at {says_at(local)} is already logged.")
            same_day = [s for s in near if s.local_start(plan.tz).date() == day]
            if same_day and not second_today:
                local = same_day[0].local_start(plan.tz)
                raise SecondToday(
                    f"A session on {says_at(local)} is already logged; a second one the same "
                    "day counts once. Nothing was added.",
                    same_day[0],
                )
            visits = self.store.visits()
            self.store.put_session(session)
            wear = (
                wear_of(self.store, session.roller_id, now.astimezone(tz).date(), tz)
                if session.roller_id
                else None
            )
        warnings.extend(_rest_and_blackout(plan, session, near, visits))
        if wear is not None and wear.replace_now:
            warnings.append(f"Time to replace your roller: {wear.reason}.")
        return Logged(session, tuple(warnings))

    def record_reaction(self, session_id: str, reaction: str, note: str = "") -> Session:
        """Add the skin reaction (and a note) to a logged session."""
        check_reaction(reaction)
        note = limits.NOTE.check(note, "note")
        with self.store.transaction():
            session = self.store.session(session_id)
            if session is None:
                raise NotFound(f"No session {session_id!r}.")
            session = replace(session, reaction=reaction, note=note or session.note)
            self.store.put_session(session)
        return session

    def skip(
        self, *, slot: dt.datetime | None = None, reason: str = "", catch_up: bool = False
    ) -> Skip:
        """Skip a slot on purpose (the reason is optional). A skip is a decision: the slot is
        caught up later in the period only when ``catch_up`` asks, and never before it."""
        reason = limits.REASON.check(reason, "reason")
        if not isinstance(catch_up, bool):
            raise InvalidInput("catch_up is true or false.")
        plan = self.plan()
        now = self.now()
        tz = ZoneInfo(plan.tz)
        if slot is not None:
            slot = limits.instant(slot, "slot to skip")
            if slot > now + limits.SKIP_AHEAD:
                raise InvalidInput("You can skip a slot at most a year ahead.")
        with self.store.transaction():
            if slot is None:
                upcoming = schedule.upcoming(plan, self.log_for(plan, now), now, 1)
                if not upcoming:
                    raise NotFound("There is no upcoming slot to skip.")
                slot = upcoming[0].start
            day = slot.astimezone(tz).date()
            start = dt.datetime.combine(day, dt.time(0), tz)
            if self.store.skips(since=start, until=start + dt.timedelta(days=1)):
                raise Conflict(f"The slot of {says_day(day)} is already skipped.")
            skip = Skip(
                slot=slot.astimezone(dt.UTC), reason=reason, catch_up=catch_up, created_at=now
            )
            self.store.put_skip(skip)
        return skip

    def session_today(self) -> Session | None:
        """The first session logged on today's local date (where the person is), or None: a
        second one that day counts once, so faces ask before starting another."""
        plan = self.plan()
        now = self.now().astimezone(ZoneInfo(plan.tz))
        midnight = dt.datetime.combine(now.date(), dt.time(0), now.tzinfo)
        near = self.store.sessions(since=midnight - dt.timedelta(days=1))
        today = [s for s in near if s.local_start(plan.tz).date() == now.date()]
        return today[0] if today else None

    def history(self, since: dt.datetime | None = None) -> list[Session]:
        since = None if since is None else limits.instant(since, "start of the history")
        return self.store.sessions(since=since)

    def skips(self, since: dt.datetime | None = None) -> list[Skip]:
        since = None if since is None else limits.instant(since, "start of the history")
        return self.store.skips(since=since)

    def delete_entry(self, ref: str) -> str:
        """Delete a session or a skip by (a prefix of) its id. Returns which it was."""
        return KIND_OF[type(self.delete(ref, kinds=("session", "skip")))]

    def delete(
        self, ref: str, kinds: Sequence[str] = ("session", "skip", "pause", "visit")
    ) -> Session | Skip | Pause | Visit:
        """Delete a session, skip, pause or visit (of ``kinds``) by (a prefix of) its id, and
        return it. ``undo`` brings it back."""
        if isinstance(kinds, str) or not set(kinds) <= set(DELETABLE):
            raise InvalidInput(f"What is deleted is one of {', '.join(DELETABLE)}.")
        with self.store.transaction():
            row = self._find_row(ref, kinds)
            assert not isinstance(row, Roller)
            delete_row(self.store, row)
            journal(self.store, self.now(), "delete", [(row, None)])
        return row

    def entry(self, ref: str, kind: str) -> Session | Skip | Pause | Visit | Roller:
        """The session, skip, pause, visit or roller (``kind``) whose id starts with ``ref``."""
        if kind not in KIND_OF.values():
            raise InvalidInput(f"The kind is one of {', '.join(KIND_OF.values())}.")
        return self._find_row(ref, (kind,))

    def kind_of(self, ref: str) -> str:
        """Whether (a prefix of) an id names a session, skip, pause, visit or roller."""
        return KIND_OF[type(self._find_row(ref, tuple(KIND_OF.values())))]

    def _find_row(self, ref: str, kinds: Sequence[str]) -> Session | Skip | Pause | Visit | Roller:
        rows: list[Session | Skip | Pause | Visit | Roller] = []
        for kind in kinds:
            rows.extend(rows_of(self.store, kind))
        what = kinds[0] if len(kinds) == 1 else "entry"
        rid = find(rows, ref, what)
        return next(r for r in rows if r.id == rid)

    def edit_session(
        self,
        ref: str,
        *,
        at: dt.datetime | None = None,
        minutes: float | None = None,
        zones: Sequence[str] | None = None,
        reaction: str | Keep | None = KEEP,
        note: str | Keep = KEEP,
        second_today: bool = True,
    ) -> Logged:
        """Change a logged session (by a prefix of its id): the same checks as logging it anew
        (a second session on a day counts once: refused unless ``second_today``), and it keeps
        its id (so export/import still knows it). One transaction: a refused change leaves the
        old session as it was. ``undo`` takes it back."""
        check_flag(second_today, "second_today")
        now = self.now()
        with self.store.transaction():
            sessions = self.store.sessions()
            wanted = find(sessions, ref, "session")  # NotFound (not StopIteration) when none
            old = next(s for s in sessions if s.id == wanted)
            logged = self._log(
                now,
                at=old.start if at is None else at,
                minutes=old.minutes if minutes is None else minutes,
                zones=old.zones if zones is None else zones,
                reaction=old.reaction if reaction is KEEP else reaction,
                note=old.note if note is KEEP else note,
                roller_id=old.roller_id,
                keep=old,
                second_today=second_today,
            )
            journal(self.store, now, "edit", [(old, logged.session)])
        return logged

    def edit_skip(
        self,
        ref: str,
        *,
        slot: dt.datetime | None = None,
        reason: str | Keep = KEEP,
        catch_up: bool | None = None,
    ) -> Skip:
        """Change a skip's slot, reason or catch-up (by a prefix of its id), with the same
        checks as skipping anew; it keeps its id. ``undo`` takes it back."""
        if catch_up is not None:
            check_flag(catch_up, "catch_up")
        with self.store.transaction():
            skips = self.store.skips()
            kid = find(skips, ref, "skip")
            old = next(k for k in skips if k.id == kid)
            self.store.delete_skip(kid)
            new = self.skip(
                slot=old.slot if slot is None else slot,
                reason=old.reason if reason is KEEP else reason,
                catch_up=old.catch_up if catch_up is None else catch_up,
            )
            self.store.delete_skip(new.id)
            skip = replace(new, id=old.id, created_at=old.created_at)
            self.store.put_skip(skip)
            journal(self.store, new.created_at, "edit", [(old, skip)])
        return skip

    def slot_history(self, since: dt.date | None = None) -> list[schedule.PastSlot]:
        """Every past slot (from ``since``, a day in the plan's zone) with its outcome: kept,
        partial, missed or skipped, judged as the figures judge them."""
        if since is not None and not isinstance(since, dt.date):
            raise InvalidInput("The start of the history is a date.")
        plan = self.plan()
        now = self.now()
        log = self.log_for(plan, now, full=True)
        return schedule.slot_history(plan, log, now, since, versions=self.store.plans())

    def partial_sessions(self, sessions: Sequence[Session]) -> set[str]:
        """Which of ``sessions`` were partial (their day's longest session under two thirds of
        the minutes planned then)."""
        plan = self.plan()
        today = self.now().astimezone(ZoneInfo(plan.tz)).date()
        return schedule.partial_sessions(plan, sessions, today, versions=self.store.plans())

    def stats(self) -> Progress:
        from rollminder import progress

        plan = self.plan()
        now = self.now()
        log = self.log_for(plan, now, full=True)
        return progress.compute(plan, log, now, versions=self.store.plans())


def _rest_and_blackout(
    plan: Plan, session: Session, near: Sequence[Session], visits: Sequence[Visit]
) -> list[str]:
    """Warnings for a session logged too close to another one or inside a clinic blackout."""
    tz = ZoneInfo(plan.tz)
    day = session.start.astimezone(tz).date()
    out = []
    clash = schedule.rest_conflict(plan, [s.start for s in near], session.start)
    if clash is not None:
        out.append(
            f"This was less than {rules.fmt_hours(plan.rest_hours)} from the session of "
            f"{says_at(clash.astimezone(tz))}: the plan asks for more rest."
        )
    for b in schedule.blackouts(plan, visits):
        if b.first <= day <= b.last:
            out.append(
                "This was within the no-home-rolling days around your clinic visit of "
                f"{says_day(b.visit.at.astimezone(tz).date())}; ask your clinician before "
                "rolling that close to a treatment."
            )
            break
    return out
