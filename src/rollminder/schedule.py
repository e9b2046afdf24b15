"""The schedule engine: which slots come next, and what happened to the past ones.

Pure: the plan, the log and ``now`` come in as arguments. Rules (docs/scheduling.md):

- A *period* is ``plan.every_weeks`` calendar weeks (Monday to Sunday in the plan's zone), counted
  from the Monday of the week the plan started. Its *quota* is the plan's sessions, less the
  preferred days that fall before the plan's start or inside a pause or a visit blackout (those are
  never missed and get no catch-up).
- Slots are always at the plan's local time. A wall time in a DST gap moves forward by the gap; an
  ambiguous wall time is its first occurrence.
- Rest counts in local calendar days (:func:`rest_days`: the plan's ``rest_hours`` rounded up to
  whole days): a session any time on day D allows the slots of day D + rest days and later, at any
  time of that day. A slot keeps the rest to every session and every other slot.
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
- A skip is a decision: its slot is not caught up unless the skip asks for a catch-up
  (``Skip.catch_up``), and a catch-up never lands on or before the skipped day.
- What counts: a day's session lasting at least two thirds of the planned minutes keeps its slot;
  a shorter one is *partial* (neither kept nor missed). Sessions count once per local day, on any
  day of the period.
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
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

from rollminder.model import Log, Plan, Session
from rollminder.slotdays import (
    KEPT_SHARE,
    DayCalendar,
    LogDays,
    blackouts,
    period_first,
    rest_days,
    utc,
)
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

KEPT, PARTIAL, MISSED, SKIPPED = "kept", "partial", "missed", "skipped"

__all__ = [
    "CATCH_UP",
    "KEPT",
    "KEPT_SHARE",
    "MISSED",
    "PARTIAL",
    "PLANNED",
    "SKIPPED",
    "Blackout",
    "Slot",
    "State",
    "blackouts",
    "from_wall",
    "local_slot",
    "monday",
    "period_first",
    "rest_anchor",
    "rest_days",
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
    missed: int  # due - kept - partial - skipped
    complete: bool  # the period is over
    per_4_weeks: float = 0.0  # slots the plan in force asks for in 4 weeks (0: unknown)
    partial: int = 0  # days with only a short session, counted against what was due

    # ``done`` counts the days with a session of at least two thirds of the planned minutes (one
    # per local day, any day of the period); partial days are apart.

    @property
    def kept(self) -> int:
        return min(self.done, self.quota)


class PastSlot(NamedTuple):
    """A past slot and what came of it (see :func:`slot_history`)."""

    day: dt.date
    at: dt.datetime  # the session's start, or the slot's (aware, in the plan's zone)
    outcome: str  # KEPT, PARTIAL, MISSED or SKIPPED
    ref: str | None = None  # the session's or the skip's id


def usable_weekdays(plan: Plan, log: Log, first: dt.date, last: dt.date) -> list[bool]:
    """For each of the plan's weekdays: whether any of its days from ``first`` to ``last`` could
    hold a slot (not before the plan, paused, blacked out or held). The calendar feed uses it to
    give each slot of a period its ordinal, by the same day rules as the schedule."""
    cal = DayCalendar(plan, log)
    days = cal.preferred(first, last)
    return [
        any(d.weekday() == wd and cal.unavailable(d) is None for d in days) for wd in plan.weekdays
    ]


# ----------------------------------------------------------------------------- the engine


def _plan_period(
    cal: DayCalendar, first: dt.date, last: dt.date, today: dt.date, placed: list[dt.date]
) -> list[tuple[dt.date, str]]:
    """The slots of one period from ``today`` on, given the slots already placed before it."""
    skips = cal.slot_skips(first, last)
    asked = [d for d in skips if d in cal.days.catch_up_days]
    # A skip without a catch-up stands for its slot: the period asks for one session less.
    remaining = cal.quota(first, last) - cal.counted_in(first, last) - (len(skips) - len(asked))
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
    chosen: list[tuple[dt.date, str]] = []
    for d in cal.preferred(start, last):
        if len(chosen) == remaining:
            break
        if not open_day(d):
            continue
        if cal.fits(d, cal.near_sessions(d)) and cal.fits(d, placed[-3:] + [c for c, _ in chosen]):
            chosen.append((d, PLANNED))
    deficit = remaining - len(chosen)
    if deficit <= 0:
        return chosen

    # Pass 2: catch-ups on the earliest later days that keep rest on both sides, including to
    # the preferred days of the following period (planned slots take precedence). A catch-up
    # asked for by a skip comes after the skipped day, never before it.
    wanted = min(deficit, len(asked))
    bounds = sorted(
        [start] * (deficit - wanted) + [d + dt.timedelta(days=1) for d in asked[-wanted:] if wanted]
    )
    nxt_first = last + dt.timedelta(days=1)
    nxt_last = nxt_first + dt.timedelta(weeks=cal.plan.every_weeks, days=-1)
    ahead = [d for d in cal.preferred(nxt_first, nxt_last) if open_day(d)]
    planned_days = {c for c, _ in chosen}
    d = start
    while d <= last and bounds:
        if bounds[0] <= d and open_day(d) and d not in planned_days:
            neighbours = placed[-3:] + [c for c, _ in chosen] + ahead
            if cal.fits(d, cal.near_sessions(d)) and cal.fits(d, neighbours):
                chosen.append((d, CATCH_UP))
                bounds.pop(0)
        d += dt.timedelta(days=1)
    return sorted(chosen)


def upcoming(plan: Plan, log: Log, now: dt.datetime, count: int = 3) -> list[Slot]:
    """The next ``count`` slots from ``now``: a slot of today still open comes first, marked due
    (from its first instant on: a slot in the repeated hour of a fall-back night stays due)."""
    cal = DayCalendar(plan, log)
    today = now.astimezone(cal.tz).date()
    slots: list[Slot] = []
    placed: list[dt.date] = []
    first, last = cal.period(today)
    horizon = today + dt.timedelta(weeks=HORIZON_WEEKS)
    while len(slots) < count and first <= horizon:
        for day, kind in _plan_period(cal, first, last, today, placed):
            placed.append(day)
            start = local_slot(day, plan.time, cal.tz)
            slots.append(Slot(start=start, kind=kind, due=utc(start) <= utc(now)))
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
    cal = DayCalendar(plan, log)
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
    # Rest counts in local days: after a session on day D, rolling is allowed from D + rest.
    done = cal.session_dates[: bisect_right(cal.session_dates, today)]
    if done and done[-1] + dt.timedelta(days=cal.rest) > today:
        resume = done[-1] + dt.timedelta(days=cal.rest)
        return Resting(local_slot(resume, dt.time(0), cal.tz), slot)
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
    return [period for _, period, _ in _judged(plan, log, now, since, versions)]


def _judged(
    plan: Plan, log: Log, now: dt.datetime, since: dt.date | None, versions: Sequence[Plan]
) -> Iterator[tuple[DayCalendar, PeriodTally, dt.date]]:
    """Each period with the calendar that judged it and that calendar's today (see tally)."""
    today = now.astimezone(ZoneInfo(plan.tz)).date()
    segments = _segments(plan, versions, today)
    previous: DayCalendar | None = None
    shared: LogDays | None = None
    for i, (seg_first, version) in enumerate(segments):
        seg_last = segments[i + 1][0] - dt.timedelta(days=1) if i + 1 < len(segments) else None
        cal = DayCalendar(version, log, shared)
        shared = cal.days
        v_today = now.astimezone(cal.tz).date()
        begin = max(version.start, since) if since else version.start
        first, last = cal.period(max(begin, seg_first))
        first = max(first, seg_first)
        while first <= v_today and (seg_last is None or first <= seg_last):
            cut = last if seg_last is None else min(last, seg_last)
            period = _tally_period(cal, first, cut, v_today)
            judge = cal
            if previous is not None and first == seg_first and _same_periods(previous, cal, first):
                # The period in which the plan changed: the kinder of the two judgements.
                before = _tally_period(previous, first, cut, v_today)
                if (before.missed, -before.kept) < (period.missed, -period.kept):
                    period, judge = before, previous
            yield judge, period, v_today
            first = last + dt.timedelta(days=1)
            last = first + dt.timedelta(weeks=version.every_weeks, days=-1)
        previous = cal


def _same_periods(a: DayCalendar, b: DayCalendar, first: dt.date) -> bool:
    """Whether two plan versions share the period that begins on ``first``."""
    return a.plan.every_weeks == b.plan.every_weeks and period_first(a.plan, first) == first


def _tally_period(cal: DayCalendar, first: dt.date, last: dt.date, today: dt.date) -> PeriodTally:
    quota = cal.quota(first, last, judging=True)
    complete = last < today
    if complete:
        due = quota
    else:
        elapsed = cal.preferred(first, today - dt.timedelta(days=1))
        due = min(quota, len([d for d in elapsed if cal.counts(d)]))
    end = min(last, today)
    done = cal.full_in(first, end)
    kept_due = min(done, due)
    partial = min(cal.counted_in(first, end) - done, due - kept_due)
    skipped = min(cal.skipped_in(first, end), due - kept_due - partial)
    return PeriodTally(
        first=first,
        last=last,
        quota=quota,
        due=due,
        done=done,
        skipped=skipped,
        missed=due - kept_due - partial - skipped,
        complete=complete,
        per_4_weeks=4 * cal.plan.sessions / cal.plan.every_weeks,
        partial=partial,
    )


def _period_slots(cal: DayCalendar, p: PeriodTally, today: dt.date) -> list[PastSlot]:
    """What came of each past slot of a judged period: a day with a session (kept or partial),
    a skipped slot, and the missed ones (the last preferred days left without either)."""
    end = min(p.last, today)
    tz = cal.tz
    full = set(cal.full_dates)
    out = []
    for d in cal.counted_dates[bisect_left(cal.counted_dates, p.first) :]:
        if d > end:
            break
        s = cal.days.first_session[d]
        out.append(PastSlot(d, s.local_start(cal.plan.tz), KEPT if d in full else PARTIAL, s.id))
    skip_ids = {k.slot.astimezone(tz).date(): k.id for k in cal.days.log.skips}
    for d in cal.slot_skips(p.first, end):
        out.append(PastSlot(d, local_slot(d, cal.plan.time, tz), SKIPPED, skip_ids.get(d)))
    if p.missed:
        open_days = [
            d
            for d in cal.preferred(p.first, min(p.last, today - dt.timedelta(days=1)))
            if cal.counts(d) and d not in cal.session_days and d not in cal.skip_days
        ]
        for d in open_days[-p.missed :]:
            out.append(PastSlot(d, local_slot(d, cal.plan.time, tz), MISSED))
    return out


def slot_history(
    plan: Plan,
    log: Log,
    now: dt.datetime,
    since: dt.date | None = None,
    versions: Sequence[Plan] = (),
) -> list[PastSlot]:
    """Every past slot from the plan's start (or ``since``) with its outcome, in time order,
    judged as :func:`tally` judges them (the figures and this list agree)."""
    out: list[PastSlot] = []
    for cal, period, today in _judged(plan, log, now, since, versions):
        out.extend(x for x in _period_slots(cal, period, today) if since is None or x.day >= since)
    return sorted(out, key=lambda x: (utc(x.at), x.outcome))


def partial_sessions(
    plan: Plan, sessions: Sequence[Session], today: dt.date, versions: Sequence[Plan] = ()
) -> set[str]:
    """The ids of the sessions on local days whose longest session lasted less than two thirds
    of the minutes of the plan in force that day (partial: neither kept nor missed). Cheap: no
    slot is planned, so ``history`` can mark them for ten years of log."""
    segments = _segments(plan, versions, today)
    starts = [first for first, _ in segments]
    by_day: dict[dt.date, list[Session]] = {}
    for s in sessions:
        by_day.setdefault(s.local_start(plan.tz).date(), []).append(s)
    out: set[str] = set()
    for day, found in by_day.items():
        version = segments[max(0, bisect_right(starts, day) - 1)][1]
        if max(s.minutes for s in found) < KEPT_SHARE * version.minutes:
            out.update(s.id for s in found)
    return out


def rest_conflict(
    plan: Plan, sessions: Sequence[dt.datetime], at: dt.datetime
) -> dt.datetime | None:
    """The nearest session (aware) whose local day is fewer than the rest days from the day of
    ``at``, if any."""
    tz = ZoneInfo(plan.tz)
    rest = rest_days(plan)
    day = at.astimezone(tz).date()
    near = [
        (abs(s - at), s)
        for s in sessions
        if s != at and abs((s.astimezone(tz).date() - day).days) < rest
    ]
    return min(near)[1] if near else None
