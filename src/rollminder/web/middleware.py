"""The app's own middleware: the login gate and, without a password, loopback names only."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from rollminder.web.security import HEADER_DICT

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

    def __init__(
        self, app: ASGIApp, *, active: Callable[[], bool], bound: str = "127.0.0.1"
    ) -> None:
        self.app = app
        self.active = active
        # The loopback address the server is bound to answers too (127.0.0.2, say): the address
        # `rollminder serve` prints must work.
        self.names = LOOPBACK_NAMES | {bound.lower(), f"[{bound.lower()}]"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.active() and host_name(scope) not in self.names:
            response = Response(
                "rollminder answers only on this computer's loopback address (no password is set).",
                status_code=421,
                media_type="text/plain",
                headers=HEADER_DICT,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
