"""Hosted mode's gate (issue #15): which account and profile a request reaches, and what the
account pages share (:mod:`.account` signs people up and in, :mod:`.account_pages` is the
account page).

How a request finds its data in hosted mode:

- A signed-in browser's cookie holds ``sid`` = ``<account>.<random id>``; the id's SHA-256 is a
  row of ``signins`` (:mod:`rollminder.accounts`), so every serve process sees the same sign-ins
  and signing out ends it everywhere. The login gate (:class:`~.middleware.LoginMiddleware`)
  checks it on every request.
- :class:`TargetMiddleware` then names the request's (account, profile): the signed-in account
  and the profile chosen in the switcher; for the token links (``/feed/<token>.ics``,
  ``/act/<token>/...``), the profile whose token it is. :class:`HostedApps` opens that profile's
  store (row-level security keyed on both), and nothing else: a request with no target gets 404.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from rollminder.accounts import Accounts, TooMany
from rollminder.accounts_mail import Mailer
from rollminder.env import Env
from rollminder.errors import RollminderError
from rollminder.service import Rollminder
from rollminder.web.cache import HOSTED_TARGET
from rollminder.web.kit import render
from rollminder.web.security import ACTION_TOKEN, FEED_TOKEN

#: The request's (account, profile): one context variable with the page cache's keys.
TARGET = HOSTED_TARGET
#: Paths open without a sign-in in hosted mode (besides the embedded mode's open ones).
OPEN_PREFIXES = ("/signup", "/account/verify/", "/account/reset", "/account/passkey/signin")


@dataclass
class Hosted:
    """What hosted mode's pages need: the accounts, the mailer, where the app is reached."""

    accounts: Accounts
    mailer: Mailer | None
    public_url: str | None = None

    def origin(self, request: Request) -> str:
        if self.public_url:
            return self.public_url
        return f"{request.url.scheme}://{request.url.netloc}"

    def rp_id(self, request: Request) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.origin(request)).hostname or "localhost"


def hosted(request: Request) -> Hosted:
    found = getattr(request.app.state, "hosted", None)
    if not isinstance(found, Hosted):
        raise HTTPException(404)
    return found


# -- which data a request reaches -----------------------------------------------------------------


def parse_sid(sid: object) -> tuple[int, str] | None:
    if not isinstance(sid, str) or "." not in sid:
        return None
    account, _, token = sid.partition(".")
    if not account.isdigit() or not token or len(account) > 18:
        return None
    return int(account), token


def open_profile(env: Env, account: int, profile: str) -> Rollminder:
    """The facade of ``profile`` of ``account`` (its store keyed on both)."""
    return dataclasses.replace(env, account=account, profile=profile, per_request=True).open_app(
        live=True
    )


class HostedApps:
    """The facade of the request's target (see the module docstring); one per request."""

    def __init__(self, env: Env) -> None:
        self.env = env

    def get(self, routine: str | None = None) -> Rollminder:
        """The facade of the request's profile; with ``routine`` (a routine's id), of that
        routine (the routine switcher, as :class:`rollminder.web.kit.AppCache`)."""
        target = TARGET.get()
        if target is None:
            raise HTTPException(404, "There is no such page here.")
        app = open_profile(self.env, *target)
        if routine is None:
            return app
        try:
            return app.for_routine(routine)
        except BaseException:
            app.close()
            raise

    def reset(self) -> None:
        """Nothing is kept between requests."""

    def close_all(self) -> None:
        """Nothing is kept between requests."""


class TargetMiddleware:
    """Sets :data:`TARGET` for the request (after the login gate)."""

    def __init__(self, app: ASGIApp, *, accounts: Accounts) -> None:
        self.app = app
        self.accounts = accounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "/")
        target: tuple[int, str] | None = None
        parts = path.split("/")
        if path.startswith("/feed/") and path.endswith(".ics") and len(parts) == 3:
            target = self.accounts.profile_by_token(FEED_TOKEN, parts[2].removesuffix(".ics"))
        elif path.startswith("/act/") and len(parts) == 4:
            target = self.accounts.profile_by_token(ACTION_TOKEN, parts[2])
        else:
            session = scope.get("session", {})
            signed = parse_sid(session.get("sid")) if session.get("user") else None
            if signed is not None:
                profile = session.get("profile")
                target = (signed[0], profile if isinstance(profile, str) else "default")
        reset = TARGET.set(target)
        try:
            await self.app(scope, receive, send)
        finally:
            TARGET.reset(reset)


class StorageErrorsMiddleware:
    """A database that cannot be reached while the gate checks a sign-in (or a token link finds
    its profile) gives the same one-line 503 page as inside a route, not a 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from rollminder.errors import StorageError
        from rollminder.web.errors import error_response

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except StorageError as exc:
            response = error_response(Request(scope, receive), 503, exc.message)
            await response(scope, receive, send)


def signed_in(request: Request) -> int:
    signed = parse_sid(request.session.get("sid")) if request.session.get("user") else None
    if signed is None:
        raise HTTPException(404)
    return signed[0]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


async def begin_session(request: Request, account: int) -> None:
    accounts = hosted(request).accounts
    sid = accounts.start_signin(account)
    from rollminder.web import security

    request.session.clear()
    request.session["user"] = True
    request.session["sid"] = f"{account}.{sid}"
    request.session["profile"] = (accounts.profiles(account) or ["default"])[0]
    request.session["csrf"] = security.new_token()


def limited(request: Request, template: str, exc: TooMany, **context: Any) -> Response:
    response = render(request, template, 429, error=exc.message, **context)
    response.headers["retry-after"] = str(int(exc.wait) + 1)
    return response


async def mail(request: Request, to: str, subject: str, body: str) -> str | None:
    """Send a mail; a one-line problem (shown to the person), or None when it went."""
    mailer = hosted(request).mailer
    if mailer is None:
        return "This server sends no e-mail (its operator has not set an SMTP server)."
    try:
        await asyncio.to_thread(mailer.send, to, subject, body)
    except RollminderError as exc:
        return exc.message
    return None


async def send_verification(request: Request, account: int, email: str) -> str | None:
    token = hosted(request).accounts.new_token(account, "verify")
    link = f"{hosted(request).origin(request)}/account/verify/{token}"
    return await mail(
        request,
        email,
        "Confirm your e-mail for rollminder",
        f"Open this link to confirm the e-mail address of your rollminder account:\n\n{link}\n\n"
        "It works once, for 48 hours. If you did not sign up, ignore this mail.\n",
    )


NOT_HOSTED = frozenset({"/settings/backup", "/settings/restore"})
