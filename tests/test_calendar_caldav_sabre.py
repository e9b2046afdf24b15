"""`rollminder calendar push` against SabreDAV, the CalDAV server inside Baikal and Nextcloud.

Debian's php-sabre-dav under PHP's built-in server (`php -S` on loopback) with the router script
tests/sabredav/server.php: SQLite PDO backends, HTTP Digest sign-in (SabreDAV's default) or, in
a second configuration, Basic. What the push stored is read back from SabreDAV's own database
and over HTTP with the standard library's own Digest client (urllib), not rollminder's.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import icalendar
import pytest

from tests.conftest import Runner
from tests.need import missing

USER, PASSWORD = "alice", "correct horse"
CALENDAR = "/calendars/alice/home/"
SERVER_PHP = Path(__file__).parent / "sabredav" / "server.php"
SABRE = Path("/usr/share/php/Sabre/autoload.php")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Sabre(NamedTuple):
    auth: str  # "digest" or "basic"
    port: int
    db: Path

    def url(self, path: str = CALENDAR) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stored(self) -> dict[str, bytes]:
        """SabreDAV's own storage: object name -> iCalendar, from its SQLite database."""
        with sqlite3.connect(self.db) as db:
            rows = db.execute(
                "SELECT o.uri, o.calendardata FROM calendarobjects o "
                "JOIN calendars c ON c.id = o.calendarid WHERE c.uri = 'home'"
            ).fetchall()
        return {uri: data.encode() if isinstance(data, str) else data for uri, data in rows}

    def get(self, name: str) -> bytes:
        """One object over HTTP, signed in by urllib's own Digest or Basic handler."""
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, self.url("/"), USER, PASSWORD)
        handler: urllib.request.BaseHandler = (
            urllib.request.HTTPDigestAuthHandler(passwords)
            if self.auth == "digest"
            else urllib.request.HTTPBasicAuthHandler(passwords)
        )
        opener = urllib.request.build_opener(handler)
        with opener.open(self.url(CALENDAR + name), timeout=10) as response:
            data: bytes = response.read()
            return data

    def challenge(self) -> str:
        """The WWW-Authenticate header of an anonymous request."""
        request = urllib.request.Request(self.url(), method="PROPFIND", headers={"Depth": "0"})
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
            return str(exc.headers["WWW-Authenticate"])
        raise AssertionError("SabreDAV let an anonymous request in")


def _need_sabre() -> str:
    php = shutil.which("php")
    if php is None or not SABRE.exists():
        missing("php-cli, php-sabre-dav and php-sqlite3 are not installed (Makefile APT_PACKAGES)")
    return php


@pytest.fixture(scope="module", params=["digest", "basic"])
def sabre(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sabre]:
    php = _need_sabre()
    auth: str = request.param
    base = tmp_path_factory.mktemp(f"sabre-{auth}")
    port = free_port()
    env = {**os.environ, "SABRE_DB": str(base / "dav.sqlite"), "SABRE_AUTH": auth}
    log = (base / "log").open("w")
    proc = subprocess.Popen(
        [php, "-S", f"127.0.0.1:{port}", str(SERVER_PHP)],
        cwd=base,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "php -S did not start: " + (base / "log").read_text()
                    ) from None
                time.sleep(0.1)
        yield Sabre(auth, port, base / "dav.sqlite")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def pushing(planned: Runner, monkeypatch: pytest.MonkeyPatch) -> Runner:
    monkeypatch.setenv("ROLLMINDER_CALDAV_PASSWORD", PASSWORD)
    return planned


def events(objects: dict[str, bytes]) -> dict[str, icalendar.Event]:
    out = {}
    for data in objects.values():
        for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
            out[str(event["UID"])] = event
    return out


def test_the_server_asks_for_its_scheme(sabre: Sabre) -> None:
    scheme = sabre.challenge().split()[0]
    assert scheme == {"digest": "Digest", "basic": "Basic"}[sabre.auth]


def test_push_stores_the_events_and_a_second_push_changes_nothing(
    sabre: Sabre, pushing: Runner
) -> None:
    url = sabre.url()
    first = pushing("calendar", "push", "--url", url, "--user", USER)
    assert first.code == 0, first.err
    assert "16 created, 0 updated, 0 removed" in first.out
    stored = sabre.stored()
    ours = events(stored)
    exported = icalendar.Calendar.from_ical(pushing("calendar", "export").out.encode())
    assert set(ours) == {str(e["UID"]) for e in exported.walk("VEVENT")}
    thursday = next(u for u in ours if u.startswith("slot-20261123-1."))
    assert ours[thursday]["DTSTART"].dt.isoformat() == "2026-11-26T21:00:00+01:00"
    assert [a["TRIGGER"].dt.total_seconds() for a in ours[thursday].walk("VALARM")] == [-900, 0]
    # What SabreDAV serves is what it stored, read with urllib's own sign-in.
    name = sorted(stored)[0]
    assert sabre.get(name) == stored[name]

    again = pushing("calendar", "push", "--url", url, "--user", USER)
    assert again.code == 0 and "nothing changed" in again.out, again.err
    assert sabre.stored() == stored

    # Fewer weeks and another plan: updated in place, the rest removed, all in SabreDAV's store.
    assert pushing("plan", "set", "--days", "tue,fri", "--time", "20:00").code == 0
    third = pushing("calendar", "push", "--url", url, "--user", USER, "--weeks", "4")
    assert third.code == 0 and "0 created, 8 updated, 8 removed" in third.out, third.err
    after = events(sabre.stored())
    assert len(after) == 8 and set(after) < set(ours)
    for event in after.values():
        assert event["DTSTART"].dt.strftime("%a %H:%M") in ("Tue 20:00", "Fri 20:00")


def test_a_wrong_password_names_the_refused_scheme(
    sabre: Sabre, pushing: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = sabre.stored()
    monkeypatch.setenv("ROLLMINDER_CALDAV_PASSWORD", "wrong")
    result = pushing("calendar", "push", "--url", sabre.url(), "--user", USER)
    assert result.code == 1 and result.out == ""
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    name = {"digest": "Digest", "basic": "Basic"}[sabre.auth]
    assert f"refused the user name and password (HTTP 401, {name})" in result.err
    assert sabre.stored() == before
    nobody = pushing("calendar", "push", "--url", sabre.url())
    assert nobody.code == 1 and "asks who you are (HTTP 401)" in nobody.err
