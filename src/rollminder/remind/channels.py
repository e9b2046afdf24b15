"""Channels as a person manages them: the use cases behind ``rollminder channel
add|list|test|remove``, which the web app calls too. How a message is sent lives in
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
from typing import TYPE_CHECKING, Any, NamedTuple

from rollminder.errors import Conflict, InvalidInput, NotFound
from rollminder.model import ChannelConfig, ChannelStatus
from rollminder.remind.senders import (
    DESKTOP_ID,
    DESKTOP_URL,
    AppriseChannel,
    Channel,
    ChannelError,
    DesktopChannel,
    _apprise,
    build,
    desktop_available,
    mask_url,
    scrub,
)

if TYPE_CHECKING:
    from rollminder.service import Rollminder

__all__ = [
    "DESKTOP_ID",
    "DESKTOP_URL",
    "AppriseChannel",
    "Channel",
    "ChannelError",
    "ChannelInfo",
    "DesktopChannel",
    "active_configs",
    "add_channel",
    "build",
    "desktop_available",
    "implicit_desktop",
    "list_channels",
    "mask_url",
    "remove_channel",
    "scrub",
    "test_channel",
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


# ----------------------------------------------------------------------------- use cases


def _check_url(url: object) -> tuple[str, str]:
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


def _protect(app: Rollminder) -> None:
    """The database and its companions hold channel secrets: owner only."""
    path = getattr(app.store, "path", None)
    if path is None:
        return
    candidates = [Path(f"{path}{s}") for s in ("", "-wal", "-shm")]
    backups = Path(path).parent / "backups"
    if backups.is_dir():
        candidates += [p for p in backups.iterdir() if p.is_file()]
    for p in candidates:
        if p.exists():
            os.chmod(p, 0o600)


def _valid_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        shown = str(name)[:40]
        raise InvalidInput(
            f"Channel names are 1-40 letters, digits, '-', '_' or '.': {shown!r} is not one."
        )
    return name.strip()


def add_channel(app: Rollminder, url: str, name: str | None = None) -> ChannelInfo:
    """Add a channel. The URL is checked by Apprise first; nothing changes if it is refused."""
    clean, kind = _check_url(url)
    chosen = _valid_name(name) if name is not None else None
    with app.store.transaction():
        existing = app.store.channels()
        if any(c.url == clean for c in existing):
            raise Conflict(f"That channel is already set up ({mask_url(clean)}).")
        if chosen is None:
            names = {c.name for c in existing}
            chosen = kind if kind not in names else next(
                f"{kind}-{i}" for i in range(2, 1000) if f"{kind}-{i}" not in names
            )  # fmt: skip
        elif any(c.name == chosen for c in existing):
            raise Conflict(f"There is already a channel named {chosen!r}.")
        config = ChannelConfig(
            name=chosen, url=clean, masked=mask_url(clean), kind=kind, created_at=app.now()
        )
        app.store.put_channel(config)
    _protect(app)
    return _info(config, ChannelStatus(config.id))


def _find(app: Rollminder, name: str) -> ChannelConfig:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("Name the channel (see 'rollminder channel list').")
    for c in app.store.channels():
        if c.name == name.strip():
            return c
    raise NotFound(f"No channel named {name.strip()[:40]!r}; see 'rollminder channel list'.")


def remove_channel(app: Rollminder, name: str) -> ChannelInfo:
    config = _find(app, name)
    status = app.store.channel_statuses().get(config.id, ChannelStatus(config.id))
    app.store.delete_channel(config.id)
    return _info(config, status)


def _info(config: ChannelConfig, status: ChannelStatus, implicit: bool = False) -> ChannelInfo:
    return ChannelInfo(
        id=config.id,
        name=config.name,
        url=config.masked,
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


def list_channels(app: Rollminder) -> list[ChannelInfo]:
    """The configured channels with their health; with none, the implicit desktop channel
    (marked ``implicit``) when it has been used."""
    statuses = app.store.channel_statuses()
    configs = app.store.channels()
    out = [_info(c, statuses.get(c.id, ChannelStatus(c.id))) for c in configs]
    if not configs and DESKTOP_ID in statuses:
        out.append(_info(implicit_desktop(), statuses[DESKTOP_ID], implicit=True))
    return out


def active_configs(app: Rollminder, desktop_present: Callable[[], bool]) -> list[ChannelConfig]:
    """The channels reminders go to now: the configured ones, or the desktop when there is
    none and a notification server is present."""
    configs = app.store.channels()
    if configs:
        return configs
    return [implicit_desktop()] if desktop_present() else []


def test_channel(app: Rollminder, name: str | None = None) -> str:
    """Send a test notification through one channel (or each one); a one-line result."""
    if name is not None:
        configs = [_find(app, name)]
    else:
        configs = active_configs(app, desktop_available)
        if not configs:
            return (
                "No channel is set up and no desktop notification server is running: add one "
                "with 'rollminder channel add URL'."
            )
    results = []
    for config in configs:
        channel = build(config)
        try:
            channel.send(
                "rollminder test", "Reminders will reach you here.", slot=""
            )  # fmt: skip
            results.append(f"{config.name}: sent")
        except ChannelError as exc:
            results.append(f"{config.name}: failed ({exc})")
        finally:
            if isinstance(channel, DesktopChannel):
                channel.close()
    return "; ".join(results)


test_channel.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
