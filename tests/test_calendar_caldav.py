"""`rollminder calendar push` against a real Radicale server on loopback.

Radicale runs as a subprocess (`python -m radicale`) with its own config, storage and plain-text
users file (HTTP Basic), on a free port; a second one serves HTTPS with a certificate from a CA
made in the test (``openssl``). Each test makes its own calendar collection. SabreDAV (Digest)
is in tests/test_calendar_caldav_sabre.py.
"""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import icalendar
import pytest

from tests.conftest import SETUP, Runner
from tests.need import missing

USER, PASSWORD = "alice", "correct horse"


def _need_radicale() -> None:
    try:
        import radicale  # noqa: F401
    except ImportError:
        missing("radicale is not installed (a dev dependency)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server(NamedTuple):
    port: int
    ca_file: Path | None = None  # serving HTTPS with a certificate from this CA

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn: http.client.HTTPConnection
        if self.ca_file is not None:
            context = ssl.create_default_context(cafile=str(self.ca_file))
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=10, context=context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        try:
            conn.request(
                method, path, body or None, {"Authorization": f"Basic {token}", **(headers or {})}
            )
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def url(self, path: str) -> str:
        scheme = "https" if self.ca_file is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def new_calendar(self) -> str:
        path = f"/{USER}/{uuid.uuid4().hex[:8]}/"
        status, _, body = self.request("MKCALENDAR", path)
        assert status == 201, body
        return path

    def objects(self, path: str) -> dict[str, bytes]:
        """Every object of a collection: name -> raw iCalendar (read from Radicale over HTTP)."""
        status, _, body = self.request(
            "PROPFIND",
            path,
            b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>',
            {"Depth": "1"},
        )
        assert status == 207
        from xml.etree import ElementTree

        out = {}
        for href in ElementTree.fromstring(body).iter("{DAV:}href"):
            name = (href.text or "").rsplit("/", 1)[-1]
            if name.endswith(".ics"):
                status, _, data = self.request("GET", path + name)
                assert status == 200
                out[name] = data
        return out


@contextmanager
def running_radicale(base: Path, *, tls: tuple[Path, Path, Path] | None = None) -> Iterator[Server]:
    """Radicale on a free loopback port; ``tls`` = (CA, certificate, key) serves HTTPS."""
    _need_radicale()
    (base / "users").write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    port = free_port()
    config = base / "config"
    ssl_lines = ""
    if tls is not None:
        ssl_lines = f"ssl = True\ncertificate = {tls[1]}\nkey = {tls[2]}\n"
    config.write_text(
        f"""[server]
hosts = 127.0.0.1:{port}
{ssl_lines}[auth]
type = htpasswd
htpasswd_filename = {base / "users"}
htpasswd_encryption = plain
delay = 0
[storage]
filesystem_folder = {base / "collections"}
[web]
type = none
[logging]
level = warning
""",
        encoding="utf-8",
    )
    log = (base / "log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
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
                        "radicale did not start: " + (base / "log").read_text()
                    ) from None
                time.sleep(0.1)
        yield Server(port, tls[0] if tls is not None else None)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server


def make_ca(where: Path) -> tuple[Path, Path, Path]:
    """A private CA and a certificate it signed for 127.0.0.1 and localhost, with ``openssl``:
    (CA certificate, server certificate, server key), PEM files."""
    openssl = shutil.which("openssl")
    if openssl is None:
        missing("openssl is not installed (Makefile APT_PACKAGES)")
    ca, ca_key = where / "ca.pem", where / "ca.key"
    cert, key, csr = where / "server.pem", where / "server.key", where / "server.csr"
    ext = where / "server.ext"
    ext.write_text(
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n",
        encoding="utf-8",
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for command in (
        [openssl, "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=rollminder test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        [openssl, "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        [openssl, "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", ext],
    ):  # fmt: skip
        subprocess.run([str(c) for c in command], check=True, capture_output=True)
    return ca, cert, key


@pytest.fixture(scope="module")
def radicale_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("radicale-tls")
    with running_radicale(base, tls=make_ca(base)) as server:
        yield server


@pytest.fixture
def pushing(planned: Runner, monkeypatch: pytest.MonkeyPatch) -> Runner:
    monkeypatch.setenv("ROLLMINDER_CALDAV_PASSWORD", PASSWORD)
    return planned


FOREIGN = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//someone else//EN\r
BEGIN:VEVENT\r
UID:dentist-42@example.org\r
DTSTAMP:20261101T000000Z\r
DTSTART:20261130T200000Z\r
DURATION:PT1H\r
SUMMARY:Dentist\r
END:VEVENT\r
END:VCALENDAR\r
"""


def uids(objects: dict[str, bytes]) -> dict[str, icalendar.Event]:
    out = {}
    for data in objects.values():
        for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
            out[str(event["UID"])] = event
    return out


def test_push_creates_updates_removes_and_leaves_others_alone(
    radicale: Server, pushing: Runner
) -> None:
    path = radicale.new_calendar()
    status, _, _ = radicale.request(
        "PUT", path + "dentist.ics", FOREIGN, {"Content-Type": "text/calendar"}
    )
    assert status == 201
    foreign_before = radicale.objects(path)["dentist.ics"]
    url = radicale.url(path)

    first = pushing("calendar", "push", "--url", url, "--user", USER)
    assert first.code == 0, first.err
    assert "16 created, 0 updated, 0 removed" in first.out
    events = uids(radicale.objects(path))
    ours = {u: e for u, e in events.items() if u.endswith("@rollminder")}
    assert len(ours) == 16 and "dentist-42@example.org" in events
    exported = icalendar.Calendar.from_ical(pushing("calendar", "export").out.encode())
    assert set(ours) == {str(e["UID"]) for e in exported.walk("VEVENT")}
    thursday = next(u for u in ours if u.startswith("slot-20261123-1."))
    assert ours[thursday]["DTSTART"].dt.isoformat() == "2026-11-26T21:00:00+01:00"
    assert [a["TRIGGER"].dt.total_seconds() for a in ours[thursday].walk("VALARM")] == [-900, 0]

    # Idempotent: nothing changes on the server, not even an ETag.
    snapshot = radicale.objects(path)
    again = pushing("calendar", "push", "--url", url, "--user", USER)
    assert again.code == 0 and "nothing changed" in again.out
    assert radicale.objects(path) == snapshot

    # Change the plan (Tue+Fri at 20:00) and push fewer weeks: moved events are updated in
    # place (same UIDs), the weeks no longer exported are removed, the dentist stays.
    assert pushing("plan", "set", "--days", "tue,fri", "--time", "20:00").code == 0
    third = pushing("calendar", "push", "--url", url, "--user", USER, "--weeks", "4")
    assert third.code == 0, third.err
    assert "0 created, 8 updated, 8 removed" in third.out
    after = uids(radicale.objects(path))
    moved = {u: e for u, e in after.items() if u.endswith("@rollminder")}
    assert set(moved) < set(ours)
    for u, event in moved.items():
        start = event["DTSTART"].dt
        assert start.strftime("%a %H:%M") in ("Tue 20:00", "Fri 20:00")
        assert event["SEQUENCE"] > ours[u]["SEQUENCE"]
    assert radicale.objects(path)["dentist.ics"] == foreign_before
    assert pushing("calendar", "push", "--url", url, "--user", USER, "--weeks", "4").out.startswith(
        "Calendar up to date"
    )


def test_a_skip_without_a_catch_up_removes_its_event(radicale: Server, pushing: Runner) -> None:
    path = radicale.new_calendar()
    url = radicale.url(path)
    assert pushing("calendar", "push", "--url", url, "--user", USER).code == 0
    before = radicale.objects(path)
    assert pushing("skip", "--reason", "irritated").code == 0  # a decision: no catch-up
    result = pushing("calendar", "push", "--url", url, "--user", USER)
    assert result.code == 0 and "0 created, 0 updated, 1 removed" in result.out
    after = radicale.objects(path)
    assert set(after) < set(before) and len(before) - len(after) == 1


def test_a_skip_with_a_catch_up_moves_one_event(radicale: Server, pushing: Runner) -> None:
    path = radicale.new_calendar()
    url = radicale.url(path)
    assert pushing("calendar", "push", "--url", url, "--user", USER).code == 0
    before = radicale.objects(path)
    assert pushing("skip", "--reason", "irritated", "--catch-up").code == 0
    result = pushing("calendar", "push", "--url", url, "--user", USER)
    assert result.code == 0 and "0 created, 1 updated, 0 removed" in result.out
    after = radicale.objects(path)
    assert set(after) == set(before)
    (changed,) = [n for n in after if after[n] != before[n]]
    assert changed.startswith("slot-20261123-1.")


def test_two_profiles_share_a_calendar_without_touching_each_other(
    radicale: Server, pushing: Runner
) -> None:
    path = radicale.new_calendar()
    url = radicale.url(path)
    assert pushing("--profile", "sam", *SETUP).code == 0
    assert pushing("calendar", "push", "--url", url, "--user", USER).code == 0
    sam = pushing("--profile", "sam", "calendar", "push", "--url", url, "--user", USER)
    assert sam.code == 0 and "16 created" in sam.out
    assert len(radicale.objects(path)) == 32
    # The default profile's next push leaves sam's events alone.
    mine = pushing("calendar", "push", "--url", url, "--user", USER, "--weeks", "1")
    assert "14 removed" in mine.out
    assert len(radicale.objects(path)) == 18


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("wrong password", "refused the user name and password (HTTP 401, Basic)"),
        ("server down", "connection refused"),
        ("bad url", "is not a CalDAV calendar URL"),
        ("not a calendar", "is not a CalDAV calendar"),
        ("no such calendar", "There is no calendar at"),
        ("password in url", "Put no user name or password in the URL"),
        ("no user", "asks who you are (HTTP 401)"),
    ],
)
def test_bad_settings_give_one_line_and_change_nothing(
    radicale: Server,
    pushing: Runner,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    expected: str,
) -> None:
    path = radicale.new_calendar()
    assert pushing("calendar", "push", "--url", radicale.url(path), "--user", USER).code == 0
    assert pushing("plan", "set", "--days", "tue,fri").code == 0  # a push would change things
    before = radicale.objects(path)
    url = radicale.url(path)
    if how == "wrong password":
        monkeypatch.setenv("ROLLMINDER_CALDAV_PASSWORD", "wrong")
    elif how == "server down":
        url = f"http://127.0.0.1:{free_port()}{path}"
    elif how == "bad url":
        url = "calendar.example.org/alice"
    elif how == "not a calendar":
        url = radicale.url(f"/{USER}/")
    elif how == "no such calendar":
        url = radicale.url(f"/{USER}/nothing-here/")
    elif how == "password in url":
        url = f"http://{USER}:{PASSWORD}@127.0.0.1:{radicale.port}{path}"
    user = () if how == "no user" else ("--user", USER)
    result = pushing("calendar", "push", "--url", url, *user)
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("Error: ") and result.err.count("\n") == 1, result.err
    assert expected in result.err
    assert "Traceback" not in result.err and PASSWORD not in result.err
    assert radicale.objects(path) == before


def test_password_never_on_the_command_line(
    radicale: Server, planned: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROLLMINDER_CALDAV_PASSWORD", raising=False)
    path = radicale.new_calendar()
    url = radicale.url(path)
    no_option = planned("calendar", "push", "--url", url, "--user", USER, "--password", "x")
    assert no_option.code == 2 and "No such option" in no_option.err
    # No terminal and no environment variable: one line saying where the password comes from.
    missing = planned("calendar", "push", "--url", url, "--user", USER, stdin="")
    assert missing.code == 1 and "ROLLMINDER_CALDAV_PASSWORD" in missing.err
    assert radicale.objects(path) == {}


def test_push_in_a_subprocess_has_no_traceback_and_needs_no_caldav_package(
    radicale: Server, planned: Runner, home: Path
) -> None:
    """The installed console script, as a person runs it: one line on stderr, exit 1."""
    env = {
        **os.environ,
        "ROLLMINDER_HOME": str(home),
        "ROLLMINDER_NOW": "2026-11-25T10:00+01:00",
        "ROLLMINDER_CALDAV_PASSWORD": "wrong",
    }
    script = Path(sys.executable).with_name("rollminder")
    done = subprocess.run(
        [str(script), "calendar", "push", "--url", radicale.url(f"/{USER}/x/"), "--user", USER],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "HTTP 401" in done.stderr
    # Neither the caldav package nor its urllib3-future (a start-up hook in every Python process)
    # is in the environment: the push needs only the standard library.
    import importlib.util

    assert importlib.util.find_spec("caldav") is None
    site = Path(icalendar.__file__).parent.parent
    assert not list(site.glob("urllib3_future*")) and not list(site.glob("*urllib3*future*.pth"))


# ----------------------------------------------------------------------------- HTTPS, private CA


def test_https_with_a_private_ca_needs_its_file(
    radicale_tls: Server, pushing: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = radicale_tls.new_calendar()
    url = radicale_tls.url(path)
    assert url.startswith("https://127.0.0.1:")

    # The system's CAs do not know the private one: one line saying what to do, nothing sent.
    untrusted = pushing("calendar", "push", "--url", url, "--user", USER)
    assert untrusted.code == 1 and untrusted.err.count("\n") == 1, untrusted.err
    assert "is not trusted" in untrusted.err and "--ca-file PATH" in untrusted.err
    assert radicale_tls.objects(path) == {}

    ca = str(radicale_tls.ca_file)
    pushed = pushing("calendar", "push", "--url", url, "--user", USER, "--ca-file", ca)
    assert pushed.code == 0, pushed.err
    assert "16 created" in pushed.out
    stored = uids(radicale_tls.objects(path))  # read back over HTTPS from Radicale
    assert len([u for u in stored if u.endswith("@rollminder")]) == 16

    # The same setting from the environment, beside ROLLMINDER_CALDAV_URL and _USER.
    monkeypatch.setenv("ROLLMINDER_CALDAV_CA_FILE", ca)
    monkeypatch.setenv("ROLLMINDER_CALDAV_URL", url)
    monkeypatch.setenv("ROLLMINDER_CALDAV_USER", USER)
    again = pushing("calendar", "push")
    assert again.code == 0 and "nothing changed" in again.out, again.err

    # Another CA's file: refused like the system's CAs.
    other = tmp_path / "other"
    other.mkdir()
    other_ca, _, _ = make_ca(other)
    wrong = pushing("calendar", "push", "--ca-file", str(other_ca))
    assert wrong.code == 1 and "is not trusted" in wrong.err


@pytest.mark.parametrize(
    ("ca", "expected"),
    [
        ("nowhere.pem", "There is no CA file at"),
        ("folder", "is a folder"),
        ("junk.pem", "holds no CA certificate"),
        ("", "Give the CA certificate's file"),
    ],
)
def test_a_bad_ca_file_is_one_line(
    radicale_tls: Server, pushing: Runner, tmp_path: Path, ca: str, expected: str
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "junk.pem").write_text("not a certificate\n", encoding="utf-8")
    path = radicale_tls.new_calendar()
    given = str(tmp_path / ca) if ca else ""
    result = pushing(
        "calendar", "push", "--url", radicale_tls.url(path), "--user", USER, "--ca-file", given
    )
    assert result.code == 1 and result.err.count("\n") == 1, result.err
    assert expected in result.err and "Traceback" not in result.err
    assert radicale_tls.objects(path) == {}


def test_a_ca_file_with_plain_http_is_refused(radicale: Server, pushing: Runner) -> None:
    path = radicale.new_calendar()
    result = pushing(
        "calendar", "push", "--url", radicale.url(path), "--user", USER, "--ca-file", "/x.pem"
    )
    assert result.code == 1 and "A CA file is for https:// calendars" in result.err
