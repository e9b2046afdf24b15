"""How a reminder is sent: the :class:`Channel` protocol, the Apprise and desktop channels, and
how URLs are shown (:func:`mask_url`) and errors scrubbed (:func:`scrub`).

Apprise and desktop-notifier are imported only when a channel sends or a URL is checked.

What Apprise is told, for every kind of channel:

- the body is plain text (``body_format=TEXT``): Apprise would otherwise hand it to e-mail as
  HTML, where line breaks vanish and a clinic named ``Dr. <b>Weiss</b>`` becomes live markup.
  An e-mail channel forced to HTML (``?format=html``) gets HTML built here from the escaped
  text, with the Done and Snooze links as real ``<a href>``;
- no icon: Apprise's default asset points many services (ntfy's ``X-Icon``, Discord, Slack,
  Matrix...) at image URLs on github.com, which the phone or service would then load on our
  behalf; :func:`quiet_asset` turns both the remote URLs and the local icon files off;
- ntfy gets the session reminder's Done and Snooze as action buttons (its ``X-Actions``
  header: an HTTP POST to the web app's action link), not as links in the text.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from rollminder.remind.reach import bus_address
from rollminder.remind.records import ChannelConfig

DESKTOP_ID = "desktop"
DESKTOP_URL = "desktop://"
#: Seconds a desktop notification may take to reach the notification server.
DESKTOP_TIMEOUT = 10.0


class ChannelError(Exception):
    """A send failed; the message is one line and holds no secret."""


class Channel(Protocol):
    id: str
    name: str
    kind: str
    masked: str

    def send(self, title: str, body: str, *, slot: str = "") -> None:
        """Deliver one reminder or raise :class:`ChannelError`. ``slot`` is the ledger key
        (the desktop's Done/Snooze buttons act on it)."""
        ...


# ----------------------------------------------------------------------------- masking


def _apprise() -> Any:
    """Apprise, imported on first use. Loading its plugins warns of deprecations (imghdr on
    Python 3.11-3.12): not ours to fix, and not a person's concern."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise
        from apprise.plugins import N_MGR

        N_MGR.load_modules()  # type: ignore[no-untyped-call]  # what the first URL would do, but with the warnings silenced
    # Apprise's own log lines may name parts of a URL: they reach us only through _ThreadLines
    # (in AppriseChannel.send), scrubbed, never the process's log.
    quiet = logging.getLogger("apprise")
    quiet.propagate = False
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
    return apprise


def quiet_asset() -> Any:
    """Apprise's asset with every icon off: no remote image URL (``image_url_mask``,
    ``image_url_logo``) and no local icon file (``image_path_mask``) in any notification."""
    apprise = _apprise()
    return apprise.AppriseAsset(image_url_mask=None, image_url_logo=None, image_path_mask=False)


def _mask_token(text: str) -> str:
    if len(text) <= 4:
        return "****"
    return f"{text[0]}...{text[-1]}"


#: Schemes whose path is the secret (a webhook's URL is its password): every segment is hidden.
_PATH_IS_SECRET = ("json", "jsons", "form", "forms", "xml", "xmls", "http", "https", "ntfy")
#: A path segment that looks like a token: long, random-looking (letters and digits).
_TOKENISH = re.compile(r"[A-Za-z0-9_-]{16,}")


def _tokenish(segment: str) -> bool:
    return (
        _TOKENISH.fullmatch(segment) is not None
        and any(c.isdigit() for c in segment)
        and any(c.isalpha() for c in segment)
    )


def mask_url(url: str) -> str:
    """The URL with every part that can carry a secret hidden: user and password, the path of
    a webhook (json, form, xml, http(s)) and of ntfy (topics: whoever knows one can read it), any
    path segment that looks like a token, and the query string (left out). Only the scheme, the
    host and plain words of the path stay readable.

    Apprise's own privacy form is taken first where Apprise knows the URL (it knows which
    parts are secrets for each service), then the same generic pass as :func:`remask`.
    """
    url = url.strip()
    if url.lower().startswith(DESKTOP_URL):
        return DESKTOP_URL
    masked = None
    try:
        apprise = _apprise()
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin:
            masked = str(plugin.url(privacy=True))
    except Exception:  # masking must never fail
        masked = None
    return remask(masked or url, whole_path=masked is None)  # unknown to Apprise: hide it all


def remask(url: str, *, whole_path: bool = False) -> str:
    """The generic pass of :func:`mask_url`, without Apprise: for the masked copy a channel
    stored when it was added (a copy an older rollminder masked less), so every listing, old
    rows included, shows today's mask; and for URLs Apprise does not parse (``whole_path``:
    every path segment hidden, as for a webhook)."""
    url = url.strip()
    if url.lower().startswith(DESKTOP_URL):
        return DESKTOP_URL
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "****"
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    host = netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        name, sep, _password = user.partition(":")
        hidden = name if name in ("", "****") or "..." in name else _mask_token(name)
        netloc = f"{hidden}{':****' if sep else ''}@{host}"
    shown_host = ":".join(
        _mask_token(piece) if _tokenish(piece) and "." not in piece else piece
        for piece in host.split(":")
    )  # a token in the host's place (tgram://BOT:TOKEN, pover://USER@TOKEN)
    netloc = netloc[: len(netloc) - len(host)] + shown_host
    host = shown_host
    secret_path = whole_path or scheme.startswith(_PATH_IS_SECRET)
    if scheme.startswith("ntfy") and parts.path.strip("/") == "" and "." not in host:
        netloc = netloc.replace(host, _mask_token(host))  # ntfy://TOPIC: the host is the topic
    segments = [
        _mask_token(seg) if seg and "..." not in seg and (secret_path or _tokenish(seg)) else seg
        for seg in parts.path.split("/")
    ]
    path = "/".join(segments).rstrip("/")
    return f"{parts.scheme}://{netloc}{path}"


def scrub(message: str, url: str) -> str:
    """``message`` (an error, a log line) without any secret part of ``url``."""
    parts = urllib.parse.urlsplit(url)
    secrets = {parts.password or "", parts.username or ""}
    secrets |= {s for s in re.split(r"[/?&=:@,]", url.split("://", 1)[-1]) if len(s) >= 6}
    host = parts.hostname or ""
    secrets.discard(host)
    for s in sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True):
        message = message.replace(s, _mask_token(s))
        message = message.replace(urllib.parse.quote(s, safe=""), _mask_token(s))
    return " ".join(message.split())[:300].rstrip(".")


# ----------------------------------------------------------------------------- the channels


#: A line of the action links the reminder engine appends to a session reminder
#: (``engine.with_links``: a blank line, then ``Label: URL`` per link); the URL is one of the
#: web app's token-guarded ``/act/TOKEN/done|snooze`` routes.
_LINK_LINE = re.compile(
    r"^(?P<label>[^:\n]{1,40}): (?P<url>https?://[^\s,;]+/act/[A-Za-z0-9_-]+/(?:done|snooze))$"
)
NTFY_KINDS = frozenset({"ntfy", "ntfys"})
EMAIL_KINDS = frozenset({"mailto", "mailtos"})


def split_links(body: str) -> tuple[str, dict[str, str]]:
    """``body`` without the action links the engine appended, and those links (label -> URL);
    a body without them comes back whole, with no links."""
    head, sep, tail = body.rpartition("\n\n")
    if not sep:
        return body, {}
    found = [_LINK_LINE.match(line) for line in tail.split("\n")]
    if not found or not all(found):
        return body, {}
    return head, {m["label"]: m["url"] for m in found if m is not None}


def text_with_links(body: str, links: Mapping[str, str]) -> str:
    """The plain-text form: one ``Label: URL`` line per link after a blank line."""
    if not links:
        return body
    return body + "\n\n" + "\n".join(f"{label}: {url}" for label, url in links.items())


def html_with_links(body: str, links: Mapping[str, str]) -> str:
    """An HTML body from plain text: every character of the text escaped, its line breaks
    kept (``<br>``), each link a real ``<a href>``."""
    lines = [html.escape(line) for line in body.split("\n")]
    out = "<br>\n".join(lines)
    if links:
        anchors = " · ".join(
            f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'
            for label, url in links.items()
        )
        out += f"<br>\n<br>\n<p>{anchors}</p>"
    return f'<div style="white-space: normal">{out}</div>'


def ntfy_actions(links: Mapping[str, str]) -> str:
    """ntfy's ``Actions`` header (https://docs.ntfy.sh/publish/#action-buttons): one ``http``
    action per link, a POST the web app's action route takes without a login or CSRF token;
    ``clear=true`` removes the notification once the button worked."""
    return "; ".join(
        f"http, {label}, {url}, method=POST, headers.Accept=text/plain, clear=true"
        for label, url in links.items()
    )


class AppriseChannel:
    """Any Apprise URL: ntfy, mailto, json/form/xml webhooks, Telegram, Pushover, Matrix..."""

    def __init__(self, config: ChannelConfig) -> None:
        self.id = config.id
        self.name = config.name
        self.kind = config.kind
        self.masked = config.masked
        self._url = config.url
        self._plugin: Any = None

    def _instance(self, actions: str = "") -> Any:
        """The Apprise plugin for this URL, without icons; for ntfy with ``actions``, a fresh one
        carrying them (the links hold a token that may change between reminders)."""
        apprise = _apprise()
        if self._plugin is None:
            self._plugin = apprise.Apprise.instantiate(
                self._url, asset=quiet_asset(), suppress_exceptions=True
            )
            if not self._plugin:
                self._plugin = None
                raise ChannelError("Apprise does not understand this URL any more")
        if not actions:
            return self._plugin
        results = type(self._plugin).parse_url(self._url)
        if not results:  # pragma: no cover - the same URL parsed a moment ago
            return self._plugin
        results["actions"] = actions
        plugin = apprise.Apprise.instantiate(results, asset=quiet_asset())
        return plugin or self._plugin

    def send(self, title: str, body: str, *, slot: str = "") -> None:
        apprise = _apprise()
        text, links = split_links(body)
        text_format = apprise.NotifyFormat.TEXT
        if links and self.kind in NTFY_KINDS:
            plugin = self._instance(ntfy_actions(links))
            message, body_format = text, text_format
        else:
            plugin = self._instance()
            message, body_format = text_with_links(text, links), text_format
            forced = plugin.resolve_format(text_format)  # the URL's ?format=, if any
            if self.kind in EMAIL_KINDS and forced == apprise.NotifyFormat.HTML:
                # An e-mail channel forced to HTML: our own HTML, from the escaped text.
                message, body_format = html_with_links(text, links), forced
        capture = _ThreadLines()
        source = logging.getLogger("apprise")
        source.addHandler(capture)
        try:
            ok = plugin.notify(body=message, title=title, body_format=body_format)
        finally:
            source.removeHandler(capture)
        if not ok:
            why = capture.lines[-1] if capture.lines else "the service refused the notification"
            raise ChannelError(scrub(why, self._url))


class _ThreadLines(logging.Handler):
    """Apprise's warnings from this thread only (channels send in parallel threads: another
    channel's lines must not end up in this one's error)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.ident = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.ident:
            line = " ".join(record.getMessage().split())
            if line:
                self.lines.append(line)


class DesktopChannel:
    """Desktop notifications over D-Bus (desktop-notifier), with Done and Snooze buttons when
    ``on_action`` is given and the notification server supports actions.

    desktop-notifier is asynchronous and needs a running event loop to hear button presses; the
    channel keeps one in a daemon thread for as long as the process lives.
    """

    id = DESKTOP_ID
    kind = "desktop"
    masked = DESKTOP_URL

    def __init__(
        self, name: str = "desktop", on_action: Callable[[str, str], None] | None = None
    ) -> None:
        self.name = name
        self._on_action = on_action
        self._loop: asyncio.AbstractEventLoop | None = None
        self._notifier: Any = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="rollminder-desktop", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def _send(self, title: str, body: str, slot: str) -> bool:
        from desktop_notifier import Button, DesktopNotifier

        if self._notifier is None:
            self._notifier = DesktopNotifier(app_name="rollminder")
        dispatched = asyncio.Event()
        buttons = []
        if self._on_action is not None and slot:
            act = self._on_action
            buttons = [
                Button(title="Done", on_pressed=lambda: act("done", slot)),
                Button(title="Snooze 30 min", on_pressed=lambda: act("snooze", slot)),
            ]
        await self._notifier.send(
            title=title, message=body, buttons=buttons, on_dispatched=dispatched.set
        )
        return dispatched.is_set()

    def send(self, title: str, body: str, *, slot: str = "") -> None:
        if not bus_address():
            raise ChannelError("no D-Bus session bus: no desktop to notify")
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(self._send(title, body, slot), loop)
        try:
            ok = future.result(timeout=DESKTOP_TIMEOUT)
        except TimeoutError as exc:
            future.cancel()
            raise ChannelError("the notification server did not answer") from exc
        except Exception as exc:  # D-Bus errors of every kind
            raise ChannelError(f"desktop notification failed: {exc}") from exc
        if not ok:
            raise ChannelError("no notification server accepted the notification")

    async def _disconnect(self) -> None:
        # desktop-notifier keeps its D-Bus connection open for the buttons; close it.
        bus = getattr(getattr(self._notifier, "_backend", None), "bus", None)
        if bus is not None:
            bus.disconnect()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(bus.wait_for_disconnect(), 2)
        self._notifier = None

    def close(self) -> None:
        """Disconnect from D-Bus and end the event loop's thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._disconnect(), loop).result(timeout=3)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=3)
        if not loop.is_running():
            loop.close()


async def _has_notification_server() -> bool:
    from dbus_fast import Message, MessageType
    from dbus_fast.aio import MessageBus

    bus = await MessageBus(bus_address=bus_address()).connect()
    try:
        for member in ("ListNames", "ListActivatableNames"):
            reply = await bus.call(
                Message(
                    destination="org.freedesktop.DBus",
                    path="/org/freedesktop/DBus",
                    interface="org.freedesktop.DBus",
                    member=member,
                )
            )
            if (
                reply is not None
                and reply.message_type == MessageType.METHOD_RETURN
                and "org.freedesktop.Notifications" in reply.body[0]
            ):
                return True
        return False
    finally:
        bus.disconnect()


def desktop_available(timeout: float = 3.0) -> bool:
    """Whether a notification server is running (or can be started) on the session bus."""
    if not bus_address():
        return False

    def probe() -> bool:
        try:
            return asyncio.run(asyncio.wait_for(_has_notification_server(), timeout))
        except Exception:  # no bus, refused, timed out: no desktop
            return False

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return probe()
    # Called from inside an event loop (a web app's handler): probe on a thread of its own.
    found: list[bool] = []
    worker = threading.Thread(target=lambda: found.append(probe()), daemon=True)
    worker.start()
    worker.join(timeout + 1)
    return bool(found and found[0])


def build(config: ChannelConfig, on_action: Callable[[str, str], None] | None = None) -> Channel:
    if config.kind == "desktop":
        desktop = DesktopChannel(config.name, on_action)
        desktop.id = config.id
        return desktop
    return AppriseChannel(config)
