"""Errors as pages: a :class:`~rollminder.errors.RollminderError` becomes a 4xx page (or, for
htmx, a fragment htmx swaps in) with its one-line message; :class:`NoPlan` on a page sends the
person to the first-run wizard. 404, 405 and 500 have their own pages; nobody sees a traceback
(unexpected errors go to ``error.log`` in the data directory)."""

from __future__ import annotations

import contextlib
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from rollminder import errorlog
from rollminder.env import Env
from rollminder.errors import (
    Conflict,
    ImportFailed,
    InvalidInput,
    NoPlan,
    NotFound,
    RollminderError,
    StorageError,
)
from rollminder.web import security
from rollminder.web.kit import NAV, back_path, is_htmx, redirect, render, reset_store

STATUS_OF: tuple[tuple[type[RollminderError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (NoPlan, 409),
    (ImportFailed, 400),
    (InvalidInput, 400),
    (StorageError, 503),
)

TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "That clashes with what is stored",
    413: "Too large",
    429: "Too many tries",
    500: "Something went wrong",
    503: "The data cannot be used right now",
}


def status_for(exc: RollminderError) -> int:
    for kind, status in STATUS_OF:
        if isinstance(exc, kind):
            return status
    return 400


def error_response(request: Request, status: int, message: str) -> Response:
    title = TITLES.get(status, "That did not work")
    if is_htmx(request):
        return render(request, "_message.html", status, kind="error", message=message)
    return render(
        request,
        "error.html",
        status,
        title=title,
        message=message,
        status=status,
        back=back_path(request),
    )


async def on_rollminder_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RollminderError)
    if isinstance(exc, StorageError):
        reset_store(request)  # the next request reopens (and re-checks) the database
    if isinstance(exc, NoPlan) and request.method in ("GET", "HEAD") and not is_htmx(request):
        return redirect("/welcome")
    return error_response(request, status_for(exc), exc.message)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {
        404: "There is no such page here.",
        405: "That page does not take this kind of request.",
    }
    try:
        default = HTTPStatus(exc.status_code).phrase
    except ValueError:
        default = ""
    message = exc.detail if exc.detail and exc.detail != default else ""
    message = message or messages.get(exc.status_code, "That request cannot be served.")
    response = error_response(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def log_unexpected(env: Env, exc: BaseException) -> None:
    errorlog.log_unexpected(env.home, exc, face="web")


async def on_server_error(request: Request, exc: Exception) -> Response:
    env: Env = request.app.state.env
    log_unexpected(env, exc)
    with contextlib.suppress(Exception):
        reset_store(request)
    templates: Jinja2Templates = request.app.state.templates
    # The session may not be usable here (this handler runs outside its middleware).
    html = templates.get_template("error.html").render(
        title=TITLES[500],
        message=f"An unexpected problem stopped this page. Details were written to "
        f"{env.home / 'error.log'}.",
        status=500,
        back="/",
        nav=NAV,
        path=request.url.path,
        csrf_token="",
        flash=[],
        logged_in=False,
        password_on=False,
        request=request,
    )
    # This page is made outside the guard middleware: it adds the security headers itself.
    return HTMLResponse(html, status_code=500, headers=security.HEADER_DICT)
