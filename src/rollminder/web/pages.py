"""The dashboard (the first run is web/onboarding.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import rules
from rollminder.errors import NoPlan
from rollminder.guide import ZONE_LABELS
from rollminder.model import Log, Plan, Roller
from rollminder.service import RollerWear, Rollminder
from rollminder.web import words
from rollminder.web.cache import Memo, data_key
from rollminder.web.kit import render, service

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def standing_notes(app: Rollminder) -> list[str]:
    return app.clinician_notes()


# -- the dashboard -------------------------------------------------------------------------------


def _span(delta: dt.timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@dataclass(frozen=True)
class DayData:
    """What the dashboard reads from the store: a function of the data and the local date."""

    log: Log
    roller: Roller | None
    wear: RollerWear | None
    notes: list[str]


def day_data(app: Rollminder, plan: Plan) -> DayData:
    log = app.log_for(plan, app.now())
    roller = app.current_roller()
    wear = app.roller_wear(roller.id) if roller else None
    return DayData(log=log, roller=roller, wear=wear, notes=standing_notes(app))


async def dashboard(request: Request) -> Response:
    app = service(request)
    memo: Memo = request.app.state.memo
    key = data_key(app)
    try:
        plan = memo.get("plan", key, app.plan)  # NoPlan propagates (the wizard), nothing is kept
    except NoPlan:
        if app.clinic_only():  # no home plan: Today is the clinic's visits (web/clinic.py)
            from rollminder.web.clinic import clinic_page

            return await clinic_page(request)
        raise
    utc_now = app.now()
    now = utc_now.astimezone(ZoneInfo(plan.tz))
    data = memo.get("dashboard", (key, now.date()), lambda: day_data(app, plan))
    # The state and the slots move with the clock: computed on every request.
    outlook = app.outlook_of(plan, data.log, utc_now, 4)
    status, slots = outlook.state, outlook.slots
    target = status.next.start if status.next else None
    return render(
        request,
        "dashboard.html",
        status=status,
        state_word=words.STATE_WORDS[status.name],
        reason=words.state_reason(status),
        slots=slots,
        plan=plan,
        now=now,
        countdown=_span(target - now) if target and target > now else "",
        target=target,
        until_span=_span(status.until - now) if status.until else "",
        notes=data.notes,
        roller=data.roller,
        wear=data.wear,
        phrase=rules.period_phrase(plan.sessions, plan.every_weeks),
        warning=rules.plan_warning(plan),
        zone_names=ZONE_LABELS,
    )


routes: list[BaseRoute] = [
    Route("/", dashboard, methods=["GET"], name="dashboard"),
]
