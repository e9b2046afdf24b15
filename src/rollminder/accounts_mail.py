"""The mail hosted mode sends (e-mail verification, password reset) through the operator's SMTP
server: ``serve --smtp smtp://user:pass@host:port`` or ``ROLLMINDER_SMTP_URL``.

- ``smtp://`` speaks plain SMTP and upgrades with STARTTLS when the server offers it;
  ``smtps://`` is TLS from the first byte (port 465). A user and password in the URL log in.
- ``?from=rollminder@example.org`` sets the sender (default: ``rollminder@`` the host).
- A failure is one line (:class:`MailFailed`); the password in the URL is never shown.
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from rollminder.errors import InvalidInput, RollminderError

SMTP_URL_VARIABLE = "ROLLMINDER_SMTP_URL"
TIMEOUT = 10.0


class MailFailed(RollminderError):
    """The mail server refused or could not be reached."""


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    tls: bool
    user: str | None
    password: str | None
    sender: str

    @property
    def shown(self) -> str:
        user = f"{self.user}@" if self.user else ""
        return f"{'smtps' if self.tls else 'smtp'}://{user}{self.host}:{self.port}"

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            if self.tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=TIMEOUT, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
            with client:
                client.ehlo()
                if not self.tls and client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if self.user:
                    self._login(client)
                client.send_message(message)
        except (OSError, smtplib.SMTPException, UnicodeError) as exc:
            text = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise MailFailed(
                f"The e-mail could not be sent through {self.shown} ({text}); try again later."
            ) from exc

    def _login(self, client: smtplib.SMTP) -> None:
        """smtplib logs in with ASCII only; a UTF-8 user or password goes as AUTH PLAIN."""
        raw = f"\0{self.user}\0{self.password or ''}".encode()
        if raw.isascii():
            client.login(self.user or "", self.password or "")
            return
        code, reply = client.docmd("AUTH", "PLAIN " + base64.b64encode(raw).decode())
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)


def mailer_from_url(url: str) -> Mailer:
    """An SMTP URL, checked (one line if it is not usable)."""
    bad = InvalidInput(
        "The SMTP server must be a URL such as smtp://user:password@mail.example.org:587 "
        "or smtps://...:465."
    )
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise bad from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise bad
    tls = parts.scheme == "smtps"
    sender = parse_qs(parts.query).get("from", [f"rollminder@{parts.hostname}"])[0]
    return Mailer(
        host=parts.hostname,
        port=port or (465 if tls else 25),
        tls=tls,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=sender,
    )


def mailer_from_environment() -> Mailer | None:
    url = os.environ.get(SMTP_URL_VARIABLE)
    return mailer_from_url(url) if url else None
