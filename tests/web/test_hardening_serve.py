"""Issue 18 against a real ``rollminder serve`` (uvicorn in its own process, on loopback ports
18100-18199): forwarded headers trusted only from ``--trusted-proxy`` (item 2), the login limit
per account across addresses (item 16), and idle connections that can no longer starve a
signed-in person or flood the log (item 4)."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from rollminder.env import Env
from rollminder.web import security
from tests.web.common import planned_env

PASSWORD = "correct horse"


def port_for(offset: int) -> int:
    """A free port in this suite's range (18100-18199)."""
    for port in range(18100 + offset, 18200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18100-18199")


@contextlib.contextmanager
def serving(
    home: Path, *args: str, offset: int = 0, nofile: int | None = None, log: Path | None = None
) -> Iterator[str]:
    port = port_for(offset)

    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    out = open(log or os.devnull, "wb")  # noqa: SIM115
    cmd = [sys.executable, "-m", "rollminder", "--home", str(home), "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--no-reminders", *args],
        stdout=out,
        stderr=subprocess.STDOUT,
        preexec_fn=limit,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"serve did not start: {(log or Path('-'))}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


class Browser:
    """A tiny HTTP client that keeps the session cookie (the suite has no httpx)."""

    def __init__(self, url: str, timeout: float = 10) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.cookie = ""

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            sent = dict(headers or {})
            body = None
            if data is not None:
                body = urlencode(data)
                sent["content-type"] = "application/x-www-form-urlencoded"
            if self.cookie:
                sent["cookie"] = f"rollminder_session={self.cookie}"
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            got = {k.lower(): v for k, v in response.getheaders()}
            cookie = got.get("set-cookie", "")
            if cookie.startswith("rollminder_session="):
                self.cookie = cookie.split(";", 1)[0].split("=", 1)[1]
            return response.status, got, text
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post(
        self, path: str, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        return self.request("POST", path, data, headers)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    env = planned_env(tmp_path)
    with env.open_store() as store:
        store.put_secret(security.PASSWORD, security.hash_password(PASSWORD))
    return env


def login_form(client: Browser) -> dict[str, str]:
    _, _, page = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return {"csrf_token": found.group(1)}


def guesses(client: Browser, addresses: list[str], each: int) -> list[int]:
    form = login_form(client)
    codes = []
    for address in addresses:
        for _ in range(each):
            status, _, _ = client.post(
                "/login",
                data={**form, "password": "wrong guess"},
                headers={"X-Forwarded-For": address, "Forwarded": f"for={address}"},
            )
            codes.append(status)
    return codes


# -- item 2: X-Forwarded-For -----------------------------------------------------------------------


def test_forwarded_headers_do_not_reset_the_login_limit(env: Env, tmp_path: Path) -> None:
    with serving(env.home, log=tmp_path / "serve.log") as url:
        codes = guesses(Browser(url), [f"203.0.113.{n}" for n in range(30)], 1)
    assert codes == [401] * 5 + [429] * 25  # 5 per address (security.ADDRESS_ATTEMPTS)


def test_a_trusted_proxy_names_the_address_and_the_account_limit_holds(
    env: Env, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with serving(env.home, "--trusted-proxy", "127.0.0.1", offset=10, log=log) as url:
        c = Browser(url)
        # Two addresses behind the proxy: each has its own 5 (so more than 5 are evaluated).
        codes = guesses(c, ["198.51.100.1", "198.51.100.2"], 5)
        assert codes.count(401) == 10
        # Ten addresses, five guesses each: the account's limit stops them together.
        codes = guesses(c, [f"203.0.113.{n}" for n in range(10)], 5)
        assert codes.count(401) == 0 and codes.count(429) == 50


def test_trusted_proxy_must_be_an_address(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rollminder.cli import main

    monkeypatch.setenv("ROLLMINDER_HOME", str(env.home))
    assert main(["serve", "--trusted-proxy", "not an address\n", "--no-reminders"]) != 0
    err = capsys.readouterr().err
    assert "proxy" in err and "Traceback" not in err


# -- item 4: idle connections ----------------------------------------------------------------------


def test_idle_connections_do_not_starve_a_signed_in_person(env: Env, tmp_path: Path) -> None:
    """With a descriptor limit of 256 and 600 idle connections (half of them with a started
    request), a signed-in person still gets the dashboard and the log stays a few lines."""
    log = tmp_path / "serve.log"
    idle: list[socket.socket] = []
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1024:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    with serving(env.home, offset=20, nofile=256, log=log) as url:
        port = int(url.rsplit(":", 1)[1])
        person = Browser(url)
        form = login_form(person)
        status, headers, _ = person.post("/login", data={**form, "password": PASSWORD})
        assert status == 303 and headers["location"] == "/"
        try:
            for n in range(600):
                s = socket.socket()
                s.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    s.connect(("127.0.0.1", port))
                if n % 2:
                    with contextlib.suppress(OSError):
                        s.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                idle.append(s)
            time.sleep(1.0)
            for _ in range(3):
                status, _, text = person.get("/")
                assert status == 200 and 'action="/logout"' in text
        finally:
            for s in idle:
                s.close()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text
    assert len(text.splitlines()) <= 10, text[:2000]
