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
    return Figures(
        stats=stats,
        heatmap=charts.heatmap(
            (s.local_start(plan.tz).date() for s in log.sessions),
            (k.slot.astimezone(tz).date() for k in log.skips),
            today,
        ),
        bars=charts.adherence_bars(periods),
        unit="week" if plan.every_weeks == 1 else f"{plan.every_weeks}-week period",
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
        pct=_pct,
    )


routes: list[BaseRoute] = [Route("/history", history_page, methods=["GET"])]
