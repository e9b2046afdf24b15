"""The local web app: Starlette + Jinja2, served by ``rollminder serve`` (uvicorn). This module
only builds the app (:func:`create_app`); the request toolbox is :mod:`rollminder.web.kit`, errors
are :mod:`.errors`, the middleware :mod:`.middleware`, the reminder thread :mod:`.reminders`.

- Each page module (web/pages.py, web/logbook.py, web/session.py, ...) exposes
  ``routes: list[BaseRoute]``; :func:`create_app` mounts them.
- Every unsafe request (POST, PUT, PATCH, DELETE) needs the CSRF token: the hidden form field
  ``csrf_token`` (``{{ csrf_field() }}`` in a template) or the header ``X-CSRF-Token`` (htmx sends
  it: base.html sets ``hx-headers``). The check runs before any route (security.GuardMiddleware).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from rollminder.accounts_mail import Mailer
from rollminder.env import Env
from rollminder.errors import InvalidInput, RollminderError
from rollminder.web import account, account_gate, metrics, security, signins
from rollminder.web.cache import Memo
from rollminder.web.errors import (
    error_response,
    on_http_error,
    on_rollminder_error,
    on_server_error,
)
from rollminder.web.kit import (
    IMPORT_PATH,
    MAX_FORM_BYTES,
    MAX_IMPORT_BYTES,
    MAX_ZIP_IMPORT_BYTES,
    NAV,
    PUBLIC_URL_KEY,
    STATIC,
    AppCache,
    check_public_url,
    templates,
)

__all__ = ["check_public_url", "create_app"]
from rollminder.web.middleware import HostMiddleware, LoginMiddleware
from rollminder.web.reminders import action_links, run_reminder_loop


def _page_routes() -> list[BaseRoute]:
    from rollminder.web import (
        auth,
        clinic,
        damaged,
        history,
        logbook,
        onboarding,
        pages,
        push,
        remindsetup,
        routines,
        settings,
        undo,
        why,
        yourdata,
    )
    from rollminder.web import photos as journal_photos
    from rollminder.web import report as journal_report
    from rollminder.web.session import routes as session_routes

    return [
        *auth.routes,
        *damaged.routes,
        *pages.routes,
        *remindsetup.routes,  # before onboarding's /welcome/{step}
        *onboarding.routes,
        *clinic.routes,
        *why.routes,
        *logbook.routes,
        *history.routes,
        *routines.routes,
        *undo.routes,
        *settings.routes,
        *yourdata.routes,
        *session_routes,
        *journal_photos.routes,  # the skin journal (issue 17)
        *journal_report.routes,
        *push.routes,
    ]


def _secrets(env: Env) -> tuple[str, bool, str | None]:
    """The session-cookie key (made on first use), whether a password is set, and the public
    URL set in Settings (None when there is none, or it no longer reads as one)."""
    app = env.open_app()
    try:
        # Made once, in a transaction: serve processes starting together agree on one key.
        key = app.token(security.SESSION_KEY)
        stored = app.secret(PUBLIC_URL_KEY)
        try:
            public = check_public_url(stored)[0] if stored else None
        except InvalidInput:
            public = None
        return key, app.secret(security.PASSWORD) is not None, public
    finally:
        app.close()


def _hosted(env: Env, mailer: Mailer | None, public_url: str | None) -> account_gate.Hosted:
    """Hosted mode's accounts, once the database's schema is known to be current."""
    from rollminder.accounts import Accounts

    url = env.database_url
    assert url is not None
    env.open_store().close()  # refuses, in one line, a schema that is missing, behind or newer
    return account_gate.Hosted(Accounts(url, env.now), mailer, public_url)


def create_app(
    env: Env,
    *,
    host: str = "127.0.0.1",
    start_reminders: bool = True,
    https: bool = False,
    max_import_bytes: int = MAX_IMPORT_BYTES,
    base_url: str | None = None,
    public_url: str | None = None,
    mailer: Mailer | None = None,
) -> Starlette:
    """The web app for ``env``'s profile.

    ``host`` is where it will listen: off loopback a password must be set (this raises
    :class:`InvalidInput` otherwise, before anything listens). ``https`` marks the session cookie
    Secure. ``start_reminders`` runs the reminder loop in a thread while the app runs; with
    ``base_url`` (where this server is reached, e.g. ``http://127.0.0.1:8765``) its session
    reminders carry the Done and Snooze links (docs/reminders.md). ``public_url`` (checked by
    :func:`check_public_url`) is where people reach it through a proxy: its host name is
    answered (any other name gets 421 once a password is set) and the links point there.

    On a PostgreSQL URL (``env.database_url``) it is hosted mode: people sign up and sign in to
    accounts (:mod:`.account`), each request reaches the signed-in account's chosen profile, and
    ``mailer`` sends the verification and reset mails. The reminder loop does not run here.
    """
    public_host = None
    if public_url is not None:
        public_url, public_host = check_public_url(public_url)
        base_url = public_url
    hosted_by: account_gate.Hosted | None = None
    stored_public: str | None = None
    if env.database_url:
        hosted_by = _hosted(env, mailer, public_url)
        session_key, password_on = hosted_by.accounts.server_secret(security.SESSION_KEY), True
        env.schema_checked = True
    else:
        session_key, password_on, stored_public = _secrets(env)
    names = [public_host] if public_host else []
    if stored_public is not None:  # set in Settings: answered too (the command line's wins)
        names.append(check_public_url(stored_public)[1])
    if not security.is_loopback(host) and not password_on:
        raise InvalidInput(
            f"Serving on {host} lets other devices reach your data: set a password first "
            "with 'rollminder password set' (or serve on 127.0.0.1)."
        )
    run_reminders = start_reminders and hosted_by is None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        links = action_links(base_url, fixed=public_url is not None) if base_url else None
        stopper = run_reminder_loop(env, links=links) if run_reminders else None
        try:
            yield
        finally:
            if stopper is not None:
                stopper()
            app.state.apps.close_all()

    from rollminder.web import photos as journal_photos
    from rollminder.web import report as journal_report

    uploads = {
        journal_photos.UPLOAD_PATH: journal_photos.UPLOAD_BYTES,
        journal_report.LOOP_PATH: journal_report.LOOP_BYTES,
    }

    def max_body(path: str) -> int:
        if path in uploads:
            return uploads[path]
        if path == IMPORT_PATH:  # a JSON export, or a zip with photos (yourdata.import_)
            return max(max_import_bytes, MAX_ZIP_IMPORT_BYTES)
        return MAX_FORM_BYTES

    async def refuse(scope: Scope, status: int, message: str) -> ASGIApp:
        request = Request(scope)
        response = error_response(request, status, message)

        async def respond(scope: Scope, receive: Receive, send: Send) -> None:
            await response(scope, receive, send)

        return respond

    app: Starlette  # made below; the middleware reads its state per request

    def login_required() -> bool:
        return bool(app.state.password_on)

    def session_alive(sid: object) -> bool:
        if hosted_by is not None:
            signed = account_gate.parse_sid(sid)
            return signed is not None and hosted_by.accounts.signin_alive(*signed)
        return signins.session_alive(app.state.apps.get(), sid, time.time())

    headers = security.security_headers(https)

    pages = _page_routes()
    if hosted_by is not None:  # its sign-in pages first: they answer /login and /logout
        pages = [
            *account.routes,
            *(r for r in pages if getattr(r, "path", "") not in account_gate.NOT_HOSTED),
        ]
    routes: list[BaseRoute] = [
        *pages,
        # Static files only are compressed: a page carries the CSRF token (BREACH).
        Mount(
            "/static",
            app=GZipMiddleware(StaticFiles(directory=STATIC), minimum_size=1024),
            name="static",
        ),
    ]
    middleware = [
        Middleware(metrics.MetricsMiddleware, env=env),  # /metrics: loopback or operator token
        Middleware(
            HostMiddleware,
            loopback_only=lambda: not app.state.password_on,
            bound=host,
            names=names,
            headers={k.decode(): v.decode() for k, v in headers},
        ),
        Middleware(
            SessionMiddleware,
            secret_key=session_key,
            session_cookie="rollminder_session",
            same_site="lax",
            https_only=https,
            max_age=security.SESSION_SECONDS,
        ),
        Middleware(
            security.GuardMiddleware,
            max_body=max_body,
            refuse=refuse,
            exempt=lambda path: path.startswith("/act/"),
            headers=headers,
        ),
        Middleware(
            LoginMiddleware,
            required=login_required,
            alive=session_alive,
            open_prefixes=account_gate.OPEN_PREFIXES if hosted_by else (),
        ),
    ]
    if hosted_by is not None:
        middleware.insert(-1, Middleware(account_gate.StorageErrorsMiddleware))
        middleware.append(Middleware(account_gate.TargetMiddleware, accounts=hosted_by.accounts))
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
    app.state.templates = templates()
    app.state.env = env
    app.state.apps = AppCache(env) if hosted_by is None else account_gate.HostedApps(env)
    app.state.hosted = hosted_by
    if hosted_by is not None:
        app.state.nav = (*NAV, ("/account", "Account"))
    app.state.memo = Memo()  # derived figures kept between requests (web/cache.py)
    app.state.host = host
    app.state.public_url = public_url  # serve --public-url: wins over the one in Settings
    app.state.password_on = password_on
    # The household password's limit (embedded mode). Hosted mode's sign-in is the accounts'
    # (web/account.py answers /login first), limited in the database (Accounts.hit).
    app.state.login_limit = security.LoginLimit()
    app.state.max_import_bytes = max_import_bytes
    return app
