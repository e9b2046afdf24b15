"""Adherence, streaks and the strength score. Pure: the plan, the log and ``now`` come in.

Formulas (also in docs/progress.md):

- A period's *kept* sessions are its days with a session of at least two thirds of the planned
  minutes (one per local day, on any day of the period), at most its quota. A shorter session is
  *partial*: neither kept nor missed. *Missed* ones are the due slots neither kept, partial nor
  skipped. Skips are deliberate (a failed safety check, say): they
  neither count for nor against adherence, streaks or strength.
- **Adherence** over the last N weeks = kept / (kept + missed) over the periods that start within
  those weeks (the current one counts its elapsed days only). ``None`` when nothing was due.
- **Weekly streak**: consecutive periods with nothing missed and at least one session kept. A
  period with nothing due (a pause, a clinic blackout) neither breaks nor extends it; the current,
  unfinished period extends it once its whole quota is kept and never breaks it.
- **Strength** (0-100) is an exponential moving average over due slots in time order, missed
  before kept within a period: a kept slot moves it ``alpha`` of the way up to 100, a missed one
  ``alpha`` of the way down to 0, with ``alpha = 1 - 0.5 ** (1 / n)`` and ``n`` the slots the plan
  (the version in force in that period) asks for in 4 weeks. So 4 weeks of perfect adherence from
  zero reach 50, 8 weeks 75; 4 weeks of missing everything halve it.
- Given the plan's earlier ``versions``, each period is judged by the plan in force then
  (:func:`rollminder.schedule.tally`): raising the weekly target does not rewrite the past.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rollminder.model import Log, Plan, Session
from rollminder.schedule import PeriodTally, tally


@dataclass(frozen=True)
class Progress:
    adherence_4w: float | None  # 0..1
    adherence_12w: float | None
    current_streak: int  # periods
    best_streak: int
    strength: float  # 0..100
    kept: int
    missed: int
    skipped: int
    sessions: int  # every session logged
    minutes: float  # their total minutes
    last_session: dt.datetime | None
    period_weeks: int
    partial: int = 0  # due slots with only a short session: neither kept nor missed

    def as_json(self) -> dict[str, object]:
        return {
            "adherence_4w": None if self.adherence_4w is None else round(self.adherence_4w, 4),
            "adherence_12w": None if self.adherence_12w is None else round(self.adherence_12w, 4),
            "current_streak": self.current_streak,
            "best_streak": self.best_streak,
            "streak_unit": "week" if self.period_weeks == 1 else f"{self.period_weeks} weeks",
            "strength": round(self.strength, 1),
            "kept": self.kept,
            "missed": self.missed,
            "skipped": self.skipped,
            "partial": self.partial,
            "sessions": self.sessions,
            "minutes": round(self.minutes, 2),
            "last_session": None if self.last_session is None else self.last_session.isoformat(),
        }


def strength_alpha(plan: Plan) -> float:
    return _alpha(4 * plan.sessions / plan.every_weeks)


def _alpha(per_4_weeks: float) -> float:
    n = max(1.0, per_4_weeks)
    return 1.0 - math.pow(0.5, 1.0 / n)


def adherence(periods: list[PeriodTally], since: dt.date) -> float | None:
    kept = missed = 0
    for p in periods:
        if p.first >= since:
            kept += p.kept
            missed += p.missed
    return None if kept + missed == 0 else kept / (kept + missed)


def streaks(periods: list[PeriodTally]) -> tuple[int, int]:
    current = best = 0
    for p in periods:
        if not p.complete:
            if p.quota > 0 and p.missed == 0 and p.done >= p.quota:
                current += 1
            continue
        if p.quota == 0 or (p.kept == 0 and p.missed == 0):
            continue  # nothing due, or everything skipped: neutral
        current = current + 1 if p.missed == 0 else 0
        best = max(best, current)
    return current, max(best, current)


def strength(plan: Plan, periods: list[PeriodTally]) -> float:
    s = 0.0
    for p in periods:
        # Each period moves at the pace of the plan in force then (its slots per 4 weeks).
        alpha = _alpha(p.per_4_weeks) if p.per_4_weeks else strength_alpha(plan)
        for _ in range(p.missed):
            s *= 1 - alpha
        for _ in range(p.kept):
            s += alpha * (1 - s)
    return 100 * s


def compute(
    plan: Plan,
    log: Log,
    now: dt.datetime,
    versions: Sequence[Plan] = (),
    periods: list[PeriodTally] | None = None,
) -> Progress:
    """The figures for ``plan`` (the current version); pass the earlier ``versions`` so past
    periods are judged by the plan in force then (see :func:`rollminder.schedule.tally`).
    ``periods``: that tally when the caller already has it (the web history draws it too)."""
    if periods is None:
        periods = tally(plan, log, now, versions=versions)
    today = now.astimezone(ZoneInfo(plan.tz)).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    current, best = streaks(periods)
    sessions: tuple[Session, ...] = log.sessions
    return Progress(
        adherence_4w=adherence(periods, this_monday - dt.timedelta(weeks=3)),
        adherence_12w=adherence(periods, this_monday - dt.timedelta(weeks=11)),
        current_streak=current,
        best_streak=best,
        strength=strength(plan, periods),
        kept=sum(p.kept for p in periods),
        missed=sum(p.missed for p in periods),
        skipped=sum(p.skipped for p in periods),
        partial=sum(p.partial for p in periods),
        sessions=len(sessions),
        minutes=sum(s.minutes for s in sessions),
        last_session=max((s.start for s in sessions), default=None),
        period_weeks=plan.every_weeks,
    )
