"""The app's own middleware: the login gate, and the host names the app answers to (loopback
names only without a password; with one, addresses and the names this server is known by)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from rollminder.web.security import HEADER_DICT, is_loopback

#: Paths served without a login: the login page itself, static files, and the token-guarded
#: feed and action links (their secret token is the credential).
OPEN_PREFIXES = ("/login", "/static/", "/feed/", "/act/", "/sw.js", "/manifest.webmanifest")


class LoginMiddleware:
    """When a password is set, every page but the open ones needs a logged-in session."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        required: Callable[[], bool],
        alive: Callable[[object], bool] = lambda sid: True,
        open_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.open_prefixes = OPEN_PREFIXES + open_prefixes  # hosted mode adds its sign-up pages
        self.required = required
        self.alive = alive  # is this session id still recorded (not signed out, no new password)?

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.required():
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "/")
        session = scope.get("session", {})
        if session.get("user") and not self.alive(session.get("sid")):
            session.clear()  # signed out elsewhere, or the password changed: the cookie is void
        if path.startswith(self.open_prefixes) or session.get("user"):
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


def _names(host: str) -> set[str]:
    host = host.strip().lower().rstrip(".")
    return {host, f"[{host}]"} if host else set()


def is_address(name: str) -> bool:
    """An IP address (``[::1]`` form too): no DNS name that could be made to point elsewhere."""
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return False
    return True


class HostMiddleware:
    """The host names the app answers to, which stops DNS rebinding (a web page whose own host
    name is made to point at this server could otherwise use the person's browser against it).

    Without a password (``loopback_only()``) the app is for this computer only: loopback names
    and the loopback address it is bound to. With a password: those, any IP address, this
    machine's name (and ``NAME.local``), the name it is bound to, and the names given (the host of
    ``serve --public-url``). Any other name gets 421."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        loopback_only: Callable[[], bool],
        bound: str = "127.0.0.1",
        names: Iterable[str] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.loopback_only = loopback_only
        self.headers = headers or HEADER_DICT
        # The loopback address the server is bound to answers too (127.0.0.2, say): the address
        # `rollminder serve` prints must work.
        self.local = LOOPBACK_NAMES | (_names(bound) if is_loopback_name(bound) else set())
        import socket

        machine = socket.gethostname()
        self.known = self.local | _names(bound) | _names(machine) | _names(f"{machine}.local")
        for name in names:
            self.known |= _names(name)

    def allowed(self, name: str) -> bool:
        if self.loopback_only():
            return name in self.local
        return name in self.known or is_address(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.allowed(host_name(scope).rstrip(".")):
            if self.loopback_only():
                text = (
                    "rollminder answers only on this computer's loopback address "
                    "(no password is set)."
                )
            else:
                text = (
                    "rollminder does not answer to this name: open it by its address, or start "
                    "it with 'rollminder serve --public-url URL' for the name you use."
                )
            response = Response(
                text, status_code=421, media_type="text/plain", headers=self.headers
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def is_loopback_name(host: str) -> bool:
    return is_loopback(host.strip("[]"))
