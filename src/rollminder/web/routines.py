"""Setting up another routine from Settings (issue 12): name and roller -> days and time ->
areas, in the step forms of onboarding. Every answer is kept in the session between steps; a
refused answer re-renders its step with every answer as typed and a one-line message next to
the field (status 400), never an error page. Saving calls ``Rollminder.add_routine`` (one
transaction: the routine and its plan), then Today shows the new routine.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import rules
from rollminder.errors import InvalidInput, NoHomePlan, RollminderError
from rollminder.guide import ZONE_LABELS
from rollminder.model import ALL_ZONES, WEEKDAYS, Plan
from rollminder.service import Rollminder
from rollminder.usecases.routines import ROUTINE_NAME
from rollminder.web import forms
from rollminder.web.kit import flash, redirect, render, service
from rollminder.web.onboarding import NEEDLES, Answers, as_form
from rollminder.web.pages import DAY_NAMES

PREFIX = "/settings/routine/new"
STEPS: tuple[tuple[str, str], ...] = (
    ("roller", "Name and roller"),
    ("when", "Days and time"),
    ("areas", "Where you roll"),
)
FIELDS: dict[str, tuple[str, ...]] = {
    "roller": ("name", "needle_mm"),
    "when": ("days", "time", "minutes"),
    "areas": ("zones",),
}
LISTS = frozenset({"days", "zones"})
STEP_OF = {field: step for step, fields in FIELDS.items() for field in fields}
KEEP = 200
_KEY = "new_routine"


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


def _draft(app: Rollminder, choices: dict[str, Any]) -> Plan:
    """The plan a new routine would get from ``choices`` (no current plan to build on)."""
    return app.draft_new_plan(tz=app.plan().tz, **choices)


def check(app: Rollminder, answers: Answers) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The name, the plan's choices and, per field, what is wrong with it (each field read
    alone, then drafted in the order of the steps, so a refusal sits next to its field)."""
    form = as_form(answers)
    errors: dict[str, str] = {}
    name = ""
    if "name" in answers:
        try:
            name = ROUTINE_NAME.check(answers["name"], "routine name")
            if not name:
                raise InvalidInput("Give the routine a name, such as thighs or body.")
            taken = [r.name for r in app.raw.routines() if r.name.casefold() == name.casefold()]
            if taken:
                raise InvalidInput(f"There is a routine named {taken[0]} already.")
        except InvalidInput as exc:
            errors["name"] = exc.message
    fields = forms.PlanFields(form, answers, "the roller's").read(needle_always=False)
    errors.update(fields.errors)
    parsed = fields.parsed
    choices: dict[str, Any] = {}
    for field, key, value in parsed:
        trial = {**choices, key: value}
        try:
            _draft(app, trial)
        except NoHomePlan:
            errors[field] = rules.NO_HOME_PLAN_REASON
            continue
        except RollminderError as exc:
            errors[field] = exc.message
            continue
        choices = trial
    return name, choices, errors


def render_step(
    request: Request, step: str, answers: Answers, errors: dict[str, str] | None = None
) -> Response:
    names = [name for name, _ in STEPS]
    index = names.index(step)
    back = PREFIX if index == 1 else (f"{PREFIX}/{names[index - 1]}" if index else "/settings")
    context: dict[str, Any] = {
        "step": step,
        "steps": STEPS,
        "index": index,
        "back": back,
        "action": PREFIX if step == "roller" else f"{PREFIX}/{step}",
        "a": answers,
        "errors": errors or {},
        "needles": [n for n in NEEDLES if n[2] is not None],
        "rules": rules,
        "weekdays": list(zip(WEEKDAYS, DAY_NAMES, strict=True)),
        "zones": [(z, ZONE_LABELS[z]) for z in ALL_ZONES],
        "chosen_zones": answers.get("zones", []),
    }
    return render(request, f"routine_{step}.html", 400 if errors else 200, **context)


async def step_page(request: Request) -> Response:
    service(request).plan()  # NoPlan: the first set-up comes first
    step = request.path_params.get("step", "roller")
    if step not in FIELDS:
        return redirect(PREFIX)
    answers = kept(request)
    if step != "roller" and "needle_mm" not in answers:
        return redirect(PREFIX)
    return render_step(request, step, answers)


async def step_post(request: Request) -> Response:
    app = service(request)
    app.plan()
    step = request.path_params.get("step", "roller")
    if step not in FIELDS:
        return redirect(PREFIX)
    form = await request.form()
    answers = dict(kept(request))
    for name in FIELDS[step]:
        if name in LISTS:
            answers[name] = [v for v in form.getlist(name) if isinstance(v, str)]
        else:
            value = form.get(name)
            answers[name] = value if isinstance(value, str) else ""
    if step == "areas":
        answers["zones_given"] = "1"
    _keep(request, answers)
    name, choices, errors = check(app, answers)
    mine = {k: v for k, v in errors.items() if STEP_OF.get(k) == step}
    if mine:
        return render_step(request, step, answers, mine)
    following = {"roller": "when", "when": "areas", "areas": ""}[step]
    if following:
        return redirect(f"{PREFIX}/{following}")
    if errors:  # an earlier step's answer no longer holds: back to it
        first = next(s for s in FIELDS if any(STEP_OF.get(k) == s for k in errors))
        return render_step(
            request, first, answers, {k: v for k, v in errors.items() if STEP_OF.get(k) == first}
        )
    routine, plan = app.add_routine(name, **choices)
    request.session.pop(_KEY, None)
    flash(
        request,
        f"Added the routine {routine.name}: "
        f"{rules.period_phrase(plan.sessions, plan.every_weeks)} at {plan.time:%H:%M}.",
    )
    warning = rules.plan_warning(plan)
    if warning:
        flash(request, warning, "warn")
    return redirect(f"/?routine={quote(routine.name)}")


routes: list[BaseRoute] = [
    Route(PREFIX, step_page, methods=["GET"]),
    Route(PREFIX, step_post, methods=["POST"]),
    Route(PREFIX + "/{step}", step_page, methods=["GET"]),
    Route(PREFIX + "/{step}", step_post, methods=["POST"]),
]
