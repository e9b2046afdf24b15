"""The last step of the first run, "How should we remind you?" (also reached from Settings and
the clinic page): a channel the person can really receive (the ntfy app, with a QR code that
subscribes to the topic; e-mail; the calendar feed), set up through the facade's channel use cases
and tested at once. A refused or failing channel is told next to its field, with what was typed."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rollminder.errors import InvalidInput, RollminderError
from rollminder.service import Rollminder
from rollminder.web import forms
from rollminder.web.kit import redirect, render, service
from rollminder.web.onboarding import CLINIC_STEPS, STEPS

# -- "How should we remind you?" ------------------------------------------------------------------


def ntfy_urls(server: str, topic: str) -> tuple[str, str]:
    """The Apprise URL that publishes to ``topic`` on ``server`` and the ntfy app's link that
    subscribes to it (ntfy's docs: ``ntfy://host/topic``, ``?secure=false`` for plain HTTP)."""
    raw = server.strip() or "https://ntfy.sh"
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise InvalidInput("Give the ntfy server as an address such as https://ntfy.sh.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidInput("Give the ntfy server as an address such as https://ntfy.sh.")
    name = topic.strip()
    if not (1 <= len(name) <= 64) or not all(
        c.isascii() and (c.isalnum() or c in "-_") for c in name
    ):
        raise InvalidInput("A topic is 1 to 64 letters, digits, - or _.")
    secure = parts.scheme == "https"
    send = f"{'ntfys' if secure else 'ntfy'}://{parts.netloc}/{name}"
    subscribe = f"ntfy://{parts.netloc}/{name}" + ("" if secure else "?secure=false")
    return send, subscribe


def _remind_context(request: Request, app: Rollminder, **extra: Any) -> dict[str, Any]:
    from rollminder.web.settings import feed_links, qr_svg

    topic = str(request.session.get("ntfy_topic") or "")
    if not topic:
        topic = "rollminder-" + secrets.token_hex(5)
        request.session["ntfy_topic"] = topic
    values = {"server": "https://ntfy.sh", "topic": topic, "email": ""} | extra.pop("values", {})
    try:
        _, subscribe = ntfy_urls(values["server"], values["topic"])
    except InvalidInput:
        subscribe = ""
    links = feed_links(request, app)
    clinic = app.clinic_only()
    return {
        "steps": CLINIC_STEPS if clinic else STEPS,
        "index": len(CLINIC_STEPS if clinic else STEPS) - 1,
        "step": "remind",
        "back": None,
        "values": values,
        "subscribe": subscribe,
        "ntfy_qr": qr_svg(subscribe, "QR code: subscribe in the ntfy app") if subscribe else "",
        "feed": links["feed"],
        "webcal": links["webcal"],
        "feed_qr": qr_svg(links["feed"], "QR code of the calendar feed"),
        "channels": app.list_channels(),
        "reachable": app.reachable(),
        "zone": app.zone(),
        "clinic": clinic,
        "errors": {},
        "results": [],
    } | extra


async def remind_page(request: Request) -> Response:
    app = service(request)
    if not (app.has_plan() or app.clinic_only()):
        return redirect("/welcome")
    return render(request, "welcome_remind.html", **_remind_context(request, app))


async def remind_post(request: Request) -> Response:
    """Set up a channel and send it a test; the result (or the error, next to the field) on the
    same page, with what was typed."""
    app = service(request)
    if not (app.has_plan() or app.clinic_only()):
        return redirect("/welcome")
    form = await request.form()
    how = forms.text(form, "how")
    values = {
        "server": forms.text(form, "server") or "https://ntfy.sh",
        "topic": forms.text(form, "topic"),
        "email": forms.text(form, "email"),
    }
    field = {"ntfy": "topic", "email": "email"}.get(how, "how")
    try:
        if how == "ntfy":
            try:
                url, _ = ntfy_urls(values["server"], values["topic"])
            except InvalidInput as exc:
                bad = "topic" if "topic" in exc.message else "server"
                raise _FieldError(bad, exc.message) from None
            name = "phone"
        elif how == "email":
            url = values["email"]
            if not url.lower().startswith(("mailto://", "mailtos://")):
                raise InvalidInput(
                    "Give an e-mail address as mailto://user:password@example.com "
                    "(your mail provider's login; see the hint)."
                )
            name = "e-mail"
        else:
            raise InvalidInput("Choose how to be reminded.")
        existing = {c.name for c in app.list_channels()}
        if name in existing:
            name = next(f"{name}-{i}" for i in range(2, 100) if f"{name}-{i}" not in existing)
        added = app.add_channel(url, name)
        results = app.test_channels(added.name)
    except _FieldError as exc:
        context = _remind_context(request, app, values=values, errors={exc.field: exc.message})
        return render(request, "welcome_remind.html", 400, **context)
    except RollminderError as exc:
        context = _remind_context(request, app, values=values, errors={field: exc.message})
        return render(request, "welcome_remind.html", 400, **context)
    context = _remind_context(request, app, values=values, results=results)
    return render(request, "welcome_remind.html", **context)


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


routes: list[BaseRoute] = [
    Route("/welcome/remind", remind_page, methods=["GET"]),
    Route("/welcome/remind", remind_post, methods=["POST"]),
]
