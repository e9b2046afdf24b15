"""History: the calendar heatmap, the adherence chart (server-side SVG), streaks and strength."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import progress, schedule
from rollminder.web import charts
from rollminder.web.app import render, service


async def history_page(request: Request) -> Response:
    app = service(request)
    plan = app.plan()
    log = app.log_for(plan, full=True)
    now = app.now()
    versions = app.store.plans()
    periods = schedule.tally(plan, log, now, versions=versions)
    stats = progress.compute(plan, log, now, versions=versions, periods=periods)
    tz = app.zone()
    today = now.astimezone(tz).date()
    return render(
        request,
        "history.html",
        stats=stats,
        heatmap=charts.heatmap(
            (s.start.astimezone(tz).date() for s in log.sessions),
            (k.slot.astimezone(tz).date() for k in log.skips),
            today,
        ),
        bars=charts.adherence_bars(periods),
        unit="week" if plan.every_weeks == 1 else f"{plan.every_weeks}-week period",
        pct=lambda v: "–" if v is None else f"{round(100 * v)}%",
    )


routes: list[BaseRoute] = [Route("/history", history_page, methods=["GET"])]
