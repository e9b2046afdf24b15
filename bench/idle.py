"""Idle connections against `rollminder serve` (issue 18 item 4): how many the server holds while
a signed-in person still gets the dashboard within 1 s.

A password is set and a person signs in; then idle connections are opened in steps (half send
nothing, half a request head that never ends). After each step the person asks for the dashboard
a few times on fresh connections: the table shows the slowest answer and its status, the
connections the server holds (its open descriptors less those it had before), and the size of
its log. The server's descriptor limit is the machine's (raised to the hard limit by serve);
this process raises its own so it can open the connections.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import resource
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import common
from bench.common import Options, Result

NAME = "idle"
DESCRIPTION = "web app: idle connections held while a signed-in person is answered within 1 s"
STEPS = (500, 1100, 2000, 4000, 8000, 12000)
QUICK_STEPS = (500, 1100, 4000)
TARGET_S = 1.0
PASSWORD = "bench password"
SET_UP = """
import sys
from pathlib import Path
from rollminder.env import Env
from rollminder.service import Rollminder
env = Env(home=Path(sys.argv[1]))
with env.open_store() as store:
    Rollminder(store, env.now).set_plan(needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="UTC")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(
    port: int, method: str, path: str, cookie: str = "", form: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"cookie": f"rollminder_session={cookie}"} if cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["content-type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        conn.close()


def _cookie(headers: dict[str, str], old: str) -> str:
    found = headers.get("set-cookie", "")
    return found.split(";", 1)[0].split("=", 1)[1] if "rollminder_session=" in found else old


def _sign_in(port: int) -> str:
    status, headers, page = _request(port, "GET", "/login")
    cookie = _cookie(headers, "")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf, page[:200]
    form = {"csrf_token": csrf.group(1), "password": PASSWORD}
    status, headers, _ = _request(port, "POST", "/login", cookie, form)
    if status != 303:
        raise RuntimeError(f"sign-in answered {status}")
    return _cookie(headers, cookie)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def run(options: Options) -> Result:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    steps = QUICK_STEPS if options.quick else STEPS
    rows: list[tuple[int, int, float, str, int, float]] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rollminder-idle-") as tmp:
        home = Path(tmp) / "home"
        env = common.clean_env({"ROLLMINDER_HOME": str(home)})
        rollminder = str(common.project_bin("rollminder"))
        subprocess.run(
            [str(common.project_bin("python")), "-c", SET_UP, str(home)],
            env=env,
            capture_output=True,
            check=True,
        )
        subprocess.run(
            [rollminder, "password", "set"],
            env=env,
            input=f"{PASSWORD}\n{PASSWORD}\n".encode(),
            capture_output=True,
            check=True,
        )
        port = _free_port()
        log = Path(tmp) / "serve.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [rollminder, "serve", "--port", str(port), "--no-reminders"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        idle: list[socket.socket] = []
        try:
            for _ in range(200):
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                time.sleep(0.05)
            cookie = _sign_in(port)
            base = _fds(proc.pid)
            server_limit = _server_limit(proc.pid)
            for target in steps:
                while len(idle) < target:
                    s = socket.socket()
                    s.setblocking(False)
                    try:
                        s.connect(("127.0.0.1", port))
                    except BlockingIOError:
                        pass
                    except OSError as exc:
                        s.close()
                        errors.append(f"client could not open connection {len(idle)}: {exc}")
                        break
                    if len(idle) % 2:
                        with contextlib.suppress(OSError):
                            s.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    idle.append(s)
                time.sleep(1.0)
                slowest, status = 0.0, "200"
                for _ in range(5):
                    began = time.perf_counter()
                    try:
                        code, _, text = _request(port, "GET", "/", cookie)
                        status = str(code) if code != 200 or "/logout" not in text else status
                    except OSError as exc:
                        status = type(exc).__name__
                    slowest = max(slowest, time.perf_counter() - began)
                held = _fds(proc.pid) - base
                rows.append((target, held, slowest, status, log.stat().st_size, _rss_mb(proc.pid)))
                common.log(f"idle {target}: held {held}, slowest {slowest * 1000:.0f} ms {status}")
        finally:
            for s in idle:
                s.close()
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    held_ok = [held for _, held, slow, status, _, _ in rows if status == "200" and slow <= TARGET_S]
    best = max(held_ok, default=0)
    lines = [
        f"Server descriptor limit {server_limit}; this machine: soft {soft}, hard {hard}.",
        "",
        "| idle connections opened | held by the server | slowest signed-in answer | status "
        "| server log | server memory |",
        "|---:|---:|---:|---|---:|---:|",
    ]
    for target, held, slowest, status, size, rss in rows:
        lines.append(
            f"| {target} | {held} | {slowest * 1000:.0f} ms | {status} | {size} bytes "
            f"| {rss:.0f} MB |"
        )
    lines += [
        "",
        f"Held while a signed-in person is answered within {TARGET_S:.0f} s: **{best}** "
        "connections (the cap: serve closes the longest-idle connection to make room for a new "
        "one, so more idle connections do not add up).",
    ]
    markdown = "\n".join(lines)
    misses = [] if best else ["no step answered the signed-in person within 1 s"]
    return Result(NAME, markdown, markdown, misses=misses, errors=errors)


def _server_limit(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                return line.split()[3]
    except OSError:
        pass
    return "?"
