"""The web app's security: password hashes, secret tokens, CSRF, headers, the login rate limit.

- Passwords are stored as scrypt hashes (hashlib.scrypt, random 16-byte salt) in the profile's
  secret rows (see ``SqliteStore.secret``); never the password itself.
- Secrets (the session-cookie key, the calendar-feed token, the action-link token) are random
  URL-safe strings, made on first use and rotatable.
- CSRF: every unsafe request (POST, PUT, PATCH, DELETE) must carry the session's token, as the
  form field ``csrf_token`` or the header ``X-CSRF-Token``. :class:`GuardMiddleware` checks it
  before any route runs, so no route can forget it. Only ``/act/<token>/...`` is exempt: its secret
  token is the credential (a notification's Done button posts without a cookie).
- Headers on every response: a Content-Security-Policy without inline script or style,
  frame-ancestors 'none', X-Content-Type-Options, Referrer-Policy; over HTTPS (``serve --cert``)
  Strict-Transport-Security too.
- Sign-in sessions are records in the profile's secrets (``SESSIONS``), see
  :mod:`rollminder.web.signins`.
- Login attempts are limited per address and per account (:class:`LoginLimit`, in memory: the
  embedded mode's one process). Hosted mode's accounts have their own limits, in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from rollminder.errors import InvalidInput

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# scrypt cost: n=2**14, r=8, p=1 (about 16 MB and ~50 ms): the common interactive-login setting.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8
MAX_PASSWORD = 1024

PASSWORD = "password"
SESSION_KEY = "session_key"
FEED_TOKEN = "feed_token"
ACTION_TOKEN = "action_token"
SESSIONS = "web_sessions"
#: How long a sign-in lasts (the cookie's max-age too).
SESSION_SECONDS = 14 * 24 * 3600
#: Sessions kept per profile; the oldest ends first when there are more.
MAX_SESSIONS = 64

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)

#: Over HTTPS: browsers then refuse plain http for this host for a year (RFC 6797).
HSTS = (b"strict-transport-security", b"max-age=31536000")

#: The same, as a dict for a response made outside the guard (an error page, a refused host).
HEADER_DICT: dict[str, str] = {k.decode(): v.decode() for k, v in SECURITY_HEADERS}


def security_headers(https: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The headers every response carries (with HSTS when served over HTTPS)."""
    return (*SECURITY_HEADERS, HSTS) if https else SECURITY_HEADERS


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- passwords -------------------------------------------------------------------------------------


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"The password is too short: at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"The password is too long: at most {MAX_PASSWORD} characters.")
    return password


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64 salt and hash)."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt" or len(password) > MAX_PASSWORD:
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def new_token() -> str:
    return secrets.token_urlsafe(24)


def same_token(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


# -- the login rate limit --------------------------------------------------------------------------


#: Failed logins allowed per address (a sliding window): 5 per 5 minutes.
ADDRESS_ATTEMPTS, ADDRESS_WINDOW = 5, 300.0
#: Failed logins allowed for the account from every address together: 10 per 15 minutes, so at
#: most 40 wrong passwords an hour however many addresses an attacker has.
ACCOUNT_ATTEMPTS, ACCOUNT_WINDOW = 10, 900.0
#: Clients remembered at most (the oldest is forgotten first).
MAX_CLIENTS = 10_000


class RateLimit:
    """At most ``attempts`` failed logins per client in ``window`` seconds (a sliding window),
    counted in this process's memory.

    This is the embedded mode's limit (one serve process on a SQLite data directory). Hosted mode
    (a PostgreSQL URL, several serve processes) has no household password to limit: its sign-in,
    sign-up and reset paths count in the database's ``rate_limits``, shared by every process
    (:meth:`rollminder.accounts.Accounts.hit`)."""

    def __init__(
        self,
        attempts: int = 5,
        window: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(client, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked_for(self, client: str) -> float:
        """Seconds until ``client`` may try again (0: now)."""
        now = self.clock()
        failures = self._recent(client, now)
        if len(failures) < self.attempts:
            return 0.0
        return max(0.0, failures[-self.attempts] + self.window - now)

    def failed(self, client: str) -> None:
        now = self.clock()
        self._recent(client, now).append(now)
        if len(self._failures) > MAX_CLIENTS:  # never grow without bound
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)


class LoginLimit:
    """The login's two limits: per address (:data:`ADDRESS_ATTEMPTS` in
    :data:`ADDRESS_WINDOW`) and for the account from all addresses together
    (:data:`ACCOUNT_ATTEMPTS` in :data:`ACCOUNT_WINDOW`). The address is the connection's peer,
    or what a proxy named with ``serve --trusted-proxy`` forwarded. When the account's limit is
    reached even the right password waits (at most :data:`ACCOUNT_WINDOW`): that is the price of
    capping what many addresses together can try. A successful login clears its address's count,
    not the account's."""

    ACCOUNT = "\0account"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.by_address = RateLimit(ADDRESS_ATTEMPTS, ADDRESS_WINDOW, clock)
        self.by_account = RateLimit(ACCOUNT_ATTEMPTS, ACCOUNT_WINDOW, clock)

    def blocked_for(self, address: str) -> float:
        return max(self.by_address.blocked_for(address), self.by_account.blocked_for(self.ACCOUNT))

    def failed(self, address: str) -> None:
        self.by_address.failed(address)
        self.by_account.failed(self.ACCOUNT)

    def succeeded(self, address: str) -> None:
        self.by_address.succeeded(address)


# -- CSRF, body size and headers: one ASGI middleware around everything ----------------------------


class GuardMiddleware:
    """Adds the security headers to every response, limits request bodies, and refuses unsafe
    requests without the session's CSRF token.

    It sits inside Starlette's SessionMiddleware, so ``scope["session"]`` holds the token
    (``session["csrf"]``). The body is read here (at most ``max_body(path)`` bytes; more gets
    413), the token is looked for in the header, or in the urlencoded or multipart form, and the
    body is then replayed to the app unchanged.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: Callable[[str], int],
        refuse: Callable[[Scope, int, str], Awaitable[ASGIApp]],
        exempt: Callable[[str], bool] = lambda path: False,
        headers: tuple[tuple[bytes, bytes], ...] = SECURITY_HEADERS,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.refuse = refuse
        self.exempt = exempt
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in self.headers if k not in present)
                message["headers"] = headers
            await send(message)

        path = scope.get("path", "")
        limit = self.max_body(path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _drain(receive)
            await (await self.refuse(scope, 413, too_large(limit)))(
                scope, receive, send_with_headers
            )
            return
        if scope["method"] not in UNSAFE:
            await self.app(scope, receive, send_with_headers)
            return

        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                if more:
                    await _drain(receive)
                refused = await self.refuse(scope, 413, too_large(limit))
                await refused(scope, _replay(b""), send_with_headers)
                return
        data = bytes(body)
        if not self.exempt(path):
            expected = scope.get("session", {}).get("csrf")
            given = _header(scope, CSRF_HEADER) or await _form_token(scope, data)
            if not expected or not given or not same_token(given, expected):
                refused = await self.refuse(
                    scope,
                    403,
                    "This form has expired or did not come from rollminder: reload the page and "
                    "try again. Nothing was changed.",
                )
                await refused(scope, _replay(b""), send_with_headers)
                return
        await self.app(scope, _replay(data), send_with_headers)


def too_large(limit: int) -> str:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return f"That is too large: at most {size}. Nothing was changed."


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return str(value.decode("latin-1"))
    return None


def _content_length(scope: Scope) -> int | None:
    text = _header(scope, "content-length")
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _replay(data: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": data, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _form_token(scope: Scope, data: bytes) -> str | None:
    ctype = (_header(scope, "content-type") or "").lower()
    if ctype.startswith("application/x-www-form-urlencoded"):
        try:
            values = parse_qs(data.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        except ValueError:
            return None
        return values[0] if values else None
    if ctype.startswith("multipart/form-data"):
        from starlette.requests import Request

        request = Request(scope, _replay(data))
        try:
            form = await request.form()
        except Exception:  # a malformed body: no token
            return None
        try:
            value = form.get(CSRF_FIELD)
            return value if isinstance(value, str) else None
        finally:
            await form.close()
    return None
