"""Hosted mode's account page (issue #15): the account's profiles and their switcher, its
passkeys (the WebAuthn ceremonies: :mod:`.passkeys`) and passkey sign-in, its password, the
export of every profile, and deleting the account."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rollminder.accounts import TooMany
from rollminder.env import Env
from rollminder.errors import InvalidInput
from rollminder.web import forms
from rollminder.web.account_gate import (
    begin_session,
    client_address,
    hosted,
    open_profile,
    signed_in,
)
from rollminder.web.kit import flash, redirect, render

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
    await begin_session(request, account)  # the others ended with the old password
    flash(request, "Your new password is set; other devices must sign in again.")
    return redirect("/account")


async def export_all(request: Request) -> Response:
    """A zip holding, per profile of the account, its export with photos: the zip that
    Settings' "Export with photos" makes and its import reads back (photos are JPEG already:
    stored, not compressed again)."""
    account = signed_in(request)
    env: Env = request.app.state.env
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name in hosted(request).accounts.profiles(account):
            app = open_profile(env, account, name)
            try:
                archive.writestr(f"rollminder-{name}.zip", app.export_zip())
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
        hosted(request).rp_id(request),
        str(account).encode(),
        info.email,
        [k.id for k in info.passkeys],
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


async def signup_passkey_options(request: Request) -> Response:
    """Sign-up with a passkey, step 1: the e-mail, checked; the registration options."""
    import secrets

    from rollminder.accounts import check_email
    from rollminder.web import passkeys

    body = await _json_body(request)
    try:
        hosted(request).accounts.hit("signup-ip", client_address(request))
        email = check_email(str(body.get("email") or "")[:254])
    except TooMany as exc:
        return _json_error(exc.message, 429)
    except InvalidInput as exc:
        return _json_error(exc.message)
    options, challenge = passkeys.registration_options(
        hosted(request).rp_id(request), secrets.token_bytes(16), email, []
    )
    request.session["passkey_challenge"] = challenge
    request.session["signup_email"] = email
    return Response(options, media_type="application/json")


async def signup_passkey(request: Request) -> Response:
    """Step 2: the new passkey, verified; the account made with it (one transaction)."""
    from rollminder.web import passkeys
    from rollminder.web.account_gate import send_verification

    body = await _json_body(request)
    challenge = request.session.pop("passkey_challenge", None)
    email = request.session.pop("signup_email", None)
    if not isinstance(email, str):
        return _json_error("Start again: type your e-mail first.")
    try:
        found = passkeys.verify_registration(
            body.get("credential"), challenge, hosted(request).rp_id(request),
            hosted(request).origin(request),
        )  # fmt: skip
    except InvalidInput as exc:
        return _json_error(exc.message)
    name = str(body.get("name") or "Passkey")[:60]
    accounts = hosted(request).accounts
    account = accounts.sign_up(
        email, None, passkey=(found.id, found.public_key, found.sign_count, name)
    )
    if account is None:  # taken: tell the owner of the address, as the password sign-up does
        from rollminder.web.account_gate import mail

        await mail(
            request,
            email,
            "Your rollminder account",
            "Someone (perhaps you) tried to sign up with this e-mail address, which has an "
            f"account already. Sign in at {hosted(request).origin(request)}/login.\n",
        )
        return _json_error(f"If {email} can be used, a mail on its way there says what to do.")
    await begin_session(request, account)
    problem = await send_verification(request, account, email)
    flash(request, f"Welcome. We sent a link to {email} to confirm it.")
    if problem:
        flash(request, problem + " Send it again from Account.", "warn")
    return JSONResponse({"ok": True, "next": "/welcome"})


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
    await begin_session(request, account)
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


routes: list[BaseRoute] = [
    Route("/account", account_page, methods=["GET"]),
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
    Route("/signup/passkey-options", signup_passkey_options, methods=["POST"]),
    Route("/signup/passkey", signup_passkey, methods=["POST"]),
]
