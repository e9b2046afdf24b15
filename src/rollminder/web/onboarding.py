"""The first run, in short steps: needle -> days and time -> time zone -> areas (and the clinician
questions) -> "How should we remind you?". A needle of 1.0 mm or longer takes the clinic-only way:
needle -> time zone -> reminders, then the visits-and-series page (web/clinic.py).

Every answer is kept in the session between steps, and a refused answer re-renders its step with
every answer as typed and a one-line message next to the field (status 400): never an error page.
``POST /welcome`` also takes every answer at once (a form with all the fields saves in one go).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import rules
from rollminder.env import system_zone
from rollminder.errors import InvalidInput, NoHomePlan, RollminderError
from rollminder.guide import ZONE_LABELS, pace_note
from rollminder.model import ALL_ZONES, DEFAULT_ZONES, WEEKDAYS
from rollminder.service import Rollminder
from rollminder.web import forms
from rollminder.web.kit import flash, redirect, render, service
from rollminder.web.pages import DAY_NAMES
from rollminder.web.zonelist import zone_options

#: The needle lengths offered, with the table row that applies (None: clinic only).
NEEDLES: tuple[tuple[str, str, rules.NeedleRule | None], ...] = (
    ("0.25", "0.2-0.3 mm", rules.NEEDLE_TABLE[0]),
    ("0.5", "0.5 mm", rules.NEEDLE_TABLE[1]),
    ("0.75", "0.75 mm", rules.NEEDLE_TABLE[2]),
    ("1.0", "1.0 mm or longer", None),
)

#: The steps of a home plan, their titles and the fields each one owns.
STEPS: tuple[tuple[str, str], ...] = (
    ("needle", "Your roller"),
    ("when", "Days and time"),
    ("zone", "Time zone"),
    ("areas", "Where you roll"),
    ("remind", "Reminders"),
)
CLINIC_STEPS: tuple[tuple[str, str], ...] = (
    ("needle", "Your roller"),
    ("zone", "Time zone"),
    ("remind", "Reminders"),
)
CLINICIAN_FIELDS = tuple(f"clinician_{q.key}" for q in rules.CLINICIAN_QUESTIONS)
FIELDS: dict[str, tuple[str, ...]] = {
    "needle": ("needle_mm", "understood", "browser_tz"),
    "when": ("days", "time", "minutes"),
    "zone": ("tz",),
    "areas": ("zones_given", "zones", *CLINICIAN_FIELDS),
}
LISTS = frozenset({"days", "zones"})
STEP_OF = {field: step for step, fields in FIELDS.items() for field in fields}
#: A kept answer longer than this is cut (the session is a cookie; no valid answer is as long).
KEEP = 200
_KEY = "welcome"

Answers = dict[str, Any]  # field -> str, or list[str] for LISTS


# -- answers kept between steps -------------------------------------------------------------------


def kept(request: Request) -> Answers:
    found = request.session.get(_KEY)
    return dict(found) if isinstance(found, dict) else {}


def _keep(request: Request, answers: Answers) -> None:
    small: Answers = {}
    for key, value in answers.items():
        if key in LISTS:
            small[key] = [str(v)[:KEEP] for v in value][:20]
        else:
            small[key] = str(value)[:KEEP]
    request.session[_KEY] = small


def merge(answers: Answers, form: FormData, fields: tuple[str, ...] | None = None) -> Answers:
    """``answers`` with the form's: each of ``fields`` (a step's: an unticked box is an empty
    answer), or, without ``fields``, every known field the form has."""
    out = dict(answers)
    names = fields if fields is not None else tuple(k for k in STEP_OF if k in form)
    for name in names:
        if name in LISTS:
            out[name] = [v for v in form.getlist(name) if isinstance(v, str)]
        else:
            value = form.get(name)
            if isinstance(value, str):
                out[name] = value
            else:
                out.pop(name, None)
    if fields is not None and "zones" in fields:
        out["zones_given"] = "1"
    return out


def as_form(answers: Answers) -> FormData:
    items: list[tuple[str, str | UploadFile]] = []
    for key, value in answers.items():
        if key in LISTS:
            items += [(key, v) for v in value]
        else:
            items.append((key, value))
    return FormData(items)


def is_clinic(answers: Answers) -> bool:
    try:
        needle = forms.number(as_form(answers), "needle_mm", "The needle length")
    except InvalidInput:
        return False
    return needle is not None and needle >= rules.PROFESSIONAL_MM


# -- checking the answers -------------------------------------------------------------------------


def check(app: Rollminder, answers: Answers) -> tuple[dict[str, Any], dict[str, str]]:
    """The plan's choices from ``answers`` and, per field, what is wrong with it.

    Each field is read alone, then the plan is drafted field by field in the order of the steps,
    so a refusal (a rest under the floor, a clash of days) is told next to the field that caused
    it. A needle of 1.0 mm or longer is not an error here: it is the clinic-only way."""
    fields = forms.PlanFields(as_form(answers), answers).read(tz=True)
    errors, parsed = fields.errors, fields.parsed
    if answers.get("understood") != "yes" and "understood" in answers:
        errors["understood"] = "Tick that you have read this note."
    for field in CLINICIAN_FIELDS:
        if answers.get(field, "no") not in ("yes", "no"):
            errors[field] = "Answer yes or no."
    choices: dict[str, Any] = {}
    for field, key, value in parsed:
        trial = {**choices, key: value}
        try:
            app.draft_plan(**trial)
        except NoHomePlan:
            if field != "needle_mm":
                raise
            return {"needle_mm": value}, errors
        except RollminderError as exc:
            errors[field] = exc.message
            continue
        choices = trial
    return choices, errors


def first_step(errors: dict[str, str]) -> str | None:
    for step in FIELDS:
        if any(STEP_OF.get(field) == step for field in errors):
            return step
    return None


# -- rendering ------------------------------------------------------------------------------------


def _zone_guess(answers: Answers) -> str:
    guess = str(answers.get("browser_tz", ""))
    try:
        return forms.zone(FormData([("tz", guess)]), "tz") or system_zone()
    except InvalidInput:
        return system_zone()


def render_step(
    request: Request,
    app: Rollminder,
    step: str,
    answers: Answers,
    errors: dict[str, str] | None = None,
) -> Response:
    clinic = is_clinic(answers)
    steps = CLINIC_STEPS if clinic else STEPS
    names = [name for name, _ in steps]
    index = names.index(step) if step in names else 0
    back = names[index - 1] if index > 0 else None
    context: dict[str, Any] = {
        "step": step,
        "steps": steps,
        "index": index,
        "back": None if back is None else ("/welcome" if back == "needle" else f"/welcome/{back}"),
        "a": answers,
        "errors": errors or {},
        "clinic": clinic,
        "needles": NEEDLES,
        "rules": rules,
        "weekdays": list(zip(WEEKDAYS, DAY_NAMES, strict=True)),
        "zones": [(z, ZONE_LABELS[z]) for z in ALL_ZONES],
        "chosen_zones": answers["zones"] if "zones_given" in answers else DEFAULT_ZONES,
        "questions": rules.CLINICIAN_QUESTIONS,
        "not_medical_advice": rules.NOT_MEDICAL_ADVICE,
    }
    if step == "zone":
        context["tz_value"] = answers.get("tz") or _zone_guess(answers)
        context["tz_guessed"] = "tz" not in answers and not answers.get("browser_tz")
        context["zone_options"] = zone_options()
    status = 400 if errors else 200
    return render(request, f"welcome_{step}.html", status, **context)


# -- the routes -----------------------------------------------------------------------------------


def _started(app: Rollminder) -> Response | None:
    """Where someone who has set up already goes instead of a step."""
    if app.has_plan() or app.clinic_only():
        return redirect("/")
    return None


async def needle_page(request: Request) -> Response:
    app = service(request)
    return _started(app) or render_step(request, app, "needle", kept(request))


async def step_page(request: Request) -> Response:
    app = service(request)
    step = request.path_params["step"]
    if step not in FIELDS or step == "needle":
        return redirect("/welcome")
    answers = kept(request)
    if "needle_mm" not in answers:
        return _started(app) or redirect("/welcome")
    if is_clinic(answers) and step not in ("zone",):
        return redirect("/welcome/zone")
    return _started(app) or render_step(request, app, step, answers)


async def step_post(request: Request) -> Response:
    """One step's answers: kept, checked, then the next step (or this one again, with the
    message next to the field)."""
    app = service(request)
    step = request.path_params["step"]
    if step not in FIELDS:
        return redirect("/welcome")
    done = _started(app)
    if done is not None:
        return done
    form = await request.form()
    answers = merge(kept(request), form, FIELDS[step])
    if step == "needle" and "understood" not in form:
        answers["understood"] = ""
    _keep(request, answers)
    _, errors = check(app, answers)
    mine = {k: v for k, v in errors.items() if STEP_OF.get(k) == step}
    if mine:
        return render_step(request, app, step, answers, mine)
    if step == "zone" and answers.get("tz"):
        answers["tz"] = forms.zone(as_form(answers), "tz") or ""  # "Berlin" -> Europe/Berlin
        _keep(request, answers)
    if is_clinic(answers):
        if step == "needle":
            return redirect("/welcome/zone")
        app.track_clinic_only(str(answers.get("tz") or _zone_guess(answers)))
        request.session.pop(_KEY, None)
        flash(request, "Your clinic visits will be tracked here: start with your series.")
        return redirect("/welcome/remind")
    following = {"needle": "when", "when": "zone", "zone": "areas", "areas": ""}[step]
    if following:
        return redirect(f"/welcome/{following}")
    return await _save(request, app, answers)


async def create_plan(request: Request) -> Response:
    """Save: the kept answers with the form's (a form may carry every answer at once)."""
    app = service(request)
    if app.has_plan():
        flash(request, "You already have a plan: change it in Settings.", "warn")
        return redirect("/settings")
    form = await request.form()
    answers = merge(kept(request), form)
    if "understood" not in answers:
        answers["understood"] = ""
    _keep(request, answers)
    return await _save(request, app, answers)


async def _save(request: Request, app: Rollminder, answers: Answers) -> Response:
    choices, errors = check(app, answers)
    if answers.get("understood") != "yes":
        errors.setdefault(
            "understood", "Tick that you have read the note: rollminder is not medical advice."
        )
    if is_clinic(answers) and "needle_mm" not in errors:
        errors["needle_mm"] = rules.NO_HOME_PLAN_REASON
    step = first_step(errors)
    if step is not None:
        mine = {k: v for k, v in errors.items() if STEP_OF.get(k) == step}
        return render_step(request, app, step, answers, mine)
    if "tz" not in choices:
        choices["tz"] = _zone_guess(answers)
    clinician = {
        q.key: answers.get(f"clinician_{q.key}") == "yes" for q in rules.CLINICIAN_QUESTIONS
    }
    plan = app.set_up(clinician=clinician, **choices)
    request.session.pop(_KEY, None)
    flash(
        request,
        f"Your plan is set: {rules.period_phrase(plan.sessions, plan.every_weeks)} "
        f"at {plan.time:%H:%M}.",
    )
    if any(clinician.values()):
        flash(request, "You answered yes to a clinician question: ask a clinician first.", "warn")
    return redirect("/welcome/remind")


async def preview(request: Request) -> Response:
    """The next four slots of the plan the answers would make (an htmx fragment)."""
    app = service(request)
    form = await request.form()
    answers = merge(kept(request), form)
    choices, errors = check(app, answers)
    if is_clinic(answers):
        errors.setdefault("needle_mm", rules.NO_HOME_PLAN_REASON)
    if errors:
        return render(
            request, "_preview.html", plan=None, slots=[], error=next(iter(errors.values()))
        )
    try:
        plan = app.draft_plan(**choices)
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


routes: list[BaseRoute] = [
    Route("/welcome", needle_page, methods=["GET"]),
    Route("/welcome", create_plan, methods=["POST"]),
    Route("/welcome/preview", preview, methods=["POST"]),
    Route("/welcome/{step}", step_page, methods=["GET"]),
    Route("/welcome/{step}", step_post, methods=["POST"]),
]
