"""History: the calendar heatmap, the adherence chart (server-side SVG), streaks and strength."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import progress, schedule
from rollminder.service import Rollminder
from rollminder.web import charts
from rollminder.web.cache import Memo, data_key
from rollminder.web.kit import render, service


@dataclass(frozen=True)
class Figures:
    stats: progress.Progress
    heatmap: Markup
    bars: Markup
    unit: str
    today: dt.date
    empty: bool  # nothing logged and no slot judged yet: a small card instead of the charts


def figures(app: Rollminder, now: dt.datetime) -> Figures:
    """Everything the page shows: a function of the data and the plan's local date of ``now``
    only (the tally judges whole days; today's slot stays open until the day is over)."""
    plan = app.plan()
    log = app.log_for(plan, now, full=True)
    versions = app.plan_versions()
    periods = schedule.tally(plan, log, now, versions=versions)
    stats = progress.compute(plan, log, now, versions=versions, periods=periods)
    tz = ZoneInfo(plan.tz)
    today = now.astimezone(tz).date()
    weeks = 53
    since = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    # Every past slot with its outcome (kept, partial, missed, skipped), as the figures judge.
    slots = app.slot_history(since)
    unit = "week" if plan.every_weeks == 1 else f"{plan.every_weeks}-week period"
    return Figures(
        stats=stats,
        heatmap=charts.heatmap(
            (s.local_start(plan.tz).date() for s in log.sessions),
            (k.slot.astimezone(tz).date() for k in log.skips),
            today,
            weeks,
            outcomes={x.day: x.outcome for x in slots},
        ),
        bars=charts.adherence_bars(periods, unit=unit),
        unit=unit,
        today=today,
        empty=not log.sessions and not log.skips and not slots,
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{round(100 * value)}%"


async def history_page(request: Request) -> Response:
    app = service(request)
    memo: Memo = request.app.state.memo
    key = data_key(app)
    plan = memo.get("plan", key, app.plan)  # NoPlan propagates (the wizard), nothing is kept
    now = app.now()
    today = now.astimezone(ZoneInfo(plan.tz)).date()
    shown = memo.get("history", (key, today), lambda: figures(app, now))
    return render(
        request,
        "history.html",
        stats=shown.stats,
        heatmap=shown.heatmap,
        bars=shown.bars,
        unit=shown.unit,
        empty=shown.empty,
        today=shown.today,
        pct=_pct,
    )


routes: list[BaseRoute] = [Route("/history", history_page, methods=["GET"])]
