"""Clinic visits and series as an app of their own: Today for a person with no home plan (a needle
of 1.0 mm or longer: clinic only, DOMAIN.md), and the same page for anyone at /clinic. The facade's
visit and series use cases do the work (the CLI's `visit` commands use the same); a refused form
comes back with what was typed and the message next to its field."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import rules
from rollminder.errors import InvalidInput, RollminderError
from rollminder.service import Rollminder
from rollminder.web import forms
from rollminder.web.kit import flash, redirect, render, service


def _context(app: Rollminder) -> dict[str, Any]:
    series = app.series_status()
    now = app.local_now()
    return {
        "tz": app.zone(),
        "now_input": now.strftime("%Y-%m-%dT%H:%M"),
        "visits": app.visits(),
        "series": series,
        "series_names": {s.series.id: s.series.name for s in series},
        "clinic_only": app.clinic_only(),
        "reachable": app.reachable(),
        "now": now,
        "blackout": rules.BLACKOUT_SOURCE,
        "reason": rules.NO_HOME_PLAN_REASON,
    }


def page(
    request: Request,
    app: Rollminder,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "clinic.html",
        status,
        errors=errors or {},
        typed=typed or {},
        **_context(app),
    )


async def clinic_page(request: Request) -> Response:
    return page(request, service(request))


def _typed(form: FormData) -> dict[str, str]:
    return {k: v[:200] for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _back(app: Rollminder) -> str:
    return "/" if app.clinic_only() else "/clinic"


async def add_series(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for key, what in (("count", "The number of visits"), ("spacing_weeks", "Weeks between")):
        try:
            value = forms.whole(form, key, what)
            if value is None:
                raise InvalidInput(f"{what} is needed.")
            values[key] = value
        except InvalidInput as exc:
            errors[f"se_{key}"] = exc.message
    if not errors:
        try:
            series = app.add_series(
                name=forms.text(form, "name"),
                count=values["count"],
                spacing_weeks=values["spacing_weeks"],
            )
        except RollminderError as exc:
            field = "se_count" if "visits" in exc.message and "week" not in exc.message else ""
            field = field or ("se_spacing_weeks" if "week" in exc.message else "se_name")
            errors[field] = exc.message
        else:
            flash(request, f"Series {series.name} started: add its first visit below.")
            return redirect(_back(app) + "#add-visit")
    return page(request, app, status=400, errors=errors, typed=_typed(form))


async def add_visit(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    errors: dict[str, str] = {}
    at = None
    try:
        at = forms.local_instant(form, "at", "visit's time", app.zone())
        if at is None:
            raise InvalidInput("Give the visit's date and time.")
    except InvalidInput as exc:
        errors["v_at"] = exc.message
    if at is not None and not errors:
        try:
            visit = app.add_visit(
                at=at,
                clinic=forms.text(form, "clinic"),
                note=forms.text(form, "note"),
                series_ref=forms.text(form, "series") or None,
            )
        except RollminderError as exc:
            low = exc.message.lower()
            field = (
                "v_clinic"
                if "clinic" in low
                else "v_note"
                if "note" in low
                else "v_series"
                if "series" in low
                else "v_at"
            )
            errors[field] = exc.message
        else:
            flash(request, f"Visit of {visit.at.astimezone(app.zone()):%a %d %b %Y, %H:%M} added.")
            return redirect(_back(app))
    return page(request, app, status=400, errors=errors, typed=_typed(form))


async def delete_visit(request: Request) -> Response:
    app = service(request)
    visit = app.delete_visit(request.path_params["id"])
    flash(request, f"Deleted the visit of {visit.at.astimezone(app.zone()):%a %d %b %Y}.")
    return redirect(_back(app))


routes: list[BaseRoute] = [
    Route("/clinic", clinic_page, methods=["GET"]),
    Route("/clinic/series", add_series, methods=["POST"]),
    Route("/clinic/visit", add_visit, methods=["POST"]),
    Route("/clinic/visit/{id}/delete", delete_visit, methods=["POST"]),
]
