"""The dashboard and the first-run wizard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import rules
from rollminder.env import system_zone
from rollminder.errors import InvalidInput, RollminderError
from rollminder.guide import ZONE_LABELS, pace_note
from rollminder.model import DEFAULT_ZONES, WEEKDAYS, ZONES, Log, Plan, Roller
from rollminder.service import RollerWear, Rollminder
from rollminder.web import forms, words
from rollminder.web.cache import Memo, data_key
from rollminder.web.kit import flash, redirect, render, service

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: The needle lengths the wizard offers, with the table row that applies (None: clinic only).
NEEDLES: tuple[tuple[str, str, rules.NeedleRule | None], ...] = (
    ("0.25", "0.2-0.3 mm", rules.NEEDLE_TABLE[0]),
    ("0.5", "0.5 mm", rules.NEEDLE_TABLE[1]),
    ("0.75", "0.75 mm", rules.NEEDLE_TABLE[2]),
    ("1.0", "1.0 mm or longer", None),
)


def standing_notes(app: Rollminder) -> list[str]:
    return app.clinician_notes()


# -- the wizard ----------------------------------------------------------------------------------


def wizard_context(app: Rollminder) -> dict[str, Any]:
    return {
        "needles": NEEDLES,
        "rules": rules,
        "weekdays": list(zip(WEEKDAYS, DAY_NAMES, strict=True)),
        "zones": [(z, ZONE_LABELS[z]) for z in ZONES],
        "default_zones": DEFAULT_ZONES,
        "tz": system_zone(),
        "questions": rules.CLINICIAN_QUESTIONS,
        "not_medical_advice": rules.NOT_MEDICAL_ADVICE,
    }


async def welcome(request: Request) -> Response:
    app = service(request)
    if app.has_plan():
        return redirect("/")
    return render(request, "welcome.html", **wizard_context(app))


async def preview(request: Request) -> Response:
    """The next four slots of the plan the wizard's answers would make (an htmx fragment)."""
    app = service(request)
    form = await request.form()
    try:
        plan = app.draft_plan(**forms.plan_choices(form))
        slots = app.preview(plan, 4)
    except RollminderError as exc:
        return render(request, "_preview.html", plan=None, slots=[], error=exc.message)
    return render(
        request,
        "_preview.html",
        plan=plan,
        slots=slots,
        error="",
        phrase=rules.period_phrase(plan.sessions, plan.every_weeks),
        rest=rules.fmt_hours(plan.rest_hours),
        warning=rules.plan_warning(plan),
        pace=pace_note(plan.zones, plan.directions, plan.minutes),
    )


async def create_plan(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    if app.has_plan():
        flash(request, "You already have a plan: change it in Settings.", "warn")
        return redirect("/settings")
    if form.get("understood") != "yes":
        raise InvalidInput("Tick that you have read the note: rollminder is not medical advice.")
    answers = {q.key: form.get(f"clinician_{q.key}") == "yes" for q in rules.CLINICIAN_QUESTIONS}
    choices = forms.plan_choices(form)
    plan = app.set_up(clinician=answers, **choices)
    flash(
        request,
        f"Your plan is set: {rules.period_phrase(plan.sessions, plan.every_weeks)} "
        f"at {plan.time:%H:%M}.",
    )
    if any(answers.values()):
        flash(request, "You answered yes to a clinician question: ask a clinician first.", "warn")
    return redirect("/")


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
    plan = memo.get("plan", key, app.plan)  # NoPlan propagates (the wizard), nothing is kept
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
    Route("/welcome", welcome, methods=["GET"]),
    Route("/welcome", create_plan, methods=["POST"]),
    Route("/welcome/preview", preview, methods=["POST"]),
]
