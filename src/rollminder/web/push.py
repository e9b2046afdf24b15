"""Web Push routes (issue 16): the VAPID public key, subscribing and unsubscribing this device, and
the list of subscribed devices that Settings shows (``_push_devices.html``, loaded by push.js).

Every route needs the login (when one is set) and, for a POST, the CSRF token (``X-CSRF-Token``,
as static/js/push.js sends it). The reminders themselves reach the service worker (web/static/sw.js)
through the push service; its Done and Snooze POST the action-token links (web/auth.py's ``act``),
which need neither a cookie nor a CSRF token.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rollminder.errors import RollminderError
from rollminder.web.kit import flash, is_htmx, redirect, render, service

NO_STORE = {"cache-control": "no-store"}


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def _refused(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=NO_STORE)


async def key(request: Request) -> Response:
    """The VAPID public key this device subscribes with (made on first use)."""
    return JSONResponse({"key": service(request).push_key()}, headers=NO_STORE)


async def subscribe(request: Request) -> Response:
    """``{"subscription": PushSubscription.toJSON(), "name": "Chrome on Android"}``."""
    data = await _json(request)
    if not isinstance(data, dict):
        return _refused("This browser sent no push subscription.")
    try:
        device = service(request).add_push_device(
            data.get("subscription"), data.get("name"), request.headers.get("origin", "")
        )
    except RollminderError as exc:
        return _refused(exc.message)
    return JSONResponse({"id": device.id, "name": device.name}, headers=NO_STORE)


async def unsubscribe(request: Request) -> Response:
    """``{"endpoint": ...}``: this device turned its notifications off."""
    data = await _json(request)
    removed = service(request).remove_push_endpoint(data)
    return JSONResponse({"removed": removed}, headers=NO_STORE)


def _list(request: Request) -> Response:
    return render(request, "_push_devices.html", push_devices=service(request).push_devices())


async def devices(request: Request) -> Response:
    """The devices' list (the fragment push.js puts inside Settings' notifications section)."""
    return _list(request)


async def remove(request: Request) -> Response:
    form = await request.form()
    app = service(request)
    try:
        gone = app.remove_push_device(str(form.get("id", "")))
        message = f"{gone.name} gets no more notifications."
    except RollminderError as exc:
        message = exc.message
    if is_htmx(request):
        return _list(request)
    flash(request, message)
    return redirect("/settings#push")


routes: list[BaseRoute] = [
    Route("/push/key", key, methods=["GET"]),
    Route("/push/subscribe", subscribe, methods=["POST"]),
    Route("/push/unsubscribe", unsubscribe, methods=["POST"]),
    Route("/push/devices", devices, methods=["GET"]),
    Route("/push/devices/remove", remove, methods=["POST"]),
]
