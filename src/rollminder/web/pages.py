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
from rollminder.usecases.logbook import SecondToday
from rollminder.web import forms, words
from rollminder.web.auth import snooze
from rollminder.web.cache import Memo, data_key
from rollminder.web.kit import flash, redirect, render, routines_of, service

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def standing_notes(app: Rollminder) -> list[str]:
    return app.clinician_notes()


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
    try:
        plan = memo.get("plan", key, app.plan)  # NoPlan propagates (the wizard), nothing is kept
    except NoPlan:
        if app.clinic_only():  # no home plan: Today is the clinic's visits (web/clinic.py)
            from rollminder.web.clinic import clinic_page

            return await clinic_page(request)
        raise
    utc_now = app.now()
    now = utc_now.astimezone(ZoneInfo(plan.tz))
    today = now.date()
    data = memo.get("dashboard", (key, today), lambda: day_data(app, plan))
    # The state and the slots move with the clock: computed on every request.
    outlook = app.outlook_of(plan, data.log, utc_now, 4)
    status, slots = outlook.state, outlook.slots
    target = status.next.start if status.next else None
    several = len(routines_of(request, app)) > 1
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
        routine_slots=every_routine_slots(app, utc_now) if several else [],
        routine_query=routine_query(app) if several else "",
    )


@dataclass(frozen=True)
class RoutineSlot:
    """A slot of one of several routines, for Today's list (issue 12)."""

    start: dt.datetime
    routine: str
    due: bool
    kind: str
    current: bool  # the routine the page works on


def every_routine_slots(app: Rollminder, utc_now: dt.datetime, each: int = 3) -> list[RoutineSlot]:
    """The next slots of every routine, soonest first, each with its routine's name."""
    found: list[RoutineSlot] = []
    current = app.routine()
    for routine, one in app.each_routine():
        if routine is None:
            continue
        plan = one.plan()
        outlook = one.outlook_of(plan, one.log_for(plan, utc_now), utc_now, each)
        for slot in outlook.slots:
            found.append(
                RoutineSlot(
                    start=slot.start.astimezone(ZoneInfo(plan.tz)),
                    routine=routine.name,
                    due=slot.due,
                    kind=slot.kind,
                    current=current is not None and routine.id == current.id,
                )
            )
    found.sort(key=lambda s: (s.start, s.routine))
    return found


def routine_query(app: Rollminder) -> str:
    """``?routine=NAME`` of the routine this facade works on, for forms that must act on it."""
    from urllib.parse import quote

    routine = app.routine()
    return f"?routine={quote(routine.name)}" if routine is not None else ""


async def today_done(request: Request) -> Response:
    """Done pressed on Today: a session now, with the plan's minutes and zones. When today has
    a session already, it asks first (a day counts once), and ``again=1`` logs it anyway."""
    app = service(request)
    form = await request.form()
    again = form.get("again") == "1"
    try:
        logged = app.log_session(second_today=again)
    except SecondToday as exc:
        local = exc.existing.start.astimezone(app.zone())
        return render(
            request,
            "today_again.html",
            at=f"{local:%H:%M}",
            routine_query=routine_query(app) if len(routines_of(request, app)) > 1 else "",
        )
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
]
