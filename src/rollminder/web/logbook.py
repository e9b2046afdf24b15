"""The log: sessions and skips (added back-dated, edited, deleted), pauses, rollers, visits, series.

Every change goes through :class:`~rollminder.service.Rollminder`; a refused one raises, which
the app turns into a one-line 4xx page, and nothing is changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder.errors import InvalidInput
from rollminder.guide import ZONE_LABELS
from rollminder.model import ALL_ZONES, REACTIONS, Session, Skip
from rollminder.service import Rollminder, check_reaction
from rollminder.web import forms, words
from rollminder.web.kit import flash, flash_undo, redirect, render, service

#: How far back the log page lists entries unless asked for everything.
RECENT_DAYS = 120


def _entries(app: Rollminder, everything: bool) -> list[tuple[dt.datetime, str, Session | Skip]]:
    since = None if everything else app.now() - dt.timedelta(days=RECENT_DAYS)
    rows: list[tuple[dt.datetime, str, Session | Skip]] = [
        (s.start, "session", s) for s in app.history(since)
    ]
    rows += [(k.slot, "skip", k) for k in app.skips(since)]
    rows.sort(key=lambda row: row[0], reverse=True)
    return rows


def _today(app: Rollminder) -> dt.date:
    return app.local_now().date()


def _local_input(app: Rollminder, when: dt.datetime) -> str:
    """A value for ``<input type="datetime-local">`` in the plan's zone."""
    return when.astimezone(app.zone()).strftime("%Y-%m-%dT%H:%M")


#: The log's pages, in the order of its sub-nav: (path, label).
LOG_PAGES = (
    ("/log", "Sessions"),
    ("/log/pauses", "Pauses"),
    ("/log/rollers", "Rollers"),
    ("/log/visits", "Visits and series"),
)


def _page(
    request: Request, name: str, app: Rollminder, status: int = 200, **context: Any
) -> Response:
    today = app.local_now().date()
    return render(
        request,
        name,
        status,
        plan=app.plan(),
        tz=app.zone(),
        today=today,
        today_iso=today.isoformat(),
        log_pages=LOG_PAGES,
        when=words.when,
        day=words.day_of,
        duration=words.duration,
        **context,
    )


async def log_page(request: Request) -> Response:
    """Sessions and skips: add one, and the list (edit, delete after a confirmation)."""
    app = service(request)
    app.plan()  # NoPlan: the wizard
    everything = request.query_params.get("all") == "1"
    entries = _entries(app, everything)
    partial = app.partial_sessions([row for _, kind, row in entries if isinstance(row, Session)])
    return _page(
        request,
        "log.html",
        app,
        entries=entries,
        partial=partial,
        everything=everything,
        recent_days=RECENT_DAYS,
        now_input=_local_input(app, app.now()),
        zones=[(z, ZONE_LABELS[z]) for z in ALL_ZONES],
        reactions=REACTIONS,
    )


async def pauses_page(request: Request) -> Response:
    app = service(request)
    app.plan()
    return _page(request, "log_pauses.html", app, pauses=app.pauses(), errors={}, typed={})


async def rollers_page(request: Request) -> Response:
    app = service(request)
    app.plan()
    rollers = app.rollers()
    return _page(
        request,
        "log_rollers.html",
        app,
        rollers=rollers,
        # Wear only for rollers still in use: a retired one needs no countdown (and ten years
        # of rollers would each cost a count).
        wear={r.id: app.roller_wear(r.id) for r in rollers if r.retired is None},
    )


async def visits_page(request: Request) -> Response:
    app = service(request)
    app.plan()
    series = app.series_status()
    return _page(
        request,
        "log_visits.html",
        app,
        visits=app.visits(),
        series=series,
        series_names={s.series.id: s.series.name for s in series},
    )


def _flag(form: Any, name: str) -> bool:
    """A checkbox: absent is no, "1" (or a browser's "on") is yes; anything else is refused."""
    value = form.get(name)
    if value is None:
        return False
    if value in ("1", "on"):
        return True
    raise InvalidInput(f"The {name.replace('_', ' ')} box is either ticked or not.")


def _reaction(value: str) -> str | None:
    return check_reaction(value) if value else None


async def add_session(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    zones = forms.choices(form, "zones", ALL_ZONES, "zone")
    logged = app.log_session(
        at=forms.local_instant(form, "at", "session's time", app.zone()),
        minutes=forms.number(form, "minutes", "Minutes"),
        zones=zones or None,
        reaction=_reaction(forms.text(form, "reaction")),
        note=forms.text(form, "note"),
        second_today=_flag(form, "second_today"),
    )
    local = logged.session.start.astimezone(app.zone())
    flash(request, f"Logged a session: {words.when(local, _today(app))}.")
    for warning in logged.warnings:
        flash(request, warning, "warn")
    return redirect("/log")


async def add_skip(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    skip = app.skip(
        slot=forms.local_instant(form, "slot", "slot", app.zone()),
        reason=forms.text(form, "reason"),
        catch_up=_flag(form, "catch_up"),
    )
    flash(
        request,
        f"Skipped the slot of {words.day_of(skip.slot.astimezone(app.zone()), _today(app))}.",
    )
    return redirect("/log")


def _find_entry(app: Rollminder, kind: str, rid: str) -> Session | Skip:
    rows: list[Session] | list[Skip] = app.history() if kind == "session" else app.skips()
    for row in rows:
        if row.id == rid:
            return row
    raise HTTPException(404, f"There is no such {kind}.")


async def edit_page(request: Request) -> Response:
    app = service(request)
    kind, rid = request.path_params["kind"], request.path_params["id"]
    if kind not in ("session", "skip"):
        raise HTTPException(404)
    row = _find_entry(app, kind, rid)
    when = row.start if isinstance(row, Session) else row.slot
    return render(
        request,
        "log_edit.html",
        kind=kind,
        row=row,
        when=_local_input(app, when),
        zones=[(z, ZONE_LABELS[z]) for z in ALL_ZONES],
        reactions=REACTIONS,
    )


async def edit(request: Request) -> Response:
    app = service(request)
    kind, rid = request.path_params["kind"], request.path_params["id"]
    if kind not in ("session", "skip"):
        raise HTTPException(404)
    _find_entry(app, kind, rid)
    form = await request.form()
    if kind == "session":
        zones = forms.choices(form, "zones", ALL_ZONES, "zone")
        logged = app.edit_session(
            rid,
            at=forms.local_instant(form, "at", "session's time", app.zone()),
            minutes=forms.number(form, "minutes", "Minutes"),
            zones=zones or None,
            reaction=_reaction(forms.text(form, "reaction")),
            note=forms.text(form, "note"),
        )
        flash_undo(request, "Session changed.")
        for warning in logged.warnings:
            flash(request, warning, "warn")
    else:
        app.edit_skip(
            rid,
            slot=forms.local_instant(form, "slot", "slot", app.zone()),
            reason=forms.text(form, "reason"),
        )
        flash_undo(request, "Skip changed.")
    return redirect("/log")


async def delete(request: Request) -> Response:
    app = service(request)
    kind, rid = request.path_params["kind"], request.path_params["id"]
    if kind not in ("session", "skip"):
        raise HTTPException(404)
    _find_entry(app, kind, rid)
    what = app.delete_entry(rid)
    flash_undo(request, f"Deleted the {what}.")
    return redirect("/log")


# -- pauses --------------------------------------------------------------------------------------


async def add_pause(request: Request) -> Response:
    """A pause; a refused answer shows the page again with every answer as typed and the
    message next to its field (status 400), never the error page."""
    app = service(request)
    form = await request.form()
    errors: dict[str, str] = {}
    first = last = None
    try:
        first = forms.day(form, "first", "pause's first day")
    except InvalidInput as exc:
        errors["first"] = exc.message
    try:
        last = forms.day(form, "last", "pause's last day")
    except InvalidInput as exc:
        errors["last"] = exc.message
    if not errors and (first is None or last is None):
        errors["first" if first is None else "last"] = "Give the pause's first and last day."
    if not errors:
        assert first is not None and last is not None
        try:
            pause = app.pause(first, last, forms.text(form, "reason"))
        except InvalidInput as exc:
            errors["reason" if "reason" in exc.message.lower() else "last"] = exc.message
    if errors:
        typed = {k: str(form.get(k, ""))[:500] for k in ("first", "last", "reason")}
        return _page(
            request,
            "log_pauses.html",
            app,
            status=400,
            pauses=app.pauses(),
            errors=errors,
            typed=typed,
        )
    today = _today(app)
    begins, ends = words.day_of(pause.first, today), words.day_of(pause.last, today)
    flash(request, f"Paused from {begins} through {ends}.")
    return redirect("/log/pauses")


async def cancel_pause(request: Request) -> Response:
    app = service(request)
    pause = app.cancel_pause(request.path_params["id"])
    flash_undo(request, f"Cancelled the pause from {words.day_of(pause.first, _today(app))}.")
    return redirect("/log/pauses")


async def resume(request: Request) -> Response:
    app = service(request)
    ended = app.resume()
    flash(request, "Resumed: reminders and sessions are back." if ended else "Nothing was paused.")
    return redirect("/")


# -- rollers -------------------------------------------------------------------------------------


async def add_roller(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    new, previous = app.add_roller(
        label=forms.text(form, "label"),
        needle_mm=forms.number(form, "needle_mm", "The needle length"),
        first_use=forms.day(form, "first_use", "first use"),
        initial_uses=forms.whole(form, "uses", "Earlier uses") or 0,
    )
    flash(request, f"Added {new.label} as your current roller.")
    if previous is not None:
        flash(request, f"Retired {previous.label}.")
    return redirect("/log/rollers")


async def retire_roller(request: Request) -> Response:
    app = service(request)
    roller = app.retire_roller(request.path_params["id"])
    flash_undo(request, f"Retired {roller.label}.")
    return redirect("/log/rollers")


# -- visits and series ---------------------------------------------------------------------------


async def add_visit(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    at = forms.local_instant(form, "at", "visit's time", app.zone())
    if at is None:
        raise InvalidInput("Give the visit's date and time.")
    series = forms.text(form, "series")
    visit = app.add_visit(
        at=at,
        clinic=forms.text(form, "clinic"),
        note=forms.text(form, "note"),
        series_ref=series or None,
    )
    flash(
        request,
        f"Recorded the visit of {words.day_of(visit.at.astimezone(app.zone()), _today(app))}.",
    )
    return redirect("/log/visits")


async def delete_visit(request: Request) -> Response:
    app = service(request)
    visit = app.delete_visit(request.path_params["id"])
    flash_undo(
        request,
        f"Deleted the visit of {words.day_of(visit.at.astimezone(app.zone()), _today(app))}.",
    )
    return redirect("/log/visits")


async def add_series(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    count = forms.whole(form, "count", "The number of visits")
    spacing = forms.whole(form, "spacing_weeks", "Weeks between visits")
    if count is None or spacing is None:
        raise InvalidInput("Give the number of visits and the weeks between them.")
    series = app.add_series(name=forms.text(form, "name"), count=count, spacing_weeks=spacing)
    flash(request, f"Added the series {series.name}.")
    return redirect("/log/visits")


routes: list[BaseRoute] = [
    Route("/log", log_page, methods=["GET"]),
    Route("/log/pauses", pauses_page, methods=["GET"]),
    Route("/log/rollers", rollers_page, methods=["GET"]),
    Route("/log/visits", visits_page, methods=["GET"]),
    Route("/log/session", add_session, methods=["POST"]),
    Route("/log/skip", add_skip, methods=["POST"]),
    Route("/log/pause", add_pause, methods=["POST"]),
    Route("/log/pause/{id}/cancel", cancel_pause, methods=["POST"]),
    Route("/log/resume", resume, methods=["POST"]),
    Route("/log/roller", add_roller, methods=["POST"]),
    Route("/log/roller/{id}/retire", retire_roller, methods=["POST"]),
    Route("/log/visit", add_visit, methods=["POST"]),
    Route("/log/visit/{id}/delete", delete_visit, methods=["POST"]),
    Route("/log/series", add_series, methods=["POST"]),
    # Last: the generic session/skip routes would otherwise take /log/visit/ID/delete.
    Route("/log/{kind}/{id}/edit", edit_page, methods=["GET"]),
    Route("/log/{kind}/{id}/edit", edit, methods=["POST"]),
    Route("/log/{kind}/{id}/delete", delete, methods=["POST"]),
]
