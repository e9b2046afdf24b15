"""Channels as a person manages them: what the use cases behind adding, listing, testing and
removing channels (:mod:`rollminder.usecases.reminders`) need. How a message is sent lives in
:mod:`.senders` (re-exported here).

Secrets: a channel's URL (tokens, passwords, ntfy topics) is stored in the database, which is
readable by its owner only (0600, as are its -wal/-shm files and the backups); everywhere else,
on screen, in JSON, in errors and in the log, only :func:`mask_url`'s form appears.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from rollminder.errors import InvalidInput
from rollminder.remind import senders
from rollminder.remind.records import ChannelConfig, ChannelStatus
from rollminder.remind.senders import (
    DESKTOP_ID,
    DESKTOP_URL,
    AppriseChannel,
    Channel,
    ChannelError,
    DesktopChannel,
    _apprise,
    desktop_available,
    mask_url,
    remask,
    scrub,
)

__all__ = [
    "DESKTOP_ID",
    "DESKTOP_URL",
    "AppriseChannel",
    "Channel",
    "ChannelError",
    "ChannelInfo",
    "DesktopChannel",
    "build",
    "check_url",
    "desktop_available",
    "implicit_desktop",
    "info",
    "mask_url",
    "protect",
    "remask",
    "scrub",
    "valid_name",
]

MAX_URL = 2000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


class ChannelInfo(NamedTuple):
    """A channel as shown by ``channel list`` and the web app."""

    id: str
    name: str
    url: str  # masked
    kind: str
    last_error: str
    last_error_at: dt.datetime | None
    last_sent: dt.datetime | None
    failures: int
    retry_at: dt.datetime | None
    implicit: bool = False  # the desktop used because no channel is configured

    def to_json(self) -> dict[str, Any]:
        def iso(v: dt.datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "kind": self.kind,
            "failures": self.failures,
            "last_error": self.last_error or None,
            "last_error_at": iso(self.last_error_at),
            "last_sent": iso(self.last_sent),
            "retry_at": iso(self.retry_at),
            "implicit": self.implicit,
        }


# ----------------------------------------------------------------------------- checks


def check_url(url: object) -> tuple[str, str]:
    """The cleaned URL and its kind, or a one-line InvalidInput."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("Give a channel URL, e.g. ntfy://ntfy.sh/your-topic or mailto://...")
    url = url.strip()
    if len(url) > MAX_URL or any(ord(c) < 32 or c == "\x7f" for c in url):
        raise InvalidInput("That URL is too long or holds control characters.")
    if url.lower() in ("desktop", DESKTOP_URL, "desktop:"):
        return DESKTOP_URL, "desktop"
    if "://" not in url:
        raise InvalidInput(
            "A channel is a URL such as ntfy://ntfy.sh/your-topic, "
            "mailto://user:password@example.com or json://host/path (see the Apprise docs)."
        )
    plugin = _apprise().Apprise.instantiate(url, suppress_exceptions=True)
    if not plugin:
        scheme = url.split("://", 1)[0][:20]
        raise InvalidInput(
            f"Apprise cannot use {mask_url(url)}: check the '{scheme}://' URL's form "
            "(https://github.com/caronc/apprise/wiki)."
        )
    kind = url.split("://", 1)[0].lower()
    return url, kind


def protect(path: Path | None) -> None:
    """The database at ``path`` and its companions hold channel secrets: owner only."""
    if path is None:
        return
    candidates = [Path(f"{path}{s}") for s in ("", "-wal", "-shm")]
    backups = Path(path).parent / "backups"
    if backups.is_dir():
        candidates += [p for p in backups.iterdir() if p.is_file()]
    for p in candidates:
        if p.exists():
            os.chmod(p, 0o600)


def valid_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        shown = str(name)[:40]
        raise InvalidInput(
            f"Channel names are 1-40 letters, digits, '-', '_' or '.': {shown!r} is not one."
        )
    return name.strip()


def info(config: ChannelConfig, status: ChannelStatus, implicit: bool = False) -> ChannelInfo:
    return ChannelInfo(
        id=config.id,
        name=config.name,
        url=remask(config.masked),  # today's mask, also for rows an older version masked less
        kind=config.kind,
        last_error=status.last_error,
        last_error_at=status.last_error_at,
        last_sent=status.last_sent_at,
        failures=status.failures,
        retry_at=status.retry_at,
        implicit=implicit,
    )


def implicit_desktop() -> ChannelConfig:
    return ChannelConfig(
        name="desktop",
        url=DESKTOP_URL,
        masked=DESKTOP_URL,
        kind="desktop",
        id=DESKTOP_ID,
        created_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    )


def build(config: ChannelConfig, on_action: Callable[[str, str], None] | None = None) -> Channel:
    """The channel that sends for ``config``: a Web Push device (:mod:`.webpush`), or one of
    :func:`.senders.build`'s (the desktop, an Apprise URL)."""
    if config.kind == "webpush":
        from rollminder.remind.webpush import WebPushChannel

        return WebPushChannel(config)
    return senders.build(config, on_action)
