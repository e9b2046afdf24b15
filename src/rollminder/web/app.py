"""The local web app: Starlette + Jinja2, served by ``rollminder serve`` (uvicorn).

Hooks for every page module (web/pages.py, web/logbook.py, web/session.py, ...):

- A module exposes ``routes: list[BaseRoute]``; :func:`create_app` mounts them.
- Endpoints are ``async def`` and call :func:`service` for the :class:`Rollminder` of this
  request, over the thread's store (:class:`StoreCache`: kept open between requests). SQLite
  connections are single-thread, so do the work in the endpoint itself (not in a thread pool).
- :func:`render` renders a template with ``request``, ``csrf_token``, ``app`` (the service),
  ``flash`` (messages set with :func:`flash` before a redirect), ``nav`` and the given context.
- Every unsafe request (POST, PUT, PATCH, DELETE) needs the CSRF token: the hidden form field
  ``csrf_token`` (``{{ csrf_field() }}`` in a template) or the header ``X-CSRF-Token`` (htmx sends
  it: base.html sets ``hx-headers``). The check runs before any route (security.GuardMiddleware).
- A :class:`~rollminder.errors.RollminderError` raised by an endpoint becomes a 4xx page (or, for
  htmx, a fragment that htmx swaps in) with its one-line message; :class:`NoPlan` on a page sends
  the person to the first-run wizard. 404, 405 and 500 have their own pages; nobody sees a
  traceback (unexpected errors go to ``error.log`` in the data directory).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import traceback
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

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
from rollminder.service import Rollminder
from rollminder.store.sqlite import SqliteStore
from rollminder.web import security
from rollminder.web.cache import Memo

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

#: Request bodies: forms are small; the import upload may be larger (the CLI allows 50 MB).
MAX_FORM_BYTES = 256 * 1024
MAX_IMPORT_BYTES = 10 * 1024 * 1024
IMPORT_PATH = "/settings/import"

_APP_KEY = "rollminder.app"

NAV = (
    ("/", "Today"),
    ("/session", "Session"),
    ("/log", "Log"),
    ("/history", "History"),
    ("/settings", "Settings"),
)


# -- per-request service -------------------------------------------------------------------------


class StoreCache:
    """One open store per thread, kept between requests (opening one costs about as much as
    answering the dashboard). Endpoints are ``async def``, so in practice this is one store on the
    event loop's thread. It is reopened when the UTC day changes (opening takes the daily backup),
    after a storage error, and after a restore; all are closed at shutdown."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self._local = threading.local()
        self._open: weakref.WeakSet[SqliteStore] = weakref.WeakSet()

    def get(self) -> SqliteStore:
        day = self.env.now().astimezone(dt.UTC).date()
        entry: tuple[SqliteStore, dt.date] | None = getattr(self._local, "entry", None)
        if entry is not None and entry[1] == day:
            return entry[0]
        self.reset()
        store = self.env.open_store()
        self._local.entry = (store, day)
        self._open.add(store)
        return store

    def reset(self) -> None:
        """Close this thread's store; the next request opens a fresh one."""
        entry = getattr(self._local, "entry", None)
        self._local.entry = None
        if entry is not None:
            self._open.discard(entry[0])
            with contextlib.suppress(Exception):
                entry[0].close()

    def close_all(self) -> None:
        self.reset()
        for store in list(self._open):
            with contextlib.suppress(Exception):  # another thread's connection: GC closes it
                store.close()


def service(request: Request) -> Rollminder:
    """The :class:`Rollminder` for this request."""
    app = request.scope.get(_APP_KEY)
    if app is None:
        env: Env = request.app.state.env
        app = Rollminder(request.app.state.stores.get(), env.now)
        request.scope[_APP_KEY] = app
    assert isinstance(app, Rollminder)
    return app


def reset_store(request: Request) -> None:
    """Close the store (before a restore replaces the file under it, or after an error)."""
    request.scope.pop(_APP_KEY, None)
    request.app.state.stores.reset()


# -- rendering -----------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = security.new_token()
        request.session["csrf"] = token
    return token


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A one-line message shown on the next page rendered (after a redirect)."""
    messages = list(request.session.get("flash", []))[-4:]
    messages.append([kind, " ".join(str(message).split())[:500]])
    request.session["flash"] = messages


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` with the shared context (see the module docstring)."""
    templates: Jinja2Templates = request.app.state.templates
    # An htmx fragment leaves the flash messages for the next full page.
    keep = is_htmx(request) or "session" not in request.scope
    messages = [] if keep else request.session.pop("flash", [])
    token = csrf_token(request) if "session" in request.scope else ""
    base: dict[str, Any] = {
        "csrf_token": token,
        "flash": messages,
        "nav": NAV,
        "path": request.url.path,
        "logged_in": bool(request.session.get("user")) if "session" in request.scope else False,
        "password_on": request.app.state.password_on,
    }
    if "app" not in context and _APP_KEY in request.scope:
        base["app"] = request.scope[_APP_KEY]
    base.update(context)
    response = templates.TemplateResponse(request, name, base, status_code=status_code)
    response.headers.setdefault("cache-control", "no-store")
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def back_path(request: Request, fallback: str = "/") -> str:
    """The page a form came from (same origin only), to link back to after an error."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return fallback
    path = parts.path or fallback
    if not path.startswith("/") or path.startswith("//"):
        return fallback
    return path + (f"?{parts.query}" if parts.query else "")


# -- errors --------------------------------------------------------------------------------------

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
    with contextlib.suppress(OSError):
        env.home.mkdir(parents=True, exist_ok=True)
        with (env.home / "error.log").open("a", encoding="utf-8") as fh:
            fh.write(f"--- web {dt.datetime.now(dt.UTC).isoformat()}\n")
            fh.write("".join(traceback.format_exception(exc)))


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
    return HTMLResponse(html, status_code=500)


# -- login gate ----------------------------------------------------------------------------------

#: Paths served without a login: the login page itself, static files, and the token-guarded
#: feed and action links (their secret token is the credential).
OPEN_PREFIXES = ("/login", "/static/", "/feed/", "/act/", "/sw.js", "/manifest.webmanifest")


class LoginMiddleware:
    """When a password is set, every page but the open ones needs a logged-in session."""

    def __init__(self, app: ASGIApp, *, required: Callable[[], bool]) -> None:
        self.app = app
        self.required = required

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.required():
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "/")
        if path.startswith(OPEN_PREFIXES) or scope.get("session", {}).get("user"):
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD"):
            from urllib.parse import quote

            target = "/login?next=" + quote(path, safe="/")
            response: Response = RedirectResponse(target, status_code=303)
        else:
            response = Response("Log in first.", status_code=401, media_type="text/plain")
        await response(scope, receive, send)


LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def host_name(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"host":
            text = str(value.decode("latin-1")).strip().lower()
            if text.startswith("["):
                return text.split("]", 1)[0] + "]"
            return text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    return ""


class LoopbackHostMiddleware:
    """Without a password the app is for this computer only: it answers only requests addressed
    to a loopback name. That stops DNS rebinding (a web page whose own host name is made to point
    at 127.0.0.1 could otherwise read the app through the person's browser)."""

    def __init__(self, app: ASGIApp, *, active: Callable[[], bool]) -> None:
        self.app = app
        self.active = active

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.active() and host_name(scope) not in LOOPBACK_NAMES:
            response = Response(
                "rollminder answers only on 127.0.0.1 or localhost (no password is set).",
                status_code=421,
                media_type="text/plain",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


# -- the reminder loop ---------------------------------------------------------------------------


def action_links(base_url: str) -> Callable[[Rollminder], dict[str, str]]:
    """What the reminder loop appends to a session reminder: the Done and Snooze links of this
    server, with the profile's action token (read on each pass, so a rotated token is used at
    once)."""
    base = base_url.rstrip("/")

    def links(app: Rollminder) -> dict[str, str]:
        from rollminder.web.auth import token

        secret = token(app, security.ACTION_TOKEN)
        return {
            "Done": f"{base}/act/{secret}/done",
            "Snooze 30 min": f"{base}/act/{secret}/snooze",
        }

    return links


def run_reminder_loop(
    env: Env, *, links: Callable[[Rollminder], dict[str, str]] | None = None
) -> Callable[[], None]:
    """Run the reminder loop (``rollminder.remind.daemon.run``) in a thread of this process, with
    ``links`` for the session reminders; returns the function that stops it."""
    from rollminder.remind import daemon

    stop = threading.Event()
    thread = threading.Thread(
        target=daemon.run,
        args=(env, stop),
        kwargs={"links": links},
        name="rollminder-reminders",
        daemon=True,
    )
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=10)

    return stopper


# -- the app -------------------------------------------------------------------------------------


def _page_routes() -> list[BaseRoute]:
    from rollminder.web import auth, history, logbook, pages, settings
    from rollminder.web.session import routes as session_routes

    return [
        *auth.routes,
        *pages.routes,
        *logbook.routes,
        *history.routes,
        *settings.routes,
        *session_routes,
    ]


def _secrets(env: Env) -> tuple[str, bool]:
    """The session-cookie key (made on first use) and whether a password is set."""
    with env.open_store() as store:
        key = store.secret(security.SESSION_KEY)
        if key is None:
            key = security.new_token() + security.new_token()
            store.put_secret(security.SESSION_KEY, key)
        return key, store.secret(security.PASSWORD) is not None


def create_app(
    env: Env,
    *,
    host: str = "127.0.0.1",
    start_reminders: bool = True,
    https: bool = False,
    max_import_bytes: int = MAX_IMPORT_BYTES,
    base_url: str | None = None,
) -> Starlette:
    """The web app for ``env``'s profile.

    ``host`` is where it will listen: off loopback a password must be set (this raises
    :class:`InvalidInput` otherwise, before anything listens). ``https`` marks the session cookie
    Secure. ``start_reminders`` runs the reminder loop in a thread while the app runs; with
    ``base_url`` (where this server is reached, e.g. ``http://127.0.0.1:8765``) its session
    reminders carry the Done and Snooze links (docs/reminders.md).
    """
    session_key, password_on = _secrets(env)
    if not security.is_loopback(host) and not password_on:
        raise InvalidInput(
            f"Serving on {host} lets other devices reach your data: set a password first "
            "with 'rollminder password set' (or serve on 127.0.0.1)."
        )
    run_reminders = start_reminders

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        links = action_links(base_url) if base_url else None
        stopper = run_reminder_loop(env, links=links) if run_reminders else None
        try:
            yield
        finally:
            if stopper is not None:
                stopper()
            app.state.stores.close_all()

    def max_body(path: str) -> int:
        return max_import_bytes if path == IMPORT_PATH else MAX_FORM_BYTES

    async def refuse(scope: Scope, status: int, message: str) -> ASGIApp:
        request = Request(scope)
        response = error_response(request, status, message)

        async def respond(scope: Scope, receive: Receive, send: Send) -> None:
            await response(scope, receive, send)

        return respond

    app: Starlette  # made below; the middleware reads its state per request

    def login_required() -> bool:
        return bool(app.state.password_on)

    routes: list[BaseRoute] = [
        *_page_routes(),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(LoopbackHostMiddleware, active=lambda: not app.state.password_on),
        Middleware(
            SessionMiddleware,
            secret_key=session_key,
            session_cookie="rollminder_session",
            same_site="lax",
            https_only=https,
            max_age=14 * 24 * 3600,
        ),
        Middleware(
            security.GuardMiddleware,
            max_body=max_body,
            refuse=refuse,
            exempt=lambda path: path.startswith("/act/"),
        ),
        Middleware(LoginMiddleware, required=login_required),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        RollminderError: on_rollminder_error,
        HTTPException: on_http_error,
        Exception: on_server_error,
    }
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["csrf_field"] = _csrf_field
    templates.env.filters["sentence"] = sentence
    app.state.templates = templates
    app.state.env = env
    app.state.stores = StoreCache(env)
    app.state.memo = Memo()  # derived figures kept between requests (web/cache.py)
    app.state.host = host
    app.state.password_on = password_on
    app.state.login_limit = security.RateLimit()
    app.state.max_import_bytes = max_import_bytes
    return app


def sentence(text: object) -> str:
    """The first letter in capitals, the rest as it was (Jinja's capitalize lowercases names)."""
    value = str(text)
    return value[:1].upper() + value[1:]


@jinja2.pass_context
def _csrf_field(context: Any) -> Markup:
    """``{{ csrf_field() }}``: the hidden CSRF input of a form."""
    token = context.get("csrf_token", "")
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(token)}">')
