"""Day-level facts of a plan and its log, for the schedule engine (:mod:`rollminder.schedule`):
which days hold a session, a skip, a pause, a blackout or a hold; rest in whole local days. Pure.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from functools import cached_property
from zoneinfo import ZoneInfo

from rollminder.model import Log, Plan, Session, Visit
from rollminder.state import Blackout
from rollminder.walltime import local_slot, monday

#: A session keeps its slot when it lasted at least this share of the planned minutes.
KEPT_SHARE = 2 / 3


def rest_days(plan: Plan) -> int:
    """The plan's rest in whole local days: ``rest_hours`` rounded up (48 h: 2 days)."""
    return max(0, -(-plan.rest_hours // 24))


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


class LogDays:
    """The log's days in one zone: computed once and shared by the calendars of a plan's
    versions (stats over 10 years and many plan changes would otherwise redo it per version)."""

    def __init__(self, log: Log, tz: ZoneInfo) -> None:
        self.tz = tz
        self.log = log
        ordered = sorted(log.sessions, key=lambda s: s.start)
        self.starts = [s.start for s in ordered]
        # Each session's day where it was done (DOMAIN.md: travelling never relabels history),
        # so a change of zone never moves a session to another day or counts it twice.
        name = getattr(tz, "key", "")
        self.dates = [
            (s.start.astimezone(tz) if not s.tz or s.tz == name else s.local_start(name)).date()
            for s in ordered
        ]
        self.session_days = frozenset(self.dates)
        # The longest session of each day (a day keeps its slot by its best session).
        self.longest: dict[dt.date, float] = {}
        self.first_session: dict[dt.date, Session] = {}
        for d, s in zip(self.dates, ordered, strict=True):
            self.longest[d] = max(self.longest.get(d, 0.0), s.minutes)
            self.first_session.setdefault(d, s)
        self.skip_days: dict[dt.date, int] = {}
        self.catch_up_days: set[dt.date] = set()
        for k in log.skips:
            d = k.slot.astimezone(tz).date()
            self.skip_days[d] = self.skip_days.get(d, 0) + 1
            if k.catch_up:
                self.catch_up_days.add(d)
        self.skip_dates = sorted(self.skip_days)


def _distinct(days: Sequence[dt.date]) -> list[dt.date]:
    return sorted(set(days))


def _count(days: Sequence[dt.date], first: dt.date, last: dt.date) -> int:
    return bisect_right(days, last) - bisect_left(days, first)


class DayCalendar:
    """Day-level facts for one plan and log, computed once per call."""

    def __init__(self, plan: Plan, log: Log, days: LogDays | None = None) -> None:
        self.plan = plan
        self.tz = ZoneInfo(plan.tz)
        self.rest = rest_days(plan)
        self.pauses = log.pauses
        self.blackouts = blackouts(plan, log.visits)
        self.holds = log.holds
        # The plan counts from its start day, or, when it was made on that day, from that moment.
        begins = dt.datetime.combine(plan.start, dt.time(0), self.tz)
        if plan.created_at.astimezone(self.tz).date() == plan.start:
            begins = max(begins, plan.created_at.astimezone(self.tz), key=utc)
        self.begins = begins
        self.start_slot_before_plan = utc(local_slot(plan.start, plan.time, self.tz)) < utc(begins)
        if days is None or days.tz != self.tz or days.log is not log:
            days = LogDays(log, self.tz)
        self.days = days
        self.session_days = days.session_days
        self.skip_days = days.skip_days
        self.skip_dates = days.skip_dates
        # Sorted lists of distinct days, so counting a period's sessions is two bisections (10
        # years of history: stats would otherwise rescan every session for every week).
        self.session_dates = _distinct(days.dates)
        # Days with a session from the moment the plan began: the ones that count toward quotas.
        self.counted_dates = _distinct(days.dates[bisect_left(days.starts, begins) :])

    @cached_property
    def full_dates(self) -> list[dt.date]:
        """The counted days whose longest session lasted at least two thirds of the plan's
        minutes (the others are partial)."""
        least = self.plan.minutes * KEPT_SHARE - 1e-9
        return [d for d in self.counted_dates if self.days.longest[d] >= least]

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
        the plan's sessions less the days with a session in the period before the plan began
        (they were not the plan's, but the period's cap counts them). When ``judging`` (the
        figures), a held day is not available either; when planning it is (a catch-up follows
        the hold)."""
        if judging:
            available = [d for d in self.preferred(first, last) if self.counts(d)]
        else:
            available = [d for d in self.preferred(first, last) if self.unavailable(d) is None]
        before = self.done_in(first, last) - self.counted_in(first, last)
        return max(0, min(self.plan.sessions - before, len(available)))

    def done_in(self, first: dt.date, last: dt.date) -> int:
        """The days with a session logged in the period."""
        return _count(self.session_dates, first, last)

    def counted_in(self, first: dt.date, last: dt.date) -> int:
        """The days of the period with a session that counts toward its quota."""
        return _count(self.counted_dates, first, last)

    def full_in(self, first: dt.date, last: dt.date) -> int:
        """The counted days of the period with a session long enough to keep a slot."""
        return _count(self.full_dates, first, last)

    def slot_skips(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Days with a skip that stood for a slot: inside the plan, not paused, blacked out or
        held, and with no session logged (a skip there is void and must not hide a miss)."""
        lo, hi = bisect_left(self.skip_dates, first), bisect_right(self.skip_dates, last)
        return [d for d in self.skip_dates[lo:hi] if d not in self.session_days and self.counts(d)]

    def skipped_in(self, first: dt.date, last: dt.date) -> int:
        return len(self.slot_skips(first, last))

    def fits(self, day: dt.date, others: Iterable[dt.date]) -> bool:
        return all(abs((day - o).days) >= self.rest for o in others)

    def near_sessions(self, day: dt.date) -> list[dt.date]:
        # Days with a session within the rest on either side are the only possible conflicts.
        dates = self.session_dates
        lo = bisect_right(dates, day - dt.timedelta(days=self.rest))
        hi = bisect_left(dates, day + dt.timedelta(days=self.rest))
        return dates[lo:hi]


def utc(instant: dt.datetime) -> dt.datetime:
    """Compare instants in UTC: two datetimes in the same zone compare by wall time, which
    gets the repeated hour of a fall-back night wrong."""
    return instant.astimezone(dt.UTC)
