"""The schedule engine: which slots come next, and what happened to the past ones.

Pure: the plan, the log and ``now`` come in as arguments. Rules (docs/scheduling.md):

- A *period* is ``plan.every_weeks`` calendar weeks (Monday to Sunday in the plan's zone), counted
  from the Monday of the week the plan started. Its *quota* is the plan's sessions, less the
  preferred days that fall before the plan's start or inside a pause or a visit blackout (those are
  never missed and get no catch-up).
- Slots are always at the plan's local time. A wall time in a DST gap moves forward by the gap; an
  ambiguous wall time is its first occurrence.
- Rest is counted on the wall clock of the plan's zone: 48 h after Monday 21:00 is Wednesday 21:00
  even across a DST change (see :func:`rest_anchor` for the spring-forward day). A slot keeps the
  rest interval to every session and every other slot.
- Planned slots go on the preferred days first. When the period's quota is not met by sessions
  done plus planned slots still ahead (a slot was missed or skipped, or a preferred day is blocked
  by rest), catch-up slots fill the earliest later days of the same period that keep the rest
  interval on both sides, including to the next period's preferred days. If none fits, the slot
  stays missed.
- A slot is open (due) from its time until the end of its local day.
- The plan counts from the moment it began (its start day, or the moment it was made when that
  was on its start day): a slot already past then is "before the plan" (never due, never
  missed), and a session from before then does not count toward the plan's quota; it still
  counts for rest and toward the period's cap (never more than the plan's sessions in a period).
- Skips count only where they stand for a slot: a day inside the plan, not paused or blacked
  out, with no session logged. Others are kept but change no figure.
- :func:`tally` can judge each period by the plan version in force then (``versions``).
- A *hold* (a retinoid, peel, Botox or fillers: ``log.holds``) blocks every slot whose start
  falls inside it; the period's quota stays, so a catch-up follows the hold where rest and the
  period allow. For the figures, a preferred day whose slot falls inside a hold is neither due
  nor missed (like a pause day): stopping for a safety reason is not a miss.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from rollminder.model import Log, Plan, Visit
from rollminder.state import (
    CATCH_UP,
    PLANNED,
    BlackedOut,
    Blackout,
    Due,
    Held,
    Paused,
    Resting,
    Slot,
    State,
    Unschedulable,
    Waiting,
)
from rollminder.walltime import from_wall, local_slot, monday, rest_anchor, wall

__all__ = [
    "CATCH_UP",
    "PLANNED",
    "Blackout",
    "Slot",
    "State",
    "from_wall",
    "local_slot",
    "monday",
    "rest_anchor",
    "wall",
]

#: How far ahead :func:`upcoming` looks before giving up (a pause of years, say).
HORIZON_WEEKS = 5 * 53


class PeriodTally(NamedTuple):
    """What a period planned and what came of it (see :func:`tally`)."""

    first: dt.date
    last: dt.date
    quota: int  # sessions the plan asks for in the whole period (after pauses, blackouts, start)
    due: int  # the part of the quota whose days have passed (== quota once the period is over)
    # sessions logged in the period from the plan's beginning up to today (may exceed the quota)
    done: int
    skipped: int  # skips counted against what was due
    missed: int  # due - kept - skipped
    complete: bool  # the period is over
    per_4_weeks: float = 0.0  # slots the plan in force asks for in 4 weeks (0: unknown)

    @property
    def kept(self) -> int:
        return min(self.done, self.quota)


def usable_weekdays(plan: Plan, log: Log, first: dt.date, last: dt.date) -> list[bool]:
    """For each of the plan's weekdays: whether any of its days from ``first`` to ``last`` could
    hold a slot (not before the plan, paused, blacked out or held). The calendar feed uses it to
    give each slot of a period its ordinal, by the same day rules as the schedule."""
    cal = _Calendar(plan, log)
    days = cal.preferred(first, last)
    return [
        any(d.weekday() == wd and cal.unavailable(d) is None for d in days) for wd in plan.weekdays
    ]


def period_first(plan: Plan, day: dt.date) -> dt.date:
    """The first day (a Monday) of the period holding ``day``."""
    anchor = monday(plan.start)
    weeks = (monday(day) - anchor).days // 7
    return anchor + dt.timedelta(weeks=(weeks // plan.every_weeks) * plan.every_weeks)


def blackouts(plan: Plan, visits: Iterable[Visit]) -> list[Blackout]:
    tz = ZoneInfo(plan.tz)
    out = []
    for visit in visits:
        day = visit.at.astimezone(tz).date()
        out.append(
            Blackout(
                first=day - dt.timedelta(days=plan.blackout_before_days),
                last=day + dt.timedelta(days=plan.blackout_after_days),
                visit=visit,
            )
        )
    return sorted(out, key=lambda b: (b.first, b.last))


# ----------------------------------------------------------------------------- the engine


class _LogDays:
    """The log's days in one zone: computed once and shared by the calendars of a plan's
    versions (stats over 10 years and many plan changes would otherwise redo it per version)."""

    def __init__(self, log: Log, tz: ZoneInfo) -> None:
        self.tz = tz
        self.log = log
        self.starts = sorted(s.start for s in log.sessions)
        self.dates = [s.astimezone(tz).date() for s in self.starts]  # sorted too
        self.session_days = frozenset(self.dates)
        self.skip_days: dict[dt.date, int] = {}
        for k in log.skips:
            d = k.slot.astimezone(tz).date()
            self.skip_days[d] = self.skip_days.get(d, 0) + 1
        self.skip_dates = sorted(self.skip_days)


class _Calendar:
    """Day-level facts for one plan and log, computed once per call."""

    def __init__(self, plan: Plan, log: Log, days: _LogDays | None = None) -> None:
        self.plan = plan
        self.tz = ZoneInfo(plan.tz)
        self.rest = dt.timedelta(hours=plan.rest_hours)
        self.pauses = log.pauses
        self.blackouts = blackouts(plan, log.visits)
        self.holds = log.holds
        # The plan counts from its start day, or, when it was made on that day, from that moment.
        begins = dt.datetime.combine(plan.start, dt.time(0), self.tz)
        if plan.created_at.astimezone(self.tz).date() == plan.start:
            begins = max(begins, plan.created_at.astimezone(self.tz))
        self.begins = begins
        self.start_slot_before_plan = local_slot(plan.start, plan.time, self.tz) < begins
        if days is None or days.tz != self.tz or days.log is not log:
            days = _LogDays(log, self.tz)
        self.days = days
        self.session_days = days.session_days
        self.skip_days = days.skip_days
        self.skip_dates = days.skip_dates
        # Sorted day lists, so counting a period's sessions is two bisections (10 years of
        # history: stats would otherwise rescan every session for every week).
        self.session_dates = days.dates
        # Sessions from the moment the plan began: the ones that count toward its quotas.
        self.counted_dates = days.dates[bisect_left(days.starts, begins) :]

    @cached_property
    def session_walls(self) -> list[dt.datetime]:
        """Every session's rest anchor, sorted (only the planner and the state need them)."""
        return sorted(rest_anchor(s, self.tz, self.plan.time) for s in self.days.starts)

    def unavailable(self, day: dt.date) -> str | None:
        """Why no session may be planned on ``day``, or None."""
        if day < self.plan.start or (day == self.plan.start and self.start_slot_before_plan):
            return "before the plan"
        for p in self.pauses:
            if p.covers(day):
                return "paused"
        for b in self.blackouts:
            if b.first <= day <= b.last:
                return "blackout"
        return None

    def held(self, day: dt.date) -> bool:
        """Whether the slot of ``day`` (at the plan's time) falls inside a hold."""
        if not self.holds:
            return False
        start = local_slot(day, self.plan.time, self.tz)
        return any(h.covers(start) for h in self.holds)

    def counts(self, day: dt.date) -> bool:
        """Whether a preferred ``day`` counts toward the figures (tally): inside the plan, not
        paused, blacked out or held."""
        return self.unavailable(day) is None and not self.held(day)

    def slot_wall(self, day: dt.date) -> dt.datetime:
        return rest_anchor(local_slot(day, self.plan.time, self.tz), self.tz, self.plan.time)

    def preferred(self, first: dt.date, last: dt.date) -> list[dt.date]:
        days = []
        d = first
        while d <= last:
            if d.weekday() in self.plan.weekdays:
                days.append(d)
            d += dt.timedelta(days=1)
        return days

    def period(self, day: dt.date) -> tuple[dt.date, dt.date]:
        first = period_first(self.plan, day)
        return first, first + dt.timedelta(weeks=self.plan.every_weeks, days=-1)

    def quota(self, first: dt.date, last: dt.date, *, judging: bool = False) -> int:
        """The sessions the plan asks for in a period: one per available preferred day, at most
        the plan's sessions less those logged in the period before the plan began (they were
        not the plan's, but the period's cap counts them). When ``judging`` (the figures), a
        held day is not available either; when planning it is (a catch-up follows the hold)."""
        if judging:
            available = [d for d in self.preferred(first, last) if self.counts(d)]
        else:
            available = [d for d in self.preferred(first, last) if self.unavailable(d) is None]
        before = self.done_in(first, last) - self.counted_in(first, last)
        return max(0, min(self.plan.sessions - before, len(available)))

    def done_in(self, first: dt.date, last: dt.date) -> int:
        """Every session logged in the period."""
        return bisect_right(self.session_dates, last) - bisect_left(self.session_dates, first)

    def counted_in(self, first: dt.date, last: dt.date) -> int:
        """The sessions of the period that count toward its quota (from the plan's beginning)."""
        return bisect_right(self.counted_dates, last) - bisect_left(self.counted_dates, first)

    def skipped_in(self, first: dt.date, last: dt.date) -> int:
        """Days with a skip that stood for a slot: inside the plan, not paused or blacked out,
        and with no session logged (a skip there is void and must not hide a missed slot)."""
        lo, hi = bisect_left(self.skip_dates, first), bisect_right(self.skip_dates, last)
        return sum(
            1 for d in self.skip_dates[lo:hi] if d not in self.session_days and self.counts(d)
        )

    def fits(self, candidate: dt.datetime, others: Iterable[dt.datetime]) -> bool:
        return all(abs(candidate - o) >= self.rest for o in others)

    def near_sessions(self, candidate: dt.datetime) -> list[dt.datetime]:
        # Sessions within the rest interval on either side are the only ones that can conflict.
        walls = self.session_walls
        lo = bisect_right(walls, candidate - self.rest)
        hi = bisect_left(walls, candidate + self.rest)
        return walls[lo:hi]


def _plan_period(
    cal: _Calendar, first: dt.date, last: dt.date, today: dt.date, placed: list[dt.datetime]
) -> list[tuple[dt.datetime, str]]:
    """The slots of one period from ``today`` on, given the slots already placed before it."""
    remaining = cal.quota(first, last) - cal.counted_in(first, last)
    if remaining <= 0:
        return []
    start = max(first, today)

    def open_day(d: dt.date) -> bool:
        return (
            cal.unavailable(d) is None
            and d not in cal.session_days
            and d not in cal.skip_days
            and not cal.held(d)
        )

    # Pass 1: the preferred days, in order.
    chosen: list[tuple[dt.datetime, str]] = []
    for d in cal.preferred(start, last):
        if len(chosen) == remaining:
            break
        if not open_day(d):
            continue
        w = cal.slot_wall(d)
        if cal.fits(w, cal.near_sessions(w)) and cal.fits(w, placed[-3:] + [c for c, _ in chosen]):
            chosen.append((w, PLANNED))
    deficit = remaining - len(chosen)
    if deficit <= 0:
        return chosen

    # Pass 2: catch-ups on the earliest later days that keep rest on both sides, including to
    # the preferred days of the following period (planned slots take precedence).
    nxt_first = last + dt.timedelta(days=1)
    nxt_last = nxt_first + dt.timedelta(weeks=cal.plan.every_weeks, days=-1)
    ahead = [cal.slot_wall(d) for d in cal.preferred(nxt_first, nxt_last) if open_day(d)]
    planned_days = {c.date() for c, _ in chosen}
    d = start
    while d <= last and deficit > 0:
        if open_day(d) and d not in planned_days:
            w = cal.slot_wall(d)
            neighbours = placed[-3:] + [c for c, _ in chosen] + ahead
            if cal.fits(w, cal.near_sessions(w)) and cal.fits(w, neighbours):
                chosen.append((w, CATCH_UP))
                deficit -= 1
        d += dt.timedelta(days=1)
    return sorted(chosen)


def upcoming(plan: Plan, log: Log, now: dt.datetime, count: int = 3) -> list[Slot]:
    """The next ``count`` slots from ``now``: a slot of today still open comes first, marked due."""
    cal = _Calendar(plan, log)
    now_local = now.astimezone(cal.tz)
    today = now_local.date()
    slots: list[Slot] = []
    placed: list[dt.datetime] = []
    first, last = cal.period(today)
    horizon = today + dt.timedelta(weeks=HORIZON_WEEKS)
    while len(slots) < count and first <= horizon:
        for w, kind in _plan_period(cal, first, last, today, placed):
            placed.append(w)
            start = local_slot(w.date(), plan.time, cal.tz)
            slots.append(Slot(start=start, kind=kind, due=start <= now_local))
            if len(slots) == count:
                break
        first = last + dt.timedelta(days=1)
        last = first + dt.timedelta(weeks=plan.every_weeks, days=-1)
    return slots


def _run_end(spans: Iterable[tuple[dt.date, dt.date]], day: dt.date) -> dt.date | None:
    """The last day of the run of overlapping or adjacent spans that holds ``day``, or None."""
    end = None
    for first, last in sorted(spans):
        if end is None:
            if first <= day <= last:
                end = last
        elif first <= end + dt.timedelta(days=1):
            end = max(end, last)
        elif first > end:
            break
    return end


def status(plan: Plan, log: Log, now: dt.datetime) -> State:
    """What the person should know right now (:mod:`rollminder.state`)."""
    cal = _Calendar(plan, log)
    today = now.astimezone(cal.tz).date()
    nxt = upcoming(plan, log, now, count=1)
    slot = nxt[0] if nxt else None
    if slot is not None and slot.due:
        return Due(slot)
    # "until" is the end of the whole run: pauses (or blackouts) that overlap or follow each
    # other without a free day between them read as one.
    paused_until = _run_end(((p.first, p.last) for p in cal.pauses), today)
    if paused_until is not None:
        p = next(p for p in cal.pauses if p.covers(today))
        return Paused(p, local_slot(paused_until + dt.timedelta(days=1), dt.time(0), cal.tz), slot)
    blocked_until = _run_end(((b.first, b.last) for b in cal.blackouts), today)
    if blocked_until is not None:
        b = next(b for b in cal.blackouts if b.first <= today <= b.last)
        until = local_slot(blocked_until + dt.timedelta(days=1), dt.time(0), cal.tz)
        return BlackedOut(b.visit, until, slot)
    holding = [h for h in cal.holds if h.covers(now)]
    if holding:
        # Holds that overlap read as one: "until" is when rolling is allowed again.
        until = max(h.until for h in holding)
        for h in sorted(cal.holds, key=lambda h: h.since):
            if h.since <= until < h.until:
                until = h.until
        first = max(holding, key=lambda h: h.until)
        return Held(first, until.astimezone(cal.tz), slot)
    now_anchor = rest_anchor(now, cal.tz, plan.time)
    last = [w for w in cal.session_walls if w <= now_anchor]
    if last and last[-1] + cal.rest > now_anchor:
        return Resting(from_wall(last[-1] + cal.rest, cal.tz), slot)
    if slot is None:
        return Unschedulable()
    return Waiting(slot)


def _segments(plan: Plan, versions: Sequence[Plan], today: dt.date) -> list[tuple[dt.date, Plan]]:
    """Which plan governs which days: ``(first day, plan)`` in order, ``plan`` (the current one)
    last. A version governs from the first day of the period (on its own calendar) in which it
    was made, so a change mid-period applies to that whole period, as :func:`upcoming` does."""
    history = [v for v in versions if v.id != plan.id and v.created_at <= plan.created_at]
    history.sort(key=lambda v: v.created_at)
    segments: list[tuple[dt.date, Plan]] = []
    for v in [*history, plan]:
        made = min(v.created_at.astimezone(ZoneInfo(v.tz)).date(), today)
        first = period_first(v, made) if segments else dt.date.min
        while segments and segments[-1][0] >= first:
            segments.pop()
        segments.append((first, v))
    return segments


def tally(
    plan: Plan,
    log: Log,
    now: dt.datetime,
    since: dt.date | None = None,
    versions: Sequence[Plan] = (),
) -> list[PeriodTally]:
    """Every period from the plan's start (or ``since``) through the one holding ``now``.

    ``versions`` are the earlier versions of the plan (any order; ``plan`` itself and versions
    made after it are ignored). Each period is then judged by the version in force: a version
    governs from the period in which it was made (on its own calendar), as :func:`upcoming`
    plans it; that period is judged by the new or the previous version, whichever finds fewer
    missed slots (then more kept ones): a change never turns what was done into a miss. A period
    cut short by a change of period length is judged on its own days. Without ``versions``,
    ``plan`` judges every period.

    For the current period only the elapsed part counts toward ``missed``: the preferred days
    before today (today's slot is still open). Sessions logged after today are not counted yet.
    """
    today = now.astimezone(ZoneInfo(plan.tz)).date()
    segments = _segments(plan, versions, today)
    out: list[PeriodTally] = []
    previous: _Calendar | None = None
    shared: _LogDays | None = None
    for i, (seg_first, version) in enumerate(segments):
        seg_last = segments[i + 1][0] - dt.timedelta(days=1) if i + 1 < len(segments) else None
        cal = _Calendar(version, log, shared)
        shared = cal.days
        v_today = now.astimezone(cal.tz).date()
        begin = max(version.start, since) if since else version.start
        first, last = cal.period(max(begin, seg_first))
        first = max(first, seg_first)
        while first <= v_today and (seg_last is None or first <= seg_last):
            cut = last if seg_last is None else min(last, seg_last)
            period = _tally_period(cal, first, cut, v_today)
            if previous is not None and first == seg_first and _same_periods(previous, cal, first):
                # The period in which the plan changed: the kinder of the two judgements.
                before = _tally_period(previous, first, cut, v_today)
                if (before.missed, -before.kept) < (period.missed, -period.kept):
                    period = before
            out.append(period)
            first = last + dt.timedelta(days=1)
            last = first + dt.timedelta(weeks=version.every_weeks, days=-1)
        previous = cal
    return out


def _same_periods(a: _Calendar, b: _Calendar, first: dt.date) -> bool:
    """Whether two plan versions share the period that begins on ``first``."""
    return a.plan.every_weeks == b.plan.every_weeks and period_first(a.plan, first) == first


def _tally_period(cal: _Calendar, first: dt.date, last: dt.date, today: dt.date) -> PeriodTally:
    quota = cal.quota(first, last, judging=True)
    complete = last < today
    if complete:
        due = quota
    else:
        elapsed = cal.preferred(first, today - dt.timedelta(days=1))
        due = min(quota, len([d for d in elapsed if cal.counts(d)]))
    done = cal.counted_in(first, min(last, today))
    kept_due = min(done, due)
    skipped = min(cal.skipped_in(first, min(last, today)), due - kept_due)
    return PeriodTally(
        first=first,
        last=last,
        quota=quota,
        due=due,
        done=done,
        skipped=skipped,
        missed=due - kept_due - skipped,
        complete=complete,
        per_4_weeks=4 * cal.plan.sessions / cal.plan.every_weeks,
    )


def rest_conflict(
    plan: Plan, sessions: Sequence[dt.datetime], at: dt.datetime
) -> dt.datetime | None:
    """The nearest session (aware) that ``at`` comes too soon after or before, if any."""
    tz = ZoneInfo(plan.tz)
    rest = dt.timedelta(hours=plan.rest_hours)
    w = rest_anchor(at, tz, plan.time)
    gaps = [(abs(rest_anchor(s, tz, plan.time) - w), s) for s in sessions if s != at]
    near = [(gap, s) for gap, s in gaps if gap < rest]
    return min(near)[1] if near else None
