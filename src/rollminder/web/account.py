"""Hosted mode's accounts on the web (issue #15): sign-up, sign-in with a password or a passkey,
sign-out, e-mail verification, password reset, the account page (profiles and their switcher,
passkeys, export, deletion).

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
import contextvars
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from rollminder.accounts import Accounts, TooMany, check_email, check_password
from rollminder.accounts_mail import Mailer
from rollminder.env import Env
from rollminder.errors import InvalidInput, RollminderError
from rollminder.service import Rollminder
from rollminder.web import forms
from rollminder.web.kit import flash, redirect, render
from rollminder.web.security import ACTION_TOKEN, FEED_TOKEN

#: The (account, profile) of this request, set by :class:`TargetMiddleware`.
TARGET: contextvars.ContextVar[tuple[int, str] | None] = contextvars.ContextVar(
    "rollminder_target", default=None
)
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


class HostedApps:
    """The facade of the request's target (see the module docstring); one per request."""

    def __init__(self, env: Env) -> None:
        self.env = env

    def get(self) -> Rollminder:
        from rollminder.store.postgres import PostgresStore

        target = TARGET.get()
        if target is None:
            raise HTTPException(404, "There is no such page here.")
        account, profile = target
        url = self.env.database_url
        assert url is not None
        store = PostgresStore.open(
            url, profile=profile, now=self.env.now(), account=account, checked=True
        )
        return Rollminder(store, self.env.now)

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


async def _begin_session(request: Request, account: int) -> None:
    accounts = hosted(request).accounts
    sid = accounts.start_signin(account)
    from rollminder.web import security

    request.session.clear()
    request.session["user"] = True
    request.session["sid"] = f"{account}.{sid}"
    request.session["profile"] = (accounts.profiles(account) or ["default"])[0]
    request.session["csrf"] = security.new_token()


def _limited(request: Request, template: str, exc: TooMany, **context: Any) -> Response:
    response = render(request, template, 429, error=exc.message, **context)
    response.headers["retry-after"] = str(int(exc.wait) + 1)
    return response


async def _mail(request: Request, to: str, subject: str, body: str) -> str | None:
    """Send a mail; a one-line problem (shown to the person), or None when it went."""
    mailer = hosted(request).mailer
    if mailer is None:
        return "This server sends no e-mail (its operator has not set an SMTP server)."
    try:
        await asyncio.to_thread(mailer.send, to, subject, body)
    except RollminderError as exc:
        return exc.message
    return None


async def _send_verification(request: Request, account: int, email: str) -> str | None:
    token = hosted(request).accounts.new_token(account, "verify")
    link = f"{hosted(request).origin(request)}/account/verify/{token}"
    return await _mail(
        request,
        email,
        "Confirm your e-mail for rollminder",
        f"Open this link to confirm the e-mail address of your rollminder account:\n\n{link}\n\n"
        "It works once, for 48 hours. If you did not sign up, ignore this mail.\n",
    )


# -- sign-up, sign-in, sign-out -------------------------------------------------------------------


async def signin_page(request: Request) -> Response:
    if parse_sid(request.session.get("sid")) and request.session.get("user"):
        return redirect("/")
    return render(request, "account_signin.html", email="")


async def signin(request: Request) -> Response:
    accounts = hosted(request).accounts
    form = await request.form()
    email = forms.text(form, "email")[:254]
    password = str(form.get("password") or "")
    try:
        accounts.hit("signin-ip", client_address(request))
        accounts.hit("signin-email", email.strip())
    except TooMany as exc:
        return _limited(request, "account_signin.html", exc, email=email)
    account = accounts.check_password(email, password)
    if account is None:
        return render(
            request,
            "account_signin.html",
            401,
            error="That e-mail and password do not match an account.",
            email=email,
        )
    await _begin_session(request, account)
    return redirect("/")


async def signup_page(request: Request) -> Response:
    return render(request, "account_signup.html", email="")


async def signup(request: Request) -> Response:
    accounts = hosted(request).accounts
    form = await request.form()
    email = forms.text(form, "email")[:254]
    password = str(form.get("password") or "")
    try:
        accounts.hit("signup-ip", client_address(request))
        email = check_email(email)
        check_password(password)
    except TooMany as exc:
        return _limited(request, "account_signup.html", exc, email=email)
    except InvalidInput as exc:
        return render(request, "account_signup.html", 400, error=exc.message, email=email)
    account = accounts.sign_up(email, password)
    if account is None:  # taken: say so to the owner of the address, not to whoever typed it
        await _mail(
            request,
            email,
            "Your rollminder account",
            "Someone (perhaps you) tried to sign up with this e-mail address, which has an "
            f"account already. Sign in at {hosted(request).origin(request)}/login, or reset "
            "your password there.\n",
        )
        return render(request, "account_message.html", title="Check your e-mail", message=(
            f"If {email} can be used, a mail on its way there says what to do next."
        ))  # fmt: skip
    await _begin_session(request, account)
    problem = await _send_verification(request, account, email)
    flash(request, f"Welcome. We sent a link to {email} to confirm it.")
    if problem:
        flash(request, problem + " Send it again from Account.", "warn")
    return redirect("/welcome")


async def signout(request: Request) -> Response:
    signed = parse_sid(request.session.get("sid"))
    if signed is not None:
        hosted(request).accounts.end_signin(*signed)
    request.session.clear()
    return redirect("/login")


# -- verification and reset -----------------------------------------------------------------------


def _live(request: Request, purpose: str) -> str:
    token = str(request.path_params["token"])
    if not hosted(request).accounts.token_live(token, purpose):
        raise HTTPException(404, "This link has been used or has expired.")
    return token


async def verify_page(request: Request) -> Response:
    _live(request, "verify")
    return render(request, "account_verify.html", token=request.path_params["token"])


async def verify(request: Request) -> Response:
    account = hosted(request).accounts.verify(request.path_params["token"])
    if account is None:
        raise HTTPException(404, "This link has been used or has expired.")
    return render(
        request, "account_message.html", title="E-mail confirmed", message="Thank you: your "
        "e-mail address is confirmed.", link=("/", "Open rollminder"),
    )  # fmt: skip


async def resend_verification(request: Request) -> Response:
    account = signed_in(request)
    info = hosted(request).accounts.account(account)
    if info.verified_at is not None:
        flash(request, "Your e-mail address is confirmed already.")
        return redirect("/account")
    try:
        hosted(request).accounts.hit("reset-email", info.email)
    except TooMany as exc:
        flash(request, exc.message, "warn")
        return redirect("/account")
    problem = await _send_verification(request, account, info.email)
    flash(request, problem or f"Sent a new link to {info.email}.", "warn" if problem else "ok")
    return redirect("/account")


async def reset_page(request: Request) -> Response:
    return render(request, "account_reset.html", email="")


async def reset_request(request: Request) -> Response:
    accounts = hosted(request).accounts
    form = await request.form()
    email = forms.text(form, "email")[:254]
    try:
        accounts.hit("reset-ip", client_address(request))
        email = check_email(email)
        accounts.hit("reset-email", email)
    except TooMany as exc:
        return _limited(request, "account_reset.html", exc, email=email)
    except InvalidInput as exc:
        return render(request, "account_reset.html", 400, error=exc.message, email=email)
    found = accounts.find(email)
    if found is not None:
        token = accounts.new_token(found[0], "reset")
        link = f"{hosted(request).origin(request)}/account/reset/{token}"
        await _mail(
            request,
            email,
            "Reset your rollminder password",
            f"Open this link to choose a new password:\n\n{link}\n\nIt works once, for an "
            "hour. If you did not ask for it, ignore this mail: your password stays.\n",
        )
    return render(request, "account_message.html", title="Check your e-mail", message=(
        f"If {email} has an account, a mail on its way there holds a link to choose a new "
        "password (it works for an hour)."
    ))  # fmt: skip


async def new_password_page(request: Request) -> Response:
    _live(request, "reset")
    return render(request, "account_newpassword.html", token=request.path_params["token"])


async def new_password(request: Request) -> Response:
    form = await request.form()
    password = str(form.get("password") or "")
    token = request.path_params["token"]
    try:
        account = hosted(request).accounts.reset(token, password)
    except InvalidInput as exc:
        return render(request, "account_newpassword.html", 400, error=exc.message, token=token)
    if account is None:
        raise HTTPException(404, "This link has been used or has expired.")
    request.session.clear()
    flash(request, "Your new password is set: sign in with it.")
    return redirect("/login")


# -- the account page -----------------------------------------------------------------------------


async def account_page(request: Request) -> Response:
    from webauthn.helpers import bytes_to_base64url

    account = signed_in(request)
    accounts = hosted(request).accounts
    info = accounts.account(account)
    return render(
        request,
        "account.html",
        account=info,
        passkeys=[(bytes_to_base64url(k.id), k) for k in info.passkeys],
        profiles=accounts.profiles(account),
        current=request.session.get("profile", "default"),
    )


async def switch_profile(request: Request) -> Response:
    account = signed_in(request)
    form = await request.form()
    name = forms.text(form, "profile")
    if name not in hosted(request).accounts.profiles(account):
        raise HTTPException(404, "There is no such profile in your account.")
    request.session["profile"] = name
    flash(request, f"Now showing {name}.")
    return redirect("/")


async def add_profile(request: Request) -> Response:
    account = signed_in(request)
    form = await request.form()
    name = hosted(request).accounts.add_profile(account, forms.text(form, "name"))
    request.session["profile"] = name
    flash(request, f"Made the profile {name}: set up its plan.")
    return redirect("/welcome")


async def change_password(request: Request) -> Response:
    account = signed_in(request)
    accounts = hosted(request).accounts
    form = await request.form()
    info = accounts.account(account)
    if info.has_password:
        try:
            accounts.hit("signin-email", info.email)
        except TooMany as exc:
            raise InvalidInput(exc.message) from None
        if accounts.check_password(info.email, str(form.get("current") or "")) is None:
            raise InvalidInput("The current password is not right. Nothing was changed.")
    accounts.set_password(account, str(form.get("password") or ""))
    await _begin_session(request, account)  # the others ended with the old password
    flash(request, "Your new password is set; other devices must sign in again.")
    return redirect("/account")


async def export_all(request: Request) -> Response:
    """A zip holding one JSON export (the existing export) per profile of the account."""
    from rollminder.store.postgres import PostgresStore

    account = signed_in(request)
    env: Env = request.app.state.env
    url = env.database_url
    assert url is not None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in hosted(request).accounts.profiles(account):
            store = PostgresStore.open(
                url, profile=name, now=env.now(), account=account, checked=True
            )
            app = Rollminder(store, env.now)
            try:
                archive.writestr(f"rollminder-{name}.json", app.export_json())
            finally:
                app.close()
    day = env.now().date().isoformat()
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={
            "content-disposition": f'attachment; filename="rollminder-account-{day}.zip"',
            "cache-control": "no-store",
        },
    )


async def delete_account(request: Request) -> Response:
    account = signed_in(request)
    accounts = hosted(request).accounts
    form = await request.form()
    info = accounts.account(account)
    if forms.text(form, "email").strip().lower() != info.email.lower():
        raise InvalidInput(
            "Type your e-mail address to confirm: deleting removes every profile and all its "
            "data. Nothing was deleted."
        )
    accounts.delete(account)
    request.session.clear()
    flash(request, "Your account and all its data are deleted.")
    return redirect("/signup")


# -- passkeys -------------------------------------------------------------------------------------


def _json_error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def passkey_register_options(request: Request) -> Response:
    from rollminder.web import passkeys

    account = signed_in(request)
    accounts = hosted(request).accounts
    info = accounts.account(account)
    options, challenge = passkeys.registration_options(
        hosted(request).rp_id(request), account, info.email, [k.id for k in info.passkeys]
    )
    request.session["passkey_challenge"] = challenge
    return Response(options, media_type="application/json")


async def passkey_register(request: Request) -> Response:
    from rollminder.web import passkeys

    account = signed_in(request)
    body = await _json_body(request)
    challenge = request.session.pop("passkey_challenge", None)
    try:
        found = passkeys.verify_registration(
            body.get("credential"), challenge, hosted(request).rp_id(request),
            hosted(request).origin(request),
        )  # fmt: skip
    except InvalidInput as exc:
        return _json_error(exc.message)
    name = str(body.get("name") or "Passkey")[:60]
    hosted(request).accounts.add_passkey(
        account, found.id, found.public_key, found.sign_count, name
    )
    return JSONResponse({"ok": True, "message": "Passkey added."})


async def passkey_signin_options(request: Request) -> Response:
    from rollminder.web import passkeys

    try:
        hosted(request).accounts.hit("passkey-ip", client_address(request))
    except TooMany as exc:
        return _json_error(exc.message, 429)
    options, challenge = passkeys.authentication_options(hosted(request).rp_id(request))
    request.session["passkey_challenge"] = challenge
    return Response(options, media_type="application/json")


async def passkey_signin(request: Request) -> Response:
    from rollminder.web import passkeys

    accounts = hosted(request).accounts
    try:
        accounts.hit("passkey-ip", client_address(request))
    except TooMany as exc:
        return _json_error(exc.message, 429)
    body = await _json_body(request)
    challenge = request.session.pop("passkey_challenge", None)
    credential = body.get("credential")
    cred_id = passkeys.credential_id(credential)
    account = accounts.account_of_passkey(cred_id) if cred_id else None
    stored = accounts.passkey(account, cred_id) if account is not None and cred_id else None
    if account is None or stored is None or cred_id is None:
        return _json_error("This passkey is not known here.", 401)
    try:
        count = passkeys.verify_authentication(
            credential, challenge, hosted(request).rp_id(request), hosted(request).origin(request),
            public_key=stored[0], sign_count=stored[1],
        )  # fmt: skip
    except InvalidInput as exc:
        return _json_error(exc.message, 401)
    accounts.passkey_used(account, cred_id, count)
    await _begin_session(request, account)
    return JSONResponse({"ok": True, "next": "/"})


async def passkey_remove(request: Request) -> Response:
    from webauthn import base64url_to_bytes

    account = signed_in(request)
    form = await request.form()
    try:
        cred_id = base64url_to_bytes(forms.text(form, "id"))
    except ValueError:
        raise HTTPException(404) from None
    if not hosted(request).accounts.remove_passkey(account, cred_id):
        raise HTTPException(404, "There is no such passkey in your account.")
    flash(request, "Passkey removed.")
    return redirect("/account")


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The request was not JSON.") from None
    if not isinstance(body, dict):
        raise InvalidInput("The request was not a JSON object.")
    return body


def when(value: dt.datetime | None) -> str:
    return "never" if value is None else f"{value:%d %b %Y}"


routes: list[BaseRoute] = [
    Route("/login", signin_page, methods=["GET"]),
    Route("/login", signin, methods=["POST"]),
    Route("/logout", signout, methods=["POST"]),
    Route("/signup", signup_page, methods=["GET"]),
    Route("/signup", signup, methods=["POST"]),
    Route("/account", account_page, methods=["GET"]),
    Route("/account/verify/{token}", verify_page, methods=["GET"]),
    Route("/account/verify/{token}", verify, methods=["POST"]),
    Route("/account/verification", resend_verification, methods=["POST"]),
    Route("/account/reset", reset_page, methods=["GET"]),
    Route("/account/reset", reset_request, methods=["POST"]),
    Route("/account/reset/{token}", new_password_page, methods=["GET"]),
    Route("/account/reset/{token}", new_password, methods=["POST"]),
    Route("/account/profile", switch_profile, methods=["POST"]),
    Route("/account/profiles", add_profile, methods=["POST"]),
    Route("/account/password", change_password, methods=["POST"]),
    Route("/account/export.zip", export_all, methods=["GET"]),
    Route("/account/delete", delete_account, methods=["POST"]),
    Route("/account/passkey/register-options", passkey_register_options, methods=["POST"]),
    Route("/account/passkey/register", passkey_register, methods=["POST"]),
    Route("/account/passkey/signin-options", passkey_signin_options, methods=["POST"]),
    Route("/account/passkey/signin", passkey_signin, methods=["POST"]),
    Route("/account/passkey/remove", passkey_remove, methods=["POST"]),
]

#: Routes of the embedded mode that hosted mode does not mount (the data directory's backups
#: are the operator's; a person downloads an export instead).
NOT_HOSTED = frozenset({"/settings/backup", "/settings/restore"})
