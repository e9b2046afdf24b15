"""Push the calendar feed's events to a CalDAV calendar, with the standard library's HTTP client.

Not the ``caldav`` package: it pulls urllib3-future, whose start-up hook slows every Python
process in the environment (DESIGN.md, "Pitfalls"). CalDAV needs only four requests here:

1. ``PROPFIND`` (depth 0) on the collection: is it reachable, are we let in, is it a calendar?
   Any problem stops here, before anything is changed.
2. ``REPORT`` calendar-query: every event in the collection with its href, ETag and data.
3. ``PUT`` each of our events that is missing (``If-None-Match: *``) or changed (``If-Match``).
4. ``DELETE`` each of our events that the feed no longer has (``If-Match``).

Sign-in: the first request goes without credentials; the server's 401 names the schemes it
speaks (``WWW-Authenticate``) and the client answers with the one it offers: HTTP Digest
(RFC 7616: MD5 or SHA-256, plain or ``-sess``, qop ``auth`` or ``auth-int``, and RFC 2069/2617
servers without qop), else Basic (RFC 7617). So a password never travels in the clear to a
server that asked for Digest. ``https://`` checks the certificate against the system's CAs, or
only against ``ca_file`` when given (a private CA).

"Ours" means a UID in rollminder's domain with this profile's tag (:func:`calendar.is_ours`);
everything else in the collection is left alone. An event is "changed" when the content hash
rollminder stored in it (``X-ROLLMINDER-HASH``) differs from the new one, so a server that
rewrites what it stores does not make every push an update: a second push changes nothing.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import socket
import ssl
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple
from xml.etree import ElementTree

from rollminder import __version__, calendar
from rollminder.errors import RollminderError
from rollminder.httpauth import (
    SCHEME_NAMES,
    Challenge,
    Digest,
    _offered,
    choose,
    parse_challenges,
)

if TYPE_CHECKING:
    from rollminder.service import Rollminder

TIMEOUT = 20.0
MAX_RESPONSE = 64 * 1024 * 1024
DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"

PROPFIND_BODY = b"""<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:displayname/></d:prop></d:propfind>"""

REPORT_BODY = b"""<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:getetag/><c:calendar-data/></d:prop>
  <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter>
  </c:filter>
</c:calendar-query>"""


class CalDavFailed(RollminderError):
    """The CalDAV server could not be used (unreachable, refused, not a calendar)."""


class Remote(NamedTuple):
    href: str
    etag: str | None
    uid: str | None
    digest: str | None


class PushReport(NamedTuple):
    created: int
    updated: int
    removed: int
    unchanged: int

    def summary(self, url: str) -> str:
        if not (self.created or self.updated or self.removed):
            return f"Calendar up to date: {self.unchanged} events, nothing changed ({url})."
        return (
            f"Pushed to {url}: {self.created} created, {self.updated} updated, "
            f"{self.removed} removed, {self.unchanged} unchanged."
        )


class Target(NamedTuple):
    scheme: str
    host: str
    port: int
    path: str  # the collection's path, ending in '/'
    shown: str  # the URL as messages show it


def parse_url(url: str) -> Target:
    """Check a CalDAV collection URL; one clear line when it cannot be one."""
    text = url.strip()
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise CalDavFailed(f"{text[:80]!r} is not a usable URL ({exc}).") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CalDavFailed(
            f"{text[:80]!r} is not a CalDAV calendar URL: give one starting with https:// "
            "(or http:// on your own network)."
        )
    if parts.password is not None or parts.username is not None:
        raise CalDavFailed(
            "Put no user name or password in the URL: use --user and the "
            "ROLLMINDER_CALDAV_PASSWORD environment variable (or the prompt)."
        )
    path = parts.path or "/"
    if not path.endswith("/"):
        path += "/"
    if parts.query:
        path += "?" + parts.query
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname
    shown = f"{parts.scheme}://{parts.netloc}{path}"
    return Target(parts.scheme, host, port or default, path, shown)


# ----------------------------------------------------------------------------- the client


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's CAs, or only those in ``ca_file`` (a PEM file: a private CA)."""
    if ca_file is None:
        return ssl.create_default_context()
    path = os.path.expanduser(ca_file)
    try:
        return ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise CalDavFailed(f"There is no CA file at {ca_file}.") from None
    except IsADirectoryError:
        raise CalDavFailed(f"{ca_file} is a folder: give the CA certificate's file.") from None
    except (ssl.SSLError, ValueError):
        raise CalDavFailed(
            f"{ca_file} holds no CA certificate rollminder can read (give a PEM file)."
        ) from None
    except OSError as exc:
        raise CalDavFailed(f"Cannot read the CA file {ca_file}: {exc.strerror}.") from None


class Client:
    """One keep-alive connection to the server, Basic or Digest sign-in, and one-line errors."""

    def __init__(
        self,
        target: Target,
        user: str | None,
        password: str | None,
        *,
        ca_file: str | None = None,
    ) -> None:
        self.target = target
        self.headers = {"User-Agent": f"rollminder/{__version__}"}
        self.user = user
        self.password = password or ""
        self.scheme: str | None = None  # 'basic' or 'digest' once the server has asked
        self.digest: Digest | None = None
        self.conn: http.client.HTTPConnection | None = None
        self.context: ssl.SSLContext | None = None
        if ca_file is not None and target.scheme != "https":
            raise CalDavFailed(
                f"A CA file is for https:// calendars; {target.shown} is plain http."
            )
        if target.scheme == "https":
            self.context = tls_context(ca_file)

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            t = self.target
            if t.scheme == "https":
                self.conn = http.client.HTTPSConnection(
                    t.host, t.port, timeout=TIMEOUT, context=self.context
                )
            else:
                self.conn = http.client.HTTPConnection(t.host, t.port, timeout=TIMEOUT)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _authorization(self, method: str, path: str, body: bytes) -> dict[str, str]:
        if self.scheme == "basic":
            token = f"{self.user}:{self.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(token).decode("ascii")}
        if self.scheme == "digest" and self.digest is not None:
            return {"Authorization": self.digest.header(method, path, body)}
        return {}

    def request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] = {}
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one request, signing in as the server asks; a refused sign-in stops here with
        one line naming the scheme. Without a user name a 401 is returned to the caller."""
        shown = self.target.shown
        stale_retried = False
        while True:
            sent = self._authorization(method, path, body)
            status, answer, data, challenges = self._exchange(
                method, path, body, {**self.headers, **headers, **sent}
            )
            if status != 401 or self.user is None:
                return status, answer, data
            offered = parse_challenges(challenges)
            chosen = choose(offered)
            if not sent:  # the first 401: answer with a scheme the server offers
                if chosen is None:
                    raise CalDavFailed(
                        f"The CalDAV server asks for a sign-in rollminder does not speak "
                        f"({_offered(offered)}) for {shown}: it speaks Basic and Digest "
                        "(MD5, SHA-256)."
                    )
                self._use(chosen)
                continue
            if (
                self.scheme == "digest"
                and chosen is not None
                and chosen.scheme == "digest"
                and chosen.params.get("stale", "").lower() == "true"
                and not stale_retried
            ):  # the nonce expired, the password was right: once more with the new one
                stale_retried = True
                self._use(chosen)
                continue
            name = SCHEME_NAMES.get(self.scheme or "", "")
            raise CalDavFailed(
                f"The CalDAV server refused the user name and password (HTTP 401, {name}) "
                f"for {shown}."
            )

    def _use(self, challenge: Challenge) -> None:
        self.scheme = challenge.scheme
        self.digest = None
        if challenge.scheme == "digest":
            self.digest = Digest(challenge, self.user or "", self.password)

    def _exchange(
        self, method: str, path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes, list[str]]:
        where = f"{self.target.host}:{self.target.port}"
        for attempt in (1, 2):
            conn = self._connect()
            try:
                conn.request(method, path, body=body or None, headers=dict(headers))
                response = conn.getresponse()
                data = response.read(MAX_RESPONSE + 1)
                if len(data) > MAX_RESPONSE:
                    raise CalDavFailed(f"The CalDAV server at {where} sent too much data.")
                challenges = response.msg.get_all("WWW-Authenticate") or []
                return response.status, dict(response.getheaders()), data, challenges
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed: one fresh try.
                self.close()
                if attempt == 2:
                    raise CalDavFailed(
                        f"The CalDAV server at {where} closed the connection."
                    ) from None
            except ssl.SSLCertVerificationError as exc:
                self.close()
                why = exc.verify_message or exc.reason or "not trusted"
                raise CalDavFailed(
                    f"The certificate of {where} is not trusted ({why}). If the server's "
                    "certificate comes from a private CA, give its file: --ca-file PATH."
                ) from None
            except ssl.SSLError as exc:
                self.close()
                why = getattr(exc, "reason", None) or exc.__class__.__name__
                raise CalDavFailed(f"Secure connection to {where} failed: {why}.") from None
            except socket.gaierror:
                self.close()
                raise CalDavFailed(
                    f"Cannot find the CalDAV server {self.target.host!r}: no such host."
                ) from None
            except TimeoutError:
                self.close()
                raise CalDavFailed(
                    f"The CalDAV server at {where} did not answer in time."
                ) from None
            except ConnectionRefusedError:
                self.close()
                raise CalDavFailed(
                    f"Cannot reach the CalDAV server at {where}: connection refused "
                    "(is it running?)."
                ) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                why = getattr(exc, "strerror", None) or exc.__class__.__name__
                raise CalDavFailed(f"Cannot talk to the CalDAV server at {where}: {why}.") from None
        raise AssertionError("unreachable")  # pragma: no cover


def _refused(status: int, what: str, shown: str) -> CalDavFailed:
    if status == 401:  # only without a user name: Client.request stops a refused sign-in
        return CalDavFailed(
            f"The CalDAV server asks who you are (HTTP 401) for {shown}: give --user NAME."
        )
    if status == 403:
        return CalDavFailed(f"The CalDAV server does not let this user {what} {shown} (HTTP 403).")
    if status == 404:
        return CalDavFailed(f"There is no calendar at {shown} (HTTP 404).")
    if 300 <= status < 400:
        return CalDavFailed(
            f"The server redirects {shown} elsewhere (HTTP {status}): use that URL."
        )
    return CalDavFailed(f"The CalDAV server could not {what} {shown} (HTTP {status}).")


def _xml(data: bytes, shown: str) -> ElementTree.Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise CalDavFailed(f"The server's answer for {shown} is not plain WebDAV XML.")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        raise CalDavFailed(f"The server's answer for {shown} is not WebDAV XML.") from None


def check_calendar(client: Client) -> None:
    """Stop with one line unless the URL is a calendar collection we may use."""
    t = client.target
    status, _, data = client.request(
        "PROPFIND",
        t.path,
        PROPFIND_BODY,
        {"Depth": "0", "Content-Type": "application/xml; charset=utf-8"},
    )
    if status != 207:
        raise _refused(status, "open", t.shown)
    root = _xml(data, t.shown)
    if root.find(f".//{DAV}resourcetype/{CALDAV}calendar") is None:
        raise CalDavFailed(f"{t.shown} is not a CalDAV calendar (a folder or a plain web page).")


_UNFOLD = re.compile(r"\r?\n[ \t]")


def _property(ics: str, name: str) -> str | None:
    """The first value of a property in iCalendar text (unfolded), or None."""
    text = _UNFOLD.sub("", ics)
    match = re.search(rf"^{name}(?:;[^:\r\n]*)?:(.*?)\r?$", text, re.MULTILINE | re.IGNORECASE)
    return match.group(1).strip() if match else None


def list_events(client: Client) -> list[Remote]:
    t = client.target
    status, _, data = client.request(
        "REPORT",
        t.path,
        REPORT_BODY,
        {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
    )
    if status != 207:
        raise _refused(status, "list the events of", t.shown)
    root = _xml(data, t.shown)
    out = []
    for response in root.iter(f"{DAV}response"):
        href = response.findtext(f"{DAV}href")
        if not href:
            continue
        etag = response.findtext(f".//{DAV}getetag")
        ics = response.findtext(f".//{CALDAV}calendar-data") or ""
        href = href.strip()
        if "://" in href:  # an absolute URL: the path is what we ask for
            href = urllib.parse.urlsplit(href).path
        out.append(
            Remote(
                href=href,
                etag=etag.strip() if etag else None,
                uid=_property(ics, "UID"),
                digest=_property(ics, "X-ROLLMINDER-HASH"),
            )
        )
    return out


def _href_for(target: Target, uid: str) -> str:
    name = uid.split("@", 1)[0]
    base = target.path.split("?", 1)[0]
    return base + urllib.parse.quote(name, safe="-._") + ".ics"


def push(
    app: Rollminder,
    url: str,
    *,
    user: str | None = None,
    password: str | None = None,
    weeks: int = 8,
    include_history: bool = False,
    ca_file: str | None = None,
) -> PushReport:
    """Make the calendar at ``url`` hold exactly the feed's events among rollminder's own."""
    target = parse_url(url)
    client = Client(target, user, password, ca_file=ca_file)  # a bad CA file stops here
    feed = calendar.collect(app, weeks=weeks, include_history=include_history)
    wanted = {e.uid: calendar.object_for(feed.tz, e) for e in feed.events}
    try:
        check_calendar(client)
        remote = [r for r in list_events(client) if r.uid and calendar.is_ours(r.uid, feed.tag)]
        by_uid = {r.uid: r for r in remote}
        created = updated = removed = unchanged = 0
        for event_uid, (body, digest) in wanted.items():
            old = by_uid.get(event_uid)
            if old is not None and old.digest == digest:
                unchanged += 1
                continue
            href = old.href if old is not None else _href_for(target, event_uid)
            headers = {"Content-Type": "text/calendar; charset=utf-8"}
            if old is None:
                headers["If-None-Match"] = "*"
            elif old.etag:
                headers["If-Match"] = old.etag
            status, _, _ = client.request("PUT", href, body, headers)
            if status == 412:
                raise CalDavFailed(
                    f"An event changed on the server while rollminder pushed ({href}); push again."
                )
            if status not in (200, 201, 204):
                raise _refused(status, "save events in", target.shown)
            if old is None:
                created += 1
            else:
                updated += 1
        for r in remote:
            if r.uid in wanted and by_uid[r.uid].href == r.href:
                continue  # kept (a second copy of one of ours, at another href, goes)
            status, _, _ = client.request(
                "DELETE", r.href, headers={"If-Match": r.etag} if r.etag else {}
            )
            if status not in (200, 204, 404):
                raise _refused(status, "remove events from", target.shown)
            removed += 1
        return PushReport(created, updated, removed, unchanged)
    finally:
        client.close()
