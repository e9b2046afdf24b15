"""A Web Push service on loopback, the suite's own (issue 16): it hands out subscriptions as a
browser's push manager would (an endpoint on this server, a P-256 key pair and an auth secret it
keeps, as the browser does), and for each message POSTed to an endpoint it checks the VAPID
signature (RFC 8292: an ES256 JWT whose ``aud`` is this origin, signed by the key in ``k=``),
decrypts the body with http_ece (RFC 8291, ``aes128gcm``) and keeps what it read.

``answer[sub_id] = 410`` makes an endpoint answer that (a dropped subscription).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Received:
    sub_id: str
    data: dict[str, Any]  # the decrypted JSON payload
    headers: dict[str, str]
    claims: dict[str, Any]  # the VAPID JWT's claims
    vapid_key: str  # the k= public key


@dataclass
class Device:
    sub_id: str
    private_key: Any
    auth: bytes
    endpoint: str

    def subscription(self) -> dict[str, Any]:
        from cryptography.hazmat.primitives import serialization

        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64e(point), "auth": b64e(self.auth)}}


def verify_vapid(header: str, origin: str) -> tuple[dict[str, Any], str]:
    """The claims of a ``vapid t=..., k=...`` Authorization header, or ValueError."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError(f"not a vapid authorization: {scheme}")
    params = dict(p.strip().split("=", 1) for p in rest.split(","))
    token, key = params["t"], params["k"]
    head_b64, claims_b64, sig_b64 = token.split(".")
    head = json.loads(b64d(head_b64))
    if head.get("alg") != "ES256":
        raise ValueError("not ES256")
    sig = b64d(sig_b64)
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
    public.verify(
        encode_dss_signature(r, s), f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256())
    )
    claims = json.loads(b64d(claims_b64))
    if claims.get("aud") != origin:
        raise ValueError(f"aud {claims.get('aud')!r} is not {origin!r}")
    if not claims.get("sub") or int(claims.get("exp", 0)) < time.time():
        raise ValueError("no sub, or expired")
    return claims, key


@dataclass
class PushReceiver:
    port: int
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why a message was not accepted
    answer: dict[str, int] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def device(self) -> Device:
        """A new subscription, as a browser's push manager would make it."""
        from cryptography.hazmat.primitives.asymmetric import ec

        sub_id = b64e(os.urandom(9))
        device = Device(sub_id, ec.generate_private_key(ec.SECP256R1()), os.urandom(16), "")
        device.endpoint = f"{self.origin}/push/{sub_id}"
        self.devices[sub_id] = device
        return device

    def for_device(self, sub_id: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.sub_id == sub_id]

    def wait(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self.lock:
            return list(self.received)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        import http_ece

        sub_id = path.rsplit("/", 1)[-1]
        device = self.devices.get(sub_id)
        if device is None or not path.startswith("/push/"):
            return 404
        if sub_id in self.answer:
            return self.answer[sub_id]
        try:
            if headers.get("content-encoding") != "aes128gcm":
                raise ValueError(f"content-encoding {headers.get('content-encoding')!r}")
            if "ttl" not in headers:
                raise ValueError("no TTL header")
            claims, key = verify_vapid(headers.get("authorization", ""), self.origin)
            plain = http_ece.decrypt(
                body, private_key=device.private_key, auth_secret=device.auth, version="aes128gcm"
            )
            data = json.loads(plain)
        except Exception as exc:  # what the test reports: the message is refused
            with self.lock:
                self.refused.append(f"{type(exc).__name__}: {exc}")
            return 400
        with self.lock:
            self.received.append(Received(sub_id, data, headers, claims, key))
        return 201

    def start(self) -> PushReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver.handle(self.path, headers, body)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
