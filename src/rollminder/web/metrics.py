"""``/metrics`` (issue 16): the reminders' figures in the Prometheus text format
(:mod:`rollminder.remind.metrics`), for an operator only.

Readable from loopback (a client address and a ``Host`` that are both loopback, and no
``X-Forwarded-For``: a request a proxy forwarded comes from loopback too, but not from this
machine), or anywhere with the operator token (``Authorization: Bearer TOKEN``), set by ``serve
--metrics-token`` or ``ROLLMINDER_METRICS_TOKEN``. Everyone else gets 404, as if there were no
such page. It runs before the app's other middleware (no session, no login, no CSRF: a scraper has
none), as the outermost one."""

from __future__ import annotations

import hmac
import os

from starlette.types import ASGIApp, Receive, Scope, Send

from rollminder.env import Env
from rollminder.remind.metrics import REGISTRY, Registry, backlog_reader
from rollminder.web.security import is_loopback

PATH = "/metrics"
TOKEN_VARIABLE = "ROLLMINDER_METRICS_TOKEN"
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


def allowed(scope: Scope, token: str | None) -> bool:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    given = headers.get("authorization", "")
    if token and given.startswith("Bearer "):
        return hmac.compare_digest(given[7:].strip().encode(), token.encode())
    client = scope.get("client")
    host = headers.get("host", "").rsplit(":", 1)[0].strip("[]")
    return (
        client is not None
        and is_loopback(str(client[0]))
        and is_loopback(host)
        and "x-forwarded-for" not in headers
        and "forwarded" not in headers
    )


class MetricsMiddleware:
    """Answers ``GET /metrics``; passes everything else on."""

    def __init__(
        self, app: ASGIApp, env: Env, token: str | None = None, registry: Registry = REGISTRY
    ) -> None:
        self.app = app
        self.token = token if token is not None else (os.environ.get(TOKEN_VARIABLE) or None)
        self.registry = registry
        if env.database_url and registry.backlog is None:
            registry.backlog = backlog_reader(env.database_url, env.now)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD") or not allowed(scope, self.token):
            await _answer(send, 404, b"text/plain; charset=utf-8", b"Not found.\n")
            return
        import anyio.to_thread

        body = await anyio.to_thread.run_sync(self.registry.render)
        await _answer(send, 200, CONTENT_TYPE, body.encode() if scope["method"] == "GET" else b"")


async def _answer(send: Send, status: int, kind: bytes, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
