"""Web Push (issue 16): reminders on a phone or a browser from the installed web app, with Done and
Snooze buttons that act without opening it.

- **The VAPID key pair** (RFC 8292) is made once per profile store, on first use, and kept as the
  secret :data:`VAPID_SECRET` (the private key's 32 raw bytes, base64url). The browser subscribes
  with the public key (:func:`public_key`); the push service then takes messages signed with it.
- **A subscription is a channel** of kind ``webpush`` (:data:`KIND`): its URL is the
  subscription as JSON (endpoint and the device's ``p256dh`` and ``auth`` keys, all secrets: the
  endpoint is a capability to notify the device), its name is the device's ("Chrome on
  Android"); only the push service's host is ever shown (:func:`masked`).
- **Sending** (:class:`WebPushChannel`) goes through pywebpush's async path, on the sender thread
  the engine gives each channel (with its deadline), encrypted per RFC 8291 (``aes128gcm``). The
  payload is JSON (:func:`payload`): title, body, a tag, and for a session reminder (one with a
  slot) the paths of the action-token links ``/act/TOKEN/done`` and ``/act/TOKEN/snooze``, which
  the service worker POSTs when a button is pressed. The channel learns the VAPID key and the
  action token from the facade (:func:`for_sending`, done by ``active_channels``): it holds no
  store of its own.
- **A 404 or 410 from the push service** means the subscription is gone (the person turned
  notifications off, or the browser dropped it): the channel notes the channel id in :data:`GONE`
  and fails; the facade's next ``active_channels`` (every pass, the daemon's and the workers')
  deletes that channel. A process that ends before then loses the note; the next send gets the 410
  again and notes it again.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from rollminder.errors import InvalidInput
from rollminder.remind.records import ChannelConfig
from rollminder.remind.senders import ChannelError, split_links

KIND = "webpush"
#: The profile secret holding the VAPID private key (raw, base64url).
VAPID_SECRET = "vapid_private_key"
#: The profile secret of the action-token links (web/security.py's ACTION_TOKEN; the same name).
ACTION_TOKEN = "action_token"
#: Seconds one push may take (the engine's sender deadline, 20 s, is the outer bound).
TIMEOUT = 15.0
#: How long the push service keeps an undelivered message (a phone off the network): a session
#: reminder is stale at the end of its day anyway.
TTL = 6 * 3600
#: A push service accepts at most 4096 bytes of encrypted payload (RFC 8291 section 4); ours stays
#: well below, whatever a routine's name.
MAX_PAYLOAD = 3000
MAX_ENDPOINT = 1000
MAX_NAME = 40
#: The VAPID ``sub`` claim when no https address of the app is known (RFC 8292 section 2.1 asks
#: for a contact URI; push services accept this form).
DEFAULT_SUBJECT = "mailto:webpush@localhost"

#: Channel ids whose subscription the push service said is gone (404/410): deleted by the facade.
GONE: set[str] = set()
_GONE_LOCK = threading.Lock()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# ----------------------------------------------------------------------------- the key pair


def new_private_key() -> str:
    """A new VAPID private key (P-256), as base64url of its 32 raw bytes."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return _b64encode(key.private_numbers().private_value.to_bytes(32, "big"))


def _private(secret: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    raw = _b64decode(secret)
    if len(raw) != 32:
        raise ValueError("a VAPID private key has 32 bytes")
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def public_key(secret: str) -> str:
    """The browser's ``applicationServerKey``: the uncompressed P-256 point, base64url."""
    from cryptography.hazmat.primitives import serialization

    point = (
        _private(secret)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return _b64encode(point)


# ----------------------------------------------------------------------------- subscriptions


@dataclass(frozen=True)
class Subscription:
    """What ``PushManager.subscribe()`` gave the browser, checked."""

    endpoint: str
    p256dh: str
    auth: str
    origin: str = ""  # the app's https address the device subscribed on ("" when not https)

    def to_url(self) -> str:
        """The channel's stored URL: the subscription as JSON."""
        data: dict[str, Any] = {
            "endpoint": self.endpoint,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
        }
        if self.origin:
            data["origin"] = self.origin
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


_LOOPBACK = ("127.0.0.1", "::1", "localhost")
#: A host name that makes a valid ``https:`` VAPID subject.
_SUB_HOST = re.compile(r"localhost|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def _key(value: object, size: int, what: str) -> str:
    try:
        if not isinstance(value, str) or len(value) > 200:
            raise ValueError
        raw = _b64decode(value.strip())
    except (ValueError, binascii.Error):
        raise InvalidInput(f"This browser's subscription has no usable {what} key.") from None
    if len(raw) != size or (size == 65 and raw[0] != 4):
        raise InvalidInput(f"This browser's subscription has no usable {what} key.")
    return _b64encode(raw)


def check_subscription(data: object, origin: str = "") -> Subscription:
    """A browser's subscription (``PushSubscription.toJSON()``), or a one-line InvalidInput.

    The endpoint must be https (every push service is), or http on loopback (a local push
    service, as the tests run)."""
    if not isinstance(data, Mapping):
        raise InvalidInput("This browser sent no push subscription.")
    endpoint = data.get("endpoint")
    keys = data.get("keys")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise InvalidInput("This browser's push subscription has no usable address.")
    try:
        parts = urllib.parse.urlsplit(endpoint)
    except ValueError:
        raise InvalidInput("This browser's push subscription has no usable address.") from None
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
    if not secure or not parts.hostname or any(ord(c) < 33 for c in endpoint):
        raise InvalidInput("This browser's push subscription has no usable address.")
    if not isinstance(keys, Mapping):
        raise InvalidInput("This browser's push subscription has no keys.")
    return Subscription(
        endpoint=endpoint,
        p256dh=_key(keys.get("p256dh"), 65, "encryption"),
        auth=_key(keys.get("auth"), 16, "authentication"),
        origin=_origin(origin),
    )


def _origin(origin: str) -> str:
    """An https origin (scheme, host, port), else "": the VAPID ``sub`` claim's contact."""
    try:
        parts = urllib.parse.urlsplit(origin)
    except ValueError:
        return ""
    host = parts.hostname or ""
    if parts.scheme != "https" or len(origin) > 300 or not _SUB_HOST.fullmatch(host):
        return ""
    return f"https://{host}"  # no port: push services (and py-vapid) take none in ``sub``


def subscription(config: ChannelConfig) -> Subscription:
    """The subscription a ``webpush`` channel holds."""
    data = json.loads(config.url)
    keys = data["keys"]
    return Subscription(data["endpoint"], keys["p256dh"], keys["auth"], data.get("origin", ""))


def masked(endpoint: str) -> str:
    """What is shown of a subscription: the push service's host only."""
    host = urllib.parse.urlsplit(endpoint).hostname or "push"
    return f"webpush://{host}"


def device_name(name: object) -> str:
    """The device's name as the browser gave it ("Chrome on Android"), cleaned."""
    text = " ".join(str(name or "").split())
    text = "".join(c for c in text if c.isprintable())[:MAX_NAME].strip()
    return text or "This browser"


# ----------------------------------------------------------------------------- gone subscriptions


def note_gone(channel_id: str) -> None:
    with _GONE_LOCK:
        GONE.add(channel_id)


def take_gone(ids: set[str]) -> set[str]:
    """The noted channel ids among ``ids`` (one profile's webpush channels), forgotten here."""
    with _GONE_LOCK:
        found = GONE & ids
        GONE.difference_update(found)
    return found


# ----------------------------------------------------------------------------- sending


def for_sending(config: ChannelConfig, vapid: str, action_token: str) -> ChannelConfig:
    """``config`` with what its sender needs and cannot read itself (it has no store): the VAPID
    private key and the action token, for this pass only (never stored)."""
    data = json.loads(config.url)
    data["send"] = {"vapid": vapid, "act": action_token}
    return replace(config, url=json.dumps(data, sort_keys=True, separators=(",", ":")))


def payload(title: str, body: str, slot: str, action_token: str) -> bytes:
    """The JSON the service worker shows. A session reminder (one with a slot) carries its Done and
    Snooze: the paths of the action-token links, which the worker POSTs on its own origin."""
    text, links = split_links(body)  # the web app's loop appends them for other channels
    actions: list[dict[str, str]] = []
    if slot:
        paths = {"done": "", "snooze": ""}
        if action_token:
            paths = {a: f"/act/{action_token}/{a}" for a in paths}
        else:  # no token given: take the paths from the links, if any
            for url in links.values():
                path = urllib.parse.urlsplit(url).path
                paths[path.rsplit("/", 1)[-1]] = path
        actions = [
            {"action": "done", "title": "Done", "url": paths["done"]},
            {"action": "snooze", "title": "Snooze 30 min", "url": paths["snooze"]},
        ]
        actions = [a for a in actions if a["url"]]
    data: dict[str, Any] = {
        "title": title,
        "body": text,
        "tag": f"rollminder-{slot}" if slot else "rollminder",
        "actions": actions,
    }
    encoded = json.dumps(data, ensure_ascii=False).encode()
    while len(encoded) > MAX_PAYLOAD and data["body"]:
        data["body"] = data["body"][: max(0, len(data["body"]) - 200)].rstrip() + "…"
        if len(data["body"]) <= 1:
            data["body"] = ""
        encoded = json.dumps(data, ensure_ascii=False).encode()
    return encoded


class WebPushChannel:
    """One subscribed device. ``send`` runs on the engine's sender thread for this channel."""

    kind = KIND

    def __init__(self, config: ChannelConfig, vapid: str = "", action_token: str = "") -> None:
        """``config`` as :func:`for_sending` made it, or as stored with ``vapid`` and
        ``action_token`` given here (a worker's batch: no second JSON round trip a message)."""
        self.id = config.id
        self.name = config.name
        self.masked = config.masked
        data = json.loads(config.url)
        self._subscription = {"endpoint": data["endpoint"], "keys": data["keys"]}
        extra = data.get("send") or {}
        self._vapid: str = vapid or extra.get("vapid", "")
        self._token: str = action_token or extra.get("act", "")
        self._subject: str = data.get("origin") or DEFAULT_SUBJECT

    async def push(self, title: str, body: str, slot: str = "", session: Any = None) -> None:
        """Send one notification (``session``: an aiohttp session whose connections to the push
        service are kept, as the workers' batches share one), or raise :class:`ChannelError`."""
        if not self._vapid:
            raise ChannelError("no Web Push key is set up for this profile")
        aiohttp, VapidException, WebPushException, webpush_async = _libraries()
        data = payload(title, body, slot, self._token)
        try:
            signed = vapid_headers(self._vapid, self._subject, self._subscription["endpoint"])
            await webpush_async(
                subscription_info=self._subscription,
                data=data.decode(),
                content_encoding="aes128gcm",
                timeout=TIMEOUT,
                ttl=TTL,
                headers={**signed, "Urgency": "high"},
                aiohttp_session=session,
            )
        except WebPushException as exc:
            status = exc.status_code
            if status in (404, 410):
                note_gone(self.id)
                raise ChannelError(
                    f"this device is no longer subscribed (the push service answered {status}): "
                    "it is removed"
                ) from None
            shown = f" ({status})" if status else ""
            raise ChannelError(f"the push service refused the notification{shown}") from None
        except VapidException as exc:  # a key or subject the signer refuses
            raise ChannelError(f"the Web Push signature could not be made ({exc})") from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ChannelError(
                f"the push service could not be reached ({type(exc).__name__})"
            ) from None

    def send(self, title: str, body: str, *, slot: str = "") -> None:
        try:
            asyncio.run(asyncio.wait_for(self.push(title, body, slot), TIMEOUT))
        except TimeoutError:
            raise ChannelError("the push service could not be reached (TimeoutError)") from None


#: A VAPID signature (RFC 8292) is good for up to 24 hours: one is made per key, push service and
#: hour, and says it ends 12 to 13 hours later (a push service refuses an ``exp`` past 24 hours).
VAPID_FOR = 12 * 3600


def vapid_headers(private: str, subject: str, endpoint: str) -> dict[str, str]:
    """The ``Authorization`` header for a message to ``endpoint`` (signed once an hour per push
    service: signing each message cost a tenth of a send, bench/workers.py)."""
    hour = int(time.time()) // 3600
    return dict(_signed(private, subject, _audience(endpoint), hour))


def _audience(endpoint: str) -> str:
    """The push service's origin, ``scheme://host[:port]`` (the JWT's ``aud``)."""
    scheme, sep, rest = endpoint.partition("://")
    if not sep:
        parts = urllib.parse.urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0].split('#', 1)[0]}"


@functools.cache
def _libraries() -> tuple[Any, Any, Any, Any]:
    """aiohttp, py_vapid's and pywebpush's names a send uses (imported on the first send: the
    CLI never pays for them)."""
    import aiohttp
    from py_vapid import VapidException  # type: ignore[import-untyped]
    from pywebpush import WebPushException, webpush_async  # type: ignore[import-untyped]

    return aiohttp, VapidException, WebPushException, webpush_async


@functools.lru_cache(maxsize=1024)
def _signed(private: str, subject: str, audience: str, hour: int) -> tuple[tuple[str, str], ...]:
    claims = {"sub": subject, "aud": audience, "exp": (hour + 1) * 3600 + VAPID_FOR}
    return tuple(_signer(private).sign(claims).items())


@functools.lru_cache(maxsize=1024)
def _signer(private: str) -> Any:
    """The VAPID signer of a private key (made once: deriving the key costs more than signing)."""
    from py_vapid import Vapid02

    return Vapid02.from_raw(private.encode())
