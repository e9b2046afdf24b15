"""A loopback Web Push service for bench/workers.py, in a process of its own (its own GIL):
takes ``POST /push/NAME`` with keep-alive, answers 201 at once, counts each NAME and when it
arrived; one message in ``--check`` is decrypted (RFC 8291 aes128gcm, http_ece) and its VAPID
signature verified (tests/push_receiver.py), so what is counted is what a push service would
take. ``GET /stats`` answers the counts and times as JSON, ``GET /count`` how many arrived;
``GET /reset`` clears them.

    python -m bench.push_rx PORT KEYFILE [--check N]

KEYFILE holds the device's private key (PEM) and, on its last line, its auth secret (base64url).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any


class Counts:
    def __init__(self, key: Any, auth: bytes, origin: str, check: int) -> None:
        self.key, self.auth, self.origin, self.check = key, auth, origin, check
        self.reset()

    def reset(self) -> None:
        self.counts: dict[str, int] = {}
        self.times: list[float] = []
        self.checked = 0
        self.refused: list[str] = []

    def take(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if not path.startswith("/push/"):
            return 404
        name = path[6:]
        self.counts[name] = self.counts.get(name, 0) + 1
        self.times.append(time.time())
        if len(self.times) % self.check == 1:
            self._verify(headers, body)
        return 201

    def _verify(self, headers: dict[str, str], body: bytes) -> None:
        import http_ece
        from tests.push_receiver import verify_vapid

        try:
            if headers.get("content-encoding") != "aes128gcm":
                raise ValueError("not aes128gcm")
            verify_vapid(headers.get("authorization", ""), self.origin)
            plain = http_ece.decrypt(
                body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
            )
            if not json.loads(plain).get("title"):
                raise ValueError("no title")
            self.checked += 1
        except Exception as exc:
            self.refused.append(f"{type(exc).__name__}: {exc}"[:200])


class Http(asyncio.Protocol):
    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1").split("\r\n")
            method, path, _ = head[0].split(" ", 2)
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < head_end + 4 + length:
                return
            body = self.buffer[head_end + 4 : head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length :]
            self.answer(method, path, headers, body)

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        assert self.transport is not None
        content = b""
        if method == "GET" and path == "/stats":
            c = self.counts
            content = json.dumps(
                {"counts": c.counts, "times": c.times, "checked": c.checked,
                 "refused": c.refused[:20]}
            ).encode()  # fmt: skip
            status = 200
        elif method == "GET" and path == "/count":
            content = str(len(self.counts.times)).encode()
            status = 200
        elif method == "GET" and path == "/reset":
            self.counts.reset()
            status = 200
        elif method == "POST":
            status = self.counts.take(path, headers, body)
        else:
            status = 405
        reason = {200: "OK", 201: "Created", 404: "Not Found", 405: "Method Not Allowed"}[status]
        self.transport.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(content)}\r\n\r\n".encode()
            + content
        )


async def serve(port: int, counts: Counts) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Http(counts), "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


def main() -> None:
    from cryptography.hazmat.primitives import serialization
    from tests.push_receiver import b64d

    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("keyfile", type=Path)
    parser.add_argument("--check", type=int, default=100)
    args = parser.parse_args()
    text = args.keyfile.read_text().strip().splitlines()
    key = serialization.load_pem_private_key("\n".join(text[:-1]).encode(), password=None)
    counts = Counts(key, b64d(text[-1]), f"http://127.0.0.1:{args.port}", max(1, args.check))
    asyncio.run(serve(args.port, counts))


if __name__ == "__main__":
    main()
