"""The guided session in the browser: the pre-session check, the player, aftercare, the log.

Routes (mounted by :func:`rollminder.web.app.create_app`):

- ``GET /session``: the pre-session check on one screen (``rules.STOP_QUESTIONS`` as yes/no, with
  date fields where a question ``asks_date``), with the standing notes and the roller's wear.
  When the check is off (``Settings.session_check == 0``) it shows the player at once.
- ``POST /session/check``: runs ``rollminder.check.run_check``; on a "stop" answer it shows the
  skip that was recorded and the next slot; otherwise it sends the person to the player.
- ``GET /session/go``: the player (templates/session/player.html, static/js/session.js), which
  gets the step list of ``build_guide(plan).to_json()`` as a JSON data block. Optional query
  ``zones=forehead,neck`` and ``minutes=2`` change today's session only.
- ``GET /session/guide.json``: the same step list as JSON (same query).
- ``POST /session/log``: logs what was really rolled (seconds, zones) with the reaction and note,
  through ``Rollminder.log_session``; then ``GET /session/logged`` shows it and the next slot.
- ``GET /sw.js`` and ``GET /manifest.webmanifest``: the service worker at the root scope (with
  the version of the static files filled in) and the web app manifest, for the PWA;
  ``GET /favicon.ico``: the 192 px icon.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mimetypes
from collections.abc import Mapping
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rollminder import rules
from rollminder.errors import InvalidInput
from rollminder.guide import DIRECTION_LABELS, ZONE_LABELS, Guide, build_guide
from rollminder.limits import NOTE, SESSION_MINUTES
from rollminder.model import ALL_ZONES, REACTIONS
from rollminder.service import Rollminder
from rollminder.web import words
from rollminder.web.kit import STATIC, flash, redirect, render, service

# Starlette's StaticFiles guesses types with mimetypes, which may not know the manifest's type.
mimetypes.add_type("application/manifest+json", ".webmanifest")

MANIFEST_TYPE = "application/manifest+json"
#: The longest session a browser may report: a paused session left open for hours is still one.
MAX_ELAPSED_SECONDS = 12 * 3600
MAX_ROLLED_SECONDS = int(SESSION_MINUTES.hi * 60)  # the longest session there is
#: A treatment date given without a time counts from the end of that day: the hold is never
#: shorter than the rule asks (the treatment may have been late in the evening).
DAY_END = dt.time(23, 59)


def check_wanted(app: Rollminder) -> bool:
    """Whether ``/session`` asks the pre-session check first."""
    return app.settings().session_check != 0


# -- what the pages show -------------------------------------------------------------------------


def _standing(app: Rollminder) -> dict[str, Any]:
    """Standing notes, the roller's wear and the schedule's state: shown before rolling."""
    plan = app.plan()
    notes: list[str] = []
    warning = rules.plan_warning(plan)
    if warning:
        notes.append(warning)
    notes.extend(app.clinician_notes())
    roller = app.current_roller()
    wear = app.roller_wear(roller.id) if roller is not None else None
    status, upcoming = app.next(1)
    return {
        "plan": plan,
        "notes": notes,
        "wear": wear,
        "status": status,
        "caution": words.caution_text(status),
        "next_slot": upcoming[0] if upcoming else None,
    }


def _guide(app: Rollminder, query: Mapping[str, str]) -> Guide:
    plan = app.plan()
    zones_text = query.get("zones", "").strip()
    zones = [z.strip() for z in zones_text.split(",") if z.strip()] if zones_text else None
    minutes: float | None = None
    if query.get("minutes", "").strip():
        try:
            minutes = float(query["minutes"])
        except ValueError:
            raise InvalidInput("Minutes must be a number between 1 and 30.") from None
    return build_guide(plan, zones=zones, minutes=minutes)


def guide_data(guide: Guide) -> dict[str, Any]:
    """What the player reads: the guide's JSON plus the direction labels."""
    data = guide.to_json()
    data["direction_labels"] = DIRECTION_LABELS
    return data


def json_block(data: object) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


# -- routes ----------------------------------------------------------------------------------------


async def session_page(request: Request) -> Response:
    app = service(request)
    if not check_wanted(app):
        return _player(request, app)
    return render(
        request,
        "session/check.html",
        questions=rules.STOP_QUESTIONS,
        holds={q.key: rules.fmt_hours(q.hold_hours) for q in rules.STOP_QUESTIONS if q.hold_hours},
        **_standing(app),
    )


def _answers(form: Mapping[str, Any]) -> dict[str, bool]:
    answers: dict[str, bool] = {}
    for question in rules.STOP_QUESTIONS:
        value = form.get(f"q_{question.key}")
        if value not in ("yes", "no"):
            raise InvalidInput(f"Answer every question with yes or no: {question.text}")
        answers[question.key] = value == "yes"
    return answers


def _dates(
    form: Mapping[str, Any], answers: Mapping[str, bool], zone: ZoneInfo, now: dt.datetime
) -> dict[str, dt.datetime]:
    dates: dict[str, dt.datetime] = {}
    for question in rules.STOP_QUESTIONS:
        if not question.asks_date or not answers.get(question.key):
            continue
        day_text = str(form.get(f"date_{question.key}", "")).strip()
        time_text = str(form.get(f"time_{question.key}", "")).strip()
        if not day_text:
            if time_text:
                raise InvalidInput(f"Give the day as well as the time: {question.text}")
            continue
        try:
            day = dt.date.fromisoformat(day_text)
            at = dt.time.fromisoformat(time_text) if time_text else DAY_END
        except ValueError:
            raise InvalidInput(
                f"Give the date as YYYY-MM-DD and the time as HH:MM: {question.text}"
            ) from None
        when = dt.datetime.combine(day, at.replace(second=0, microsecond=0, tzinfo=None), zone)
        if when.year < rules.MIN_YEAR:
            raise InvalidInput(f"That date is too far in the past: {question.text}")
        if when > now + dt.timedelta(minutes=1):
            if time_text or day > now.astimezone(zone).date():
                raise InvalidInput(f"That date is in the future: {question.text}")
            when = now  # today, no time given: count from now
        dates[question.key] = when
    return dates


async def check_post(request: Request) -> Response:
    app = service(request)
    if not check_wanted(app):
        return redirect("/session/go")
    form = await request.form()
    answers = _answers(form)
    dates = _dates(form, answers, app.zone(), app.now())
    outcome = app.run_check(answers, dates)
    if outcome.ok:
        return redirect("/session/go")
    question = next((q for q in rules.STOP_QUESTIONS if q.key == outcome.stopped_by), None)
    return render(
        request,
        "session/stopped.html",
        outcome=outcome,
        question=question,
        zone=app.zone(),
    )


def _player(request: Request, app: Rollminder) -> Response:
    guide = _guide(app, request.query_params)
    return render(
        request,
        "session/player.html",
        guide=guide,
        guide_json=json_block(guide_data(guide)),
        zone_labels=ZONE_LABELS,
        reactions=REACTIONS,
        max_note=NOTE.most,
        **_standing(app),
    )


async def player_page(request: Request) -> Response:
    return _player(request, service(request))


async def guide_json(request: Request) -> Response:
    guide = _guide(service(request), request.query_params)
    return JSONResponse(guide.to_json(), headers={"cache-control": "no-store"})


def _whole(form: Mapping[str, Any], name: str, what: str, low: int, high: int) -> int:
    text = str(form.get(name, "")).strip()
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"{what} must be a whole number of seconds.") from None
    if not low <= value <= high:
        raise InvalidInput(f"{what} must be between {low} and {high} seconds.")
    return value


async def log_post(request: Request) -> Response:
    app = service(request)
    form = await request.form()
    rolled = _whole(form, "rolled_seconds", "The rolled time", 0, MAX_ROLLED_SECONDS)
    if rolled < 1:
        raise InvalidInput("Nothing was rolled, so there is nothing to log.")
    elapsed_text = str(form.get("elapsed_seconds", "")).strip()
    elapsed = (
        _whole(form, "elapsed_seconds", "The session's length", 0, MAX_ELAPSED_SECONDS)
        if elapsed_text
        else rolled
    )
    zones = [z.strip() for z in str(form.get("zones", "")).split(",") if z.strip()]
    unknown = [z for z in zones if z not in ALL_ZONES]
    if unknown or not zones:
        raise InvalidInput("Say which zones were rolled: " + ", ".join(ALL_ZONES) + ".")
    reaction = str(form.get("reaction", "")).strip() or None
    note = str(form.get("note", ""))
    roller = app.current_roller()
    logged = app.log_guided(
        started=app.now() - dt.timedelta(seconds=max(elapsed, rolled)),
        rolled_seconds=rolled,
        zones=zones,
        roller_id=roller.id if roller else None,
        reaction=reaction,
        note=note,
    )
    assert logged is not None  # rolled >= 1 and zones are given
    flash(request, "Session logged.")
    for warning in logged.warnings:
        flash(request, warning, "warn")
    return redirect("/session/logged")


async def logged_page(request: Request) -> Response:
    app = service(request)
    day_ago = app.now() - dt.timedelta(days=1)
    recent = app.history(since=day_ago)
    return render(
        request,
        "session/logged.html",
        last=recent[-1] if recent else None,
        zone=app.zone(),
        zone_labels=ZONE_LABELS,
        **_standing(app),
    )


# -- the PWA files ---------------------------------------------------------------------------------


@cache
def _shell() -> tuple[str, list[str]]:
    """A version hash of the static files and their URLs (what the service worker precaches)."""
    digest = hashlib.sha256()
    urls: list[str] = []
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        rel = path.relative_to(STATIC).as_posix()
        if rel == "sw.js" or path.name.startswith("."):
            continue
        digest.update(rel.encode() + b"\0" + path.read_bytes())
        urls.append(f"/static/{rel}")
    return digest.hexdigest()[:16], urls


async def service_worker(request: Request) -> Response:
    version, urls = _shell()
    text = (STATIC / "sw.js").read_text(encoding="utf-8")
    text = text.replace('var VERSION = "dev";', f"var VERSION = {json.dumps(version)};", 1)
    text = text.replace("var SHELL = [];", f"var SHELL = {json.dumps(urls)};", 1)
    return Response(
        text,
        media_type="text/javascript",
        headers={"cache-control": "no-cache", "service-worker-allowed": "/"},
    )


async def manifest(request: Request) -> Response:
    return Response(
        (STATIC / "manifest.webmanifest").read_bytes(),
        media_type=MANIFEST_TYPE,
        headers={"cache-control": "no-cache"},
    )


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico on pages without an icon link (JSON, the feed)."""
    return Response(
        (STATIC / "icons" / "icon-192.png").read_bytes(),
        media_type="image/png",
        headers={"cache-control": "max-age=86400"},
    )


routes: list[BaseRoute] = [
    Route("/session", session_page, methods=["GET"], name="session"),
    Route("/session/check", check_post, methods=["POST"], name="session_check"),
    Route("/session/go", player_page, methods=["GET"], name="session_player"),
    Route("/session/guide.json", guide_json, methods=["GET"], name="session_guide"),
    Route("/session/log", log_post, methods=["POST"], name="session_log"),
    Route("/session/logged", logged_page, methods=["GET"], name="session_logged"),
    Route("/sw.js", service_worker, methods=["GET"], name="service_worker"),
    Route("/manifest.webmanifest", manifest, methods=["GET"], name="manifest"),
    Route("/favicon.ico", favicon, methods=["GET"], name="favicon"),
]
