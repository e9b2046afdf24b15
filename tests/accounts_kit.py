"""What the hosted accounts' tests share: a loopback SMTP server that requires a login (aiosmtpd,
ports 18800-18849), a software passkey authenticator (ES256 with ``cryptography``, attestation
"none") whose responses py_webauthn verifies for real, and a signed-up web client."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import json
import re
import socket
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.testclient import TestClient

SMTP_PORTS = range(18800, 18850)
SMTP_USER, SMTP_PASSWORD = "mailer", "smtp-pw ✓"


def _free_port() -> int:
    for port in SMTP_PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18800-18849")


@dataclass
class Mailbox:
    port: int
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"smtp://{SMTP_USER}:smtp-pw%20%E2%9C%93@127.0.0.1:{self.port}?from=rm@example.org"

    def wait(self, count: int, timeout: float = 10.0) -> list[email.message.EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.01)
        assert len(self.messages) >= count, f"{len(self.messages)} mails, wanted {count}"
        return list(self.messages)

    def link(self, to: str, path: str) -> str:
        """The path of the last link to ``path`` mailed to ``to``."""
        for message in reversed(self.messages):
            if message["To"] == to:
                body = message.get_body(("plain",))
                assert body is not None
                found = re.search(
                    r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]+)", str(body.get_content())
                )
                if found:
                    return found.group(1)
        raise AssertionError(f"no mail to {to} with a link to {path}")


@contextmanager
def mailbox() -> Iterator[Mailbox]:
    """An SMTP server on loopback that accepts mail after AUTH with the test's user."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox(_free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if not session.authenticated:
                return "530 Authentication required"
            box.messages.append(
                email.message_from_bytes(bytes(envelope.content), policy=email.policy.default)  # type: ignore[arg-type]
            )
            return "250 Message accepted for delivery"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        return AuthResult(success=ok)

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=box.port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# -- a software passkey authenticator -------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One ES256 key pair per credential; makes attestation-"none" registration responses and
    assertions as a platform authenticator would (user present and verified)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.keys: dict[bytes, tuple[Any, bytes, int]] = {}  # id -> (private key, user, count)

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        import cbor2
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        cred_id = hashlib.sha256(cose).digest()[:16]
        user = unb64url(options["user"]["id"])
        self.keys[cred_id] = (key, user, 0)
        client = json.dumps(
            {"type": "webauthn.create", "challenge": options["challenge"], "origin": self.origin,
             "crossOrigin": False}
        ).encode()  # fmt: skip
        auth = (
            hashlib.sha256(options["rp"]["id"].encode()).digest()
            + bytes([0x45])  # user present, user verified, attested credential data
            + struct.pack(">I", 0)
            + bytes(16)  # AAGUID
            + struct.pack(">H", len(cred_id))
            + cred_id
            + cose
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth})
        return {
            "id": b64url(cred_id), "rawId": b64url(cred_id), "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client), "attestationObject": b64url(attestation)
            },
        }  # fmt: skip

    def get(self, options: dict[str, Any], cred_id: bytes | None = None) -> dict[str, Any]:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        cred_id = cred_id or next(iter(self.keys))
        key, user, count = self.keys[cred_id]
        count += 1
        self.keys[cred_id] = (key, user, count)
        client = json.dumps(
            {"type": "webauthn.get", "challenge": options["challenge"], "origin": self.origin,
             "crossOrigin": False}
        ).encode()  # fmt: skip
        auth = hashlib.sha256(options["rpId"].encode()).digest() + bytes([0x05])
        auth += struct.pack(">I", count)
        signature = key.sign(auth + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(cred_id), "rawId": b64url(cred_id), "type": "public-key",
            "response": {"clientDataJSON": b64url(client), "authenticatorData": b64url(auth),
                         "signature": b64url(signature), "userHandle": b64url(user)},
        }  # fmt: skip


# -- the web client -------------------------------------------------------------------------------


def csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token of the form at ``path`` (the session's; a stale header is dropped)."""
    client.headers.pop("X-CSRF-Token", None)
    page = client.get(path)
    found = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[-500:]
    return found[0]


def sign_up(client: TestClient, mail: str, password: str = "correct horse 1") -> None:
    token = csrf(client, "/signup")
    done = client.post("/signup", data={"email": mail, "password": password, "csrf_token": token})
    assert done.status_code == 200, done.text[-800:]
    use_session_token(client)


def sign_in(client: TestClient, mail: str, password: str = "correct horse 1") -> int:
    token = csrf(client, "/login")
    done = client.post("/login", data={"email": mail, "password": password, "csrf_token": token})
    if done.status_code == 200:
        use_session_token(client)
    return done.status_code


def use_session_token(client: TestClient) -> None:
    """The signed-in session's CSRF token as htmx would send it (the X-CSRF-Token header)."""
    page = client.get("/account")
    found = re.findall(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert found, page.text[-500:]
    client.headers["X-CSRF-Token"] = found[0]
