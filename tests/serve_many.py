"""Several real `rollminder serve` processes on one database, for the multi-process and deploy
tests (issue #15): each on its own loopback port of 18850-18899, started as the operator would
(the venv's `rollminder serve --database URL --no-reminders`), stopped after the test."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

PORTS = range(18850, 18900)
ROLLMINDER = Path(sys.executable).parent / "rollminder"
PASSWORD = "a long test password"


def free_ports(count: int, taken: Sequence[int] = ()) -> list[int]:
    found: list[int] = []
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError("no free port in 18850-18899")


def wait_listening(
    port: int, proc: subprocess.Popen[bytes], log: Path | None = None, seconds: float = 30.0
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = log.read_text(errors="replace") if log else ""
            raise RuntimeError(f"the server on port {port} exited {proc.returncode}: {err[-500:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds:g} s")


def serve_argv(port: int, extra: Sequence[str] = ()) -> list[str]:
    return [str(ROLLMINDER), "serve", "--port", str(port), "--no-reminders", *extra]


@contextmanager
def serving(
    database_url: str,
    home: Path,
    ports: Sequence[int],
    extra: Sequence[str] = (),
    argv: Callable[[int], list[str]] | None = None,
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``rollminder serve`` on each port (or ``argv(port)``), sharing ``database_url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
    env.update(ROLLMINDER_HOME=str(home), ROLLMINDER_DATABASE_URL=database_url)
    procs: list[subprocess.Popen[bytes]] = []
    home.mkdir(parents=True, exist_ok=True)
    logs = [home / f"serve-{port}.log" for port in ports]
    try:
        for port, log in zip(ports, logs, strict=True):
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        argv(port) if argv else serve_argv(port, extra),
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        for port, proc, log in zip(ports, procs, logs, strict=True):
            wait_listening(port, proc, log)
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def csrf_of(page: str) -> str:
    """The CSRF token a page carries (the hidden field, or the htmx header)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'"X-CSRF-Token": "([^"]+)"', page
    )
    assert found, page[-500:]
    return found.group(1)
