"""CalDAV sign-in (rollminder.caldav): the WWW-Authenticate parser, HTTP Digest against the
RFC 7616 examples, and the client against a loopback server that checks each Digest answer with
its own code (SHA-256, -sess, auth-int, userhash, a stale nonce, RFC 2069 without qop) or offers
only schemes rollminder does not speak. Real servers (Radicale: Basic; SabreDAV: Digest and
Basic) are in tests/test_calendar_caldav.py and tests/test_calendar_caldav_sabre.py."""

from __future__ import annotations

import base64
import hashlib
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from rollminder import caldav, httpauth

# RFC 7616 section 3.9.1.
RFC = {
    "realm": "http-auth@example.org",
    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
    "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
}


def rfc_challenge(algorithm: str) -> httpauth.Challenge:
    header = (
        f'Digest realm="{RFC["realm"]}", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{RFC["nonce"]}", opaque="{RFC["opaque"]}"'
    )
    (challenge,) = httpauth.parse_challenges([header])
    return challenge


@pytest.mark.parametrize(
    ("algorithm", "response"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_digest_matches_the_rfc_7616_examples(algorithm: str, response: str) -> None:
    digest = httpauth.Digest(
        rfc_challenge(algorithm), "Mufasa", "Circle of Life", cnonce=RFC["cnonce"]
    )
    header = digest.header("GET", "/dir/index.html")
    assert header.startswith("Digest ")
    fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))
    assert fields["response"] == response
    assert fields["qop"] == "auth" and fields["nc"] == "00000001"
    assert fields["opaque"] == RFC["opaque"] and fields["algorithm"] == algorithm
    assert fields["uri"] == "/dir/index.html" and fields["username"] == "Mufasa"
    second = digest.header("GET", "/dir/index.html")
    assert "nc=00000002" in second and response not in second


def test_challenges_are_parsed_as_rfc_9110_writes_them() -> None:
    found = httpauth.parse_challenges(
        [
            'Negotiate abc==, Digest realm="a, \\"b\\"", nonce=xyz, qop="auth,auth-int", '
            "algorithm=SHA-256-sess",
            'Basic realm="x", charset="UTF-8", NTLM',
            "Bearer",
        ]
    )
    assert [c.scheme for c in found] == ["negotiate", "digest", "basic", "ntlm", "bearer"]
    digest = found[1]
    assert digest.params == {
        "realm": 'a, "b"',
        "nonce": "xyz",
        "qop": "auth,auth-int",
        "algorithm": "SHA-256-sess",
    }
    assert httpauth.digest_algorithm(digest) == "SHA-256-sess"
    assert found[2].params == {"realm": "x", "charset": "UTF-8"}
    assert httpauth.choose(found) is digest
    assert httpauth.choose(found[2:]) is found[2]
    assert httpauth.choose([found[0], found[3], found[4]]) is None
    unknown = httpauth.parse_challenges(['Digest realm="r", nonce="n", algorithm=SHA-512-256'])
    assert httpauth.choose(unknown) is None


# ----------------------------------------------------------------------------- a checking server

USER, PASSWORD = "alice", 'pässword "quoted"'


@dataclass
class Checking:
    """A server that answers 207 to a correct sign-in and checks Digest answers itself."""

    offers: list[str]  # WWW-Authenticate values sent on 401
    algorithm: str = "MD5"
    qop: str | None = "auth"
    userhash: bool = False
    stale_once: bool = False  # the first correct answer gets 401 stale=true and a new nonce
    nonce: str = "n0"
    port: int = 0
    seen: list[str | None] = field(default_factory=list)  # Authorization headers, in order
    counts: list[str] = field(default_factory=list)  # the nc values accepted

    def h(self, data: bytes) -> str:
        name = "sha256" if self.algorithm.upper().startswith("SHA-256") else "md5"
        return hashlib.new(name, data).hexdigest()

    def valid(self, method: str, header: str, body: bytes) -> bool:
        if header.startswith("Basic "):
            return base64.b64decode(header[6:]).decode() == f"{USER}:{PASSWORD}"
        if not header.startswith("Digest "):
            return False
        f = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))
        realm = "test"
        user = f["username"].replace('\\"', '"')
        if self.userhash:
            if f.get("userhash") != "true" or user != self.h(f"{USER}:{realm}".encode()):
                return False
        elif user != USER:
            return False
        if f["nonce"] != self.nonce or f["uri"] != "/cal/":
            return False
        ha1 = self.h(f"{USER}:{realm}:{PASSWORD}".encode())
        if self.algorithm.lower().endswith("-sess"):
            ha1 = self.h(f"{ha1}:{f['nonce']}:{f['cnonce']}".encode())
        a2 = f"{method}:{f['uri']}"
        if self.qop == "auth-int":
            a2 += ":" + self.h(body)
        ha2 = self.h(a2.encode())
        if self.qop is None:
            expected = self.h(f"{ha1}:{f['nonce']}:{ha2}".encode())
        else:
            if f.get("qop") != self.qop:
                return False
            expected = self.h(
                f"{ha1}:{f['nonce']}:{f['nc']}:{f['cnonce']}:{self.qop}:{ha2}".encode()
            )
            if f["nc"] in self.counts:
                return False  # a replayed count
            self.counts.append(f["nc"])
        return f["response"] == expected

    def challenge(self, stale: bool = False) -> str:
        qop = f', qop="{self.qop}"' if self.qop else ""
        hashed = ", userhash=true" if self.userhash else ""
        return (
            f'Digest realm="test", nonce="{self.nonce}", algorithm={self.algorithm}'
            f'{qop}, opaque="o"{hashed}{", stale=true" if stale else ""}'
        )


@contextmanager
def checking(state: Checking) -> Iterator[Checking]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as CalDAV servers do

        def do_PROPFIND(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            header = self.headers.get("Authorization")
            state.seen.append(header)
            if header and state.valid(self.command, header, body):
                if state.stale_once:
                    state.stale_once = False
                    state.nonce = "n1"
                    state.counts.clear()
                    self.answer(401, [state.challenge(stale=True)])
                    return
                self.answer(207, [])
                return
            self.answer(401, state.offers or [state.challenge()])

        def answer(self, status: int, challenges: list[str]) -> None:
            data = b'<?xml version="1.0"?><multistatus xmlns="DAV:"/>'
            self.send_response(status)
            for value in challenges:
                self.send_header("WWW-Authenticate", value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def propfind(state: Checking, times: int = 3, password: str = PASSWORD) -> list[int]:
    target = caldav.parse_url(f"http://127.0.0.1:{state.port}/cal/")
    client = caldav.Client(target, USER, password)
    try:
        return [
            client.request("PROPFIND", "/cal/", b"<propfind/>", {"Depth": "0"})[0]
            for _ in range(times)
        ]
    finally:
        client.close()


@pytest.mark.parametrize(
    ("algorithm", "qop", "userhash"),
    [
        ("MD5", "auth", False),
        ("SHA-256", "auth", False),
        ("SHA-256", "auth", True),
        ("MD5-sess", "auth", False),
        ("SHA-256-sess", "auth-int", False),
        ("MD5", None, False),  # RFC 2069 / 2617 without qop
    ],
)
def test_digest_signs_in_once_and_counts_up(
    algorithm: str, qop: str | None, userhash: bool
) -> None:
    with checking(Checking(offers=[], algorithm=algorithm, qop=qop, userhash=userhash)) as s:
        assert propfind(s) == [207, 207, 207]
    # One anonymous request, then a signed answer each time (no new 401 round trip).
    assert s.seen[0] is None and all(h and h.startswith("Digest ") for h in s.seen[1:])
    assert len(s.seen) == 4
    if qop is not None:
        assert s.counts == ["00000001", "00000002", "00000003"]
    assert PASSWORD not in "".join(h or "" for h in s.seen)


def test_a_stale_nonce_is_answered_again_without_blaming_the_password() -> None:
    with checking(Checking(offers=[], algorithm="SHA-256", stale_once=True)) as s:
        assert propfind(s, times=2) == [207, 207]
    assert len(s.seen) == 4  # anonymous, stale, new nonce, next request
    assert 'nonce="n1"' in (s.seen[2] or "") and "nc=00000001" in (s.seen[2] or "")


def test_digest_is_preferred_to_basic_and_basic_works_alone() -> None:
    both = ['Basic realm="test"', 'Digest realm="test", nonce="n0", qop="auth", opaque="o"']
    with checking(Checking(offers=both)) as s:
        propfind(s, times=1)
    assert (s.seen[1] or "").startswith("Digest ")
    with checking(Checking(offers=['Basic realm="test", charset="UTF-8"'])) as s:
        assert propfind(s) == [207, 207, 207]
    assert len(s.seen) == 4 and all((h or "").startswith("Basic ") for h in s.seen[1:])


@pytest.mark.parametrize("scheme", ["Digest", "Basic"])
def test_a_refused_sign_in_names_its_scheme(scheme: str) -> None:
    offers = ['Basic realm="test"'] if scheme == "Basic" else []
    with checking(Checking(offers=offers)) as s, pytest.raises(caldav.CalDavFailed) as failed:
        propfind(s, password="wrong")
    assert str(failed.value) == (
        f"The CalDAV server refused the user name and password (HTTP 401, {scheme}) "
        f"for http://127.0.0.1:{s.port}/cal/."
    )


def test_a_server_offering_no_scheme_we_speak_says_so() -> None:
    offers = ["NTLM", "Negotiate", 'Digest realm="test", nonce="n", algorithm=SHA-512-256']
    with checking(Checking(offers=offers)) as s, pytest.raises(caldav.CalDavFailed) as failed:
        propfind(s)
    message = str(failed.value)
    assert "asks for a sign-in rollminder does not speak" in message
    assert "(NTLM, Negotiate, Digest SHA-512-256)" in message
    assert "speaks Basic and Digest" in message
    assert len(s.seen) == 1  # nothing was sent with the password
