"""Hosted mode's accounts on the web (issue #15): sign-up, sign-in with a password (a passkey:
:mod:`.account_pages`), sign-out, e-mail verification and password reset through mailed
one-use links. Which data a request reaches: :mod:`.account_gate`."""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder.accounts import TooMany, check_email, check_password
from rollminder.errors import InvalidInput
from rollminder.web import account_pages, forms
from rollminder.web.account_gate import (
    begin_session,
    client_address,
    hosted,
    limited,
    mail,
    parse_sid,
    send_verification,
    signed_in,
)
from rollminder.web.kit import flash, redirect, render

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
        return limited(request, "account_signin.html", exc, email=email)
    account = await asyncio.to_thread(accounts.check_password, email, password)  # argon2id
    if account is None:
        return render(
            request,
            "account_signin.html",
            401,
            error="That e-mail and password do not match an account.",
            email=email,
        )
    await begin_session(request, account)
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
        return limited(request, "account_signup.html", exc, email=email)
    except InvalidInput as exc:
        return render(request, "account_signup.html", 400, error=exc.message, email=email)
    account = await asyncio.to_thread(accounts.sign_up, email, password)  # argon2id
    if account is None:  # taken: say so to the owner of the address, not to whoever typed it
        await mail(
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
    await begin_session(request, account)
    problem = await send_verification(request, account, email)
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
    problem = await send_verification(request, account, info.email)
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
        return limited(request, "account_reset.html", exc, email=email)
    except InvalidInput as exc:
        return render(request, "account_reset.html", 400, error=exc.message, email=email)
    found = accounts.find(email)
    if found is not None:
        token = accounts.new_token(found[0], "reset")
        link = f"{hosted(request).origin(request)}/account/reset/{token}"
        await mail(
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
        account = await asyncio.to_thread(hosted(request).accounts.reset, token, password)
    except InvalidInput as exc:
        return render(request, "account_newpassword.html", 400, error=exc.message, token=token)
    if account is None:
        raise HTTPException(404, "This link has been used or has expired.")
    request.session.clear()
    flash(request, "Your new password is set: sign in with it.")
    return redirect("/login")


routes: list[BaseRoute] = [
    Route("/login", signin_page, methods=["GET"]),
    Route("/login", signin, methods=["POST"]),
    Route("/logout", signout, methods=["POST"]),
    Route("/signup", signup_page, methods=["GET"]),
    Route("/signup", signup, methods=["POST"]),
    Route("/account/verify/{token}", verify_page, methods=["GET"]),
    Route("/account/verify/{token}", verify, methods=["POST"]),
    Route("/account/verification", resend_verification, methods=["POST"]),
    Route("/account/reset", reset_page, methods=["GET"]),
    Route("/account/reset", reset_request, methods=["POST"]),
    Route("/account/reset/{token}", new_password_page, methods=["GET"]),
    Route("/account/reset/{token}", new_password, methods=["POST"]),
    *account_pages.routes,
]
