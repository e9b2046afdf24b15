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
from rollminder.web.auth import snooze
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
    return words.span(delta)


#: States in which starting a session makes sense now (not resting, paused, blacked out or held).
STARTABLE = ("due", "waiting")


@dataclass(frozen=True)
class DayData:
    """What the dashboard reads from the store: a function of the data and the local date."""

    log: Log
    roller: Roller | None
    wear: RollerWear | None
    notes: list[str]
    reachable: bool  # can a reminder reach the person (the CLI's ``next`` rule)


def day_data(app: Rollminder, plan: Plan) -> DayData:
    log = app.log_for(plan, app.now())
    roller = app.current_roller()
    wear = app.roller_wear(roller.id) if roller else None
    return DayData(
        log=log, roller=roller, wear=wear, notes=standing_notes(app), reachable=app.reachable()
    )


async def dashboard(request: Request) -> Response:
    app = service(request)
    memo: Memo = request.app.state.memo
    key = data_key(app)
    plan = memo.get("plan", key, app.plan)  # NoPlan propagates (the wizard), nothing is kept
    utc_now = app.now()
    now = utc_now.astimezone(ZoneInfo(plan.tz))
    today = now.date()
    data = memo.get("dashboard", (key, today), lambda: day_data(app, plan))
    # The state and the slots move with the clock: computed on every request.
    outlook = app.outlook_of(plan, data.log, utc_now, 4)
    status, slots = outlook.state, outlook.slots
    target = status.next.start if status.next else None
    return render(
        request,
        "dashboard.html",
        status=status,
        state_word=words.STATE_WORDS[status.name],
        sentence=words.today_sentence(status, today),
        reason=words.state_reason(status, today),
        slots=slots,
        plan=plan,
        now=now,
        today=today,
        countdown=_span(target - now) if target and target > now else "",
        target=target,
        until_span=_span(status.until - now) if status.until else "",
        startable=status.name in STARTABLE,
        notes=data.notes,
        roller=data.roller,
        wear=data.wear,
        reachable=data.reachable,
        phrase=rules.period_phrase(plan.sessions, plan.every_weeks),
        warning=rules.plan_warning(plan),
        zone_names=ZONE_LABELS,
        when=words.when,
        day=words.day_of,
        duration=words.duration,
    )


async def today_done(request: Request) -> Response:
    """Done pressed on Today: a session now, with the plan's minutes and zones."""
    app = service(request)
    logged = app.log_session()
    local = logged.session.start.astimezone(app.zone())
    flash(request, f"Done: logged a session at {local:%H:%M}.")
    for warning in logged.warnings:
        flash(request, warning, "warn")
    return redirect("/")


async def today_skip(request: Request) -> Response:
    """Skip pressed on Today: the open slot (or the next one) is skipped, no catch-up."""
    app = service(request)
    form = await request.form()
    skip = app.skip(reason=forms.text(form, "reason"))
    local = skip.slot.astimezone(app.zone())
    flash(request, f"Skipped the session of {words.day_of(local, app.local_now().date())}.")
    return redirect("/")


async def today_snooze(request: Request) -> Response:
    """Snooze pressed on Today: remind of the open slot again in 30 minutes."""
    app = service(request)
    flash(request, snooze(app))
    return redirect("/")


routes: list[BaseRoute] = [
    Route("/", dashboard, methods=["GET"], name="dashboard"),
    Route("/today/done", today_done, methods=["POST"]),
    Route("/today/skip", today_skip, methods=["POST"]),
    Route("/today/snooze", today_snooze, methods=["POST"]),
    Route("/welcome", welcome, methods=["GET"]),
    Route("/welcome", create_plan, methods=["POST"]),
    Route("/welcome/preview", preview, methods=["POST"]),
]
