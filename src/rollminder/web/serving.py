"""How ``rollminder serve`` runs uvicorn so that idle or slow connections cannot starve the
people using the app (issue 18 item 4), and whose forwarded headers it believes (item 2).

- **Descriptors.** The soft ``RLIMIT_NOFILE`` is raised to the hard limit where allowed
  (:func:`raise_nofile`). Connections are capped below it (:func:`connection_cap`: the limit less
  a reserve for the database, backups and logs, at most :data:`MAX_CONNECTIONS`), so accepting
  never runs out of descriptors and the database can always be opened.
- **Idle connections make room.** When a new connection would pass the cap, the connection idle
  longest (no request in progress) is closed to make room; only when every connection is busy is
  the new one turned away (:class:`GuardedH11`). A connection must send a whole request head
  within :data:`HEAD_TIMEOUT` seconds of opening (or of its previous response), however slowly it
  drips bytes; after a response it may stay open :data:`KEEP_ALIVE` seconds.
- **Forwarded headers** (X-Forwarded-For) are believed only from the addresses given with
  ``serve --trusted-proxy``; by default none, so the login limit counts the connecting address.
- **The log stays small.** Failures are one line each, without tracebacks, and each kind at most
  once a minute with a count of the ones left out (:class:`OneLinePerKind`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

from rollminder.errors import InvalidInput

#: Connections held at most, whatever the descriptor limit allows.
MAX_CONNECTIONS = 4096
#: Descriptors kept free for the database (with its WAL), backups, logs and the listening socket.
RESERVE = 64
#: Seconds a connection has to send a whole request head.
HEAD_TIMEOUT = 10.0
#: Seconds an idle connection stays open after a response.
KEEP_ALIVE = 5
#: A request head (the request line and headers) of at most this many bytes.
MAX_HEAD = 16 * 1024
#: Each kind of logged failure at most once in this many seconds.
LOG_EVERY = 60.0


def check_proxy(text: str) -> str:
    """``--trusted-proxy``: an IP address or network; returned as uvicorn takes it."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        from rollminder.limits import shown

        raise InvalidInput(
            f"--trusted-proxy takes the proxy's address or network, such as 127.0.0.1 or "
            f"10.0.0.0/8, not {shown(text)[:100]!r}."
        ) from None


def raise_nofile() -> int:
    """Raise the soft descriptor limit to the hard one where allowed; the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if wanted > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return soft


def connection_cap(nofile: int) -> int:
    """Connections held at most with ``nofile`` descriptors."""
    reserve = max(RESERVE, nofile // 10)
    return max(8, min(MAX_CONNECTIONS, nofile - reserve))


def _protocol_class(cap: int) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with the cap, the eviction of idle connections and the head
    timeout (a class per server: the cap is a class attribute)."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11(H11Protocol):
        max_connections = cap
        head_timeout = HEAD_TIMEOUT
        #: Connections in the order they became idle (oldest first); some may have become busy
        #: since (skipped when making room). Keeps making room O(1) with thousands held.
        idle_order: ClassVar[dict[GuardedH11, None]] = {}

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._head_timer: asyncio.TimerHandle | None = None
            self._arm()
            if len(self.connections) > self.max_connections:
                self._make_room()

        def _idle(self) -> bool:
            return self.cycle is None or bool(self.cycle.response_complete)

        def _arm(self) -> None:
            """From now, a whole request head must arrive within ``head_timeout``."""
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._armed_for = self.cycle
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_late)
            self.idle_order.pop(self, None)
            self.idle_order[self] = None  # the newest idle one

        def _head_late(self) -> None:
            self._head_timer = None
            if self.cycle is self._armed_for and self._idle():
                self._close()

        def _close(self) -> None:
            self.idle_order.pop(self, None)
            if not self.transport.is_closing():
                if self.conn.our_state not in (h11.ERROR, h11.CLOSED, h11.MUST_CLOSE):
                    with contextlib.suppress(h11.LocalProtocolError):
                        self.conn.send(h11.ConnectionClosed())
                self.transport.abort()  # the descriptor goes now, without lingering

        def _make_room(self) -> None:
            for other in list(self.idle_order):
                if other is self:
                    continue
                if other.transport.is_closing() or not other._idle():
                    self.idle_order.pop(other, None)  # busy now: re-added when idle again
                    continue
                other._close()
                _note("idle connection closed to make room (connection cap reached)")
                return
            self._close()
            _note("connection refused: every connection is busy")

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self.idle_order.pop(self, None)
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            super().connection_lost(exc)

    return GuardedH11


_log = logging.getLogger("rollminder.serve")


def _note(kind: str) -> None:
    _log.warning(kind)


class OneLinePerKind(logging.Filter):
    """Each record becomes one line (no traceback: the exception's type and message are added);
    a kind of record (logger, message, exception type) passes at most once per ``every`` seconds,
    and the next one that passes says how many were left out."""

    def __init__(self, every: float = LOG_EVERY, clock: Any = time.monotonic) -> None:
        super().__init__()
        self.every = every
        self.clock = clock
        self._last: dict[tuple[str, str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        kind = (record.name, str(record.msg)[:200], type(exc).__name__ if exc else "")
        now = self.clock()
        last = self._last.get(kind)
        if last is not None and now - last[0] < self.every:
            self._last[kind] = (last[0], last[1] + 1)
            return False
        if len(self._last) > 1000:
            self._last.clear()
        self._last[kind] = (now, 0)
        message = record.getMessage()
        if exc is not None:
            message += f" ({type(exc).__name__}: {exc})"
        message = " ".join(message.split())[:500]
        if last is not None and last[1]:
            message += f" [{last[1]} more like this in the last {round(now - last[0])} s]"
        record.msg, record.args = message, None
        record.exc_info = record.exc_text = None
        record.stack_info = None
        return True


def configure_logging(stream: Any = None) -> logging.Handler:
    """One handler on standard error for everything the server logs (uvicorn, asyncio,
    rollminder), warnings and worse, one line per kind (see :class:`OneLinePerKind`)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("rollminder serve: %(levelname)s %(message)s"))
    handler.addFilter(OneLinePerKind())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "asyncio"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler


def server(
    app: Any,
    *,
    host: str,
    port: int,
    cert: Path | None = None,
    key: Path | None = None,
    trusted_proxies: list[str] | None = None,
) -> Any:
    """The uvicorn server for ``rollminder serve`` (see the module docstring)."""
    import uvicorn

    cap = connection_cap(raise_nofile())
    configure_logging()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        log_level="warning",
        access_log=False,
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
        server_header=False,
        http=_protocol_class(cap),
        timeout_keep_alive=KEEP_ALIVE,
        h11_max_incomplete_event_size=MAX_HEAD,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=list(trusted_proxies or []) or None,
    )
    return uvicorn.Server(config)
