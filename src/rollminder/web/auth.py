"""Login and logout, and the token-guarded links: the calendar feed and Done / Snooze actions."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import time
from email.utils import format_datetime, parsedate_to_datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder import calendar
from rollminder.remind import engine
from rollminder.service import Rollminder
from rollminder.web import security, signins
from rollminder.web.kit import flash, redirect, render, service


def _safe_next(target: str) -> str:
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# -- login ---------------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    if not request.app.state.password_on:
        return redirect("/")
    return render(request, "login.html", next=_safe_next(request.query_params.get("next", "/")))


async def login(request: Request) -> Response:
    limit: security.LoginLimit = request.app.state.login_limit
    client = request.client.host if request.client else "?"
    wait = limit.blocked_for(client)
    if wait:
        minutes = max(1, round(wait / 60))
        response = render(
            request,
            "login.html",
            429,
            error=f"Too many wrong passwords: try again in {minutes} min.",
            next="/",
        )
        response.headers["retry-after"] = str(int(wait) + 1)
        return response
    form = await request.form()
    given = form.get("password")
    target = _safe_next(str(form.get("next") or "/"))
    stored = service(request).secret(security.PASSWORD)
    if not isinstance(given, str) or stored is None or not security.verify_password(given, stored):
        limit.failed(client)
        return render(request, "login.html", 401, error="Wrong password.", next=target)
    limit.succeeded(client)
    request.session.clear()
    request.session["user"] = True
    # The record that makes this cookie worth something (signins.start_session).
    request.session["sid"] = signins.start_session(service(request), time.time())
    request.session["csrf"] = security.new_token()  # a fresh token for the logged-in session
    return redirect(target)


async def logout(request: Request) -> Response:
    """Sign out: this session's record goes, so a copy of its cookie no longer works."""
    signins.end_session(service(request), request.session.get("sid"), time.time())
    request.session.clear()
    return redirect("/login" if request.app.state.password_on else "/")


# -- the calendar feed ---------------------------------------------------------------------------


def _check(app: Rollminder, name: str, given: str) -> None:
    if not security.same_token(given, app.secret(name)):
        raise HTTPException(404, "There is no such page here.")


class FeedVersions:
    """When each profile's feed last changed, as this process saw it (Last-Modified).

    The feed is a pure function of the data and the clock (a slot enters the window, a day
    passes), so no stored date says when its bytes changed. This remembers, per feed token, the
    ETag last served and when it was first computed; a new body gets a Last-Modified after the
    one before (at least a second later), so If-Modified-Since never keeps a changed feed. After a
    restart the first request's time is used: later than the real change, never earlier.
    """

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, dt.datetime]] = {}

    def modified(self, key: str, etag: str, now: dt.datetime) -> dt.datetime:
        now = now.astimezone(dt.UTC).replace(microsecond=0)
        known = self._seen.get(key)
        if known is not None and known[0] == etag:
            return known[1]
        when = now if known is None else max(now, known[1] + dt.timedelta(seconds=1))
        if len(self._seen) > 64:  # tokens rotated away: forget the oldest
            self._seen.pop(next(iter(self._seen)))
        self._seen[key] = (etag, when)
        return when


FEED_VERSIONS = FeedVersions()


def _wants_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip"):
            continue
        q = params.strip().lower()
        if q.startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def _not_modified(request: Request, etags: tuple[str, ...], modified: dt.datetime) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present (weak comparison), else
    If-Modified-Since."""
    match = request.headers.get("if-none-match")
    if match is not None:
        given = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in given or any(tag in given for tag in etags)
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        return False
    return modified <= when


async def feed(request: Request) -> Response:
    """The live iCalendar feed: strong ETag and Last-Modified, 304 on a conditional GET that
    matches, gzip when the client accepts it (the bytes are the same each time: mtime 0)."""
    app = service(request, per_routine=False)  # every routine's slots; the token is the key
    tok = request.path_params["token"]
    _check(app, security.FEED_TOKEN, tok)
    body = calendar.feed(app)
    digest = hashlib.sha256(body).hexdigest()[:32]
    plain, zipped = f'"{digest}"', f'"{digest}-gzip"'
    modified = FEED_VERSIONS.modified(tok, plain, app.now())
    use_gzip = _wants_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "cache-control": "private, max-age=300",
        "etag": zipped if use_gzip else plain,
        "last-modified": format_datetime(modified, usegmt=True),
        "vary": "Accept-Encoding",
    }
    if _not_modified(request, (plain, zipped), modified):
        return Response(status_code=304, headers=headers)
    if use_gzip:
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers["content-encoding"] = "gzip"
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


# -- Done / Snooze from a notification -----------------------------------------------------------

ACTIONS = ("done", "snooze")


async def act_page(request: Request) -> Response:
    """A notification's link opens this page; its button posts the action (never a GET)."""
    app = service(request, per_routine=False)
    tok, action = request.path_params["token"], request.path_params["action"]
    if action not in ACTIONS:
        raise HTTPException(404)
    _check(app, security.ACTION_TOKEN, tok)
    status, slots = app.next(1)
    return render(request, "act.html", action=action, token=tok, status=status, slots=slots)


async def act(request: Request) -> Response:
    app = service(request, per_routine=False)  # Done and Snooze act on every open routine
    tok, action = request.path_params["token"], request.path_params["action"]
    if action not in ACTIONS:
        raise HTTPException(404)
    _check(app, security.ACTION_TOKEN, tok)
    if action == "done":  # a reminder can name two routines due together: both (issue 12)
        found = engine.done_open(app)
        local = found[0].session.start.astimezone(app.zone())
        message = (
            f"Logged a session at {local:%H:%M}."
            if len(found) == 1
            else (f"Logged {len(found)} sessions at {local:%H:%M}.")
        )
        for logged in found:
            for warning in logged.warnings:
                message += f" {warning}"
    else:
        snoozed = engine.snooze_open(app)
        message = f"Snoozed: reminded again at {snoozed[0].until.astimezone(app.zone()):%H:%M}."
    if request.headers.get("accept", "").startswith("text/plain"):
        return Response(message + "\n", media_type="text/plain")
    flash(request, message)
    return redirect("/")


def snooze(app: Rollminder, minutes: int = 30) -> str:
    """Snooze the open slot's reminder (``rollminder.remind.engine.snooze``); one line."""
    snoozed = engine.snooze(app, minutes=minutes)
    local = snoozed.until.astimezone(app.zone())
    return f"Snoozed: reminded again at {local:%H:%M}."


routes: list[BaseRoute] = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/feed/{token}.ics", feed, methods=["GET"]),
    Route("/act/{token}/{action}", act_page, methods=["GET"]),
    Route("/act/{token}/{action}", act, methods=["POST"]),
]
