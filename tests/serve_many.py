"""Several real `rollminder serve` processes on one database, for the multi-process and deploy
tests (issue #15): each on its own loopback port of 19050-19099, started as the operator would
(the venv's `rollminder serve --database URL --no-reminders`), stopped after the test. On a
PostgreSQL URL that is hosted mode: people sign in to accounts (:func:`new_account` makes one
through the accounts module, with a plan in its first profile)."""

from __future__ import annotations

import dataclasses
import hashlib
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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.pg import Cluster

PORTS = range(19050, 19100)
ROLLMINDER = Path(sys.executable).parent / "rollminder"
PASSWORD = "a long test password"
EMAIL = "ada@example.org"


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
    raise RuntimeError("no free port in 19050-19099")


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


def new_account(database_url: str, home: Path, email: str = EMAIL, password: str = PASSWORD) -> int:
    """An account (``email``, ``password``) whose first profile has a plan, as if its person had
    signed up and set it up; the account's id."""
    from rollminder.accounts import Accounts
    from rollminder.env import Env

    env = Env(home=home, database_url=database_url)
    account = Accounts(database_url, env.now).sign_up(email, password)
    assert account is not None, f"{email} has an account already"
    app = dataclasses.replace(env, account=account, profile="default").open_app()
    try:
        app.set_plan(needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin")
    finally:
        app.close()
    return account


def sign_in_form(page: str, email: str, password: str) -> dict[str, str]:
    """The sign-in form of ``page`` (its CSRF token) filled in."""
    return {"email": email, "password": password, "csrf_token": csrf_of(page)}


def limit_hits(cluster: Cluster, database_url: str, kind: str, what: str) -> int | None:
    """The hits counted in the database's ``rate_limits`` for ``kind`` by ``what`` (its row's
    key is a digest, as :meth:`rollminder.accounts.Accounts.hit` makes it); None: no row."""
    key = hashlib.sha256(f"{kind}\0{what.lower()}".encode()).hexdigest()
    rows = cluster.sql(
        f"SELECT hits FROM rate_limits WHERE \"key\" = '{key}'",
        database=database_url.rsplit("/", 1)[1],
    )
    return int(rows[0][0]) if rows else None  # type: ignore[call-overload]


def csrf_of(page: str) -> str:
    """The CSRF token a page carries (the hidden field, or the htmx header)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'"X-CSRF-Token": "([^"]+)"', page
    )
    assert found, page[-500:]
    return found.group(1)
