"""Use cases of reminders as a person manages them: channels (add, list, test, remove) and
whether any reminder can reach the person at all.

Cheap to import (``rollminder next`` asks :meth:`ReminderCases.reachable`): Apprise, the
senders and D-Bus are imported by the methods that need them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from rollminder.errors import Conflict, InvalidInput, NotFound
from rollminder.usecases.push import PushCases

if TYPE_CHECKING:
    from rollminder.remind.channels import ChannelInfo
    from rollminder.remind.records import ChannelConfig


class ChannelTest(NamedTuple):
    """The result of a test notification through one channel."""

    name: str
    error: str | None  # None: sent


class ReminderCases(PushCases):
    def add_channel(self, url: str, name: str | None = None) -> ChannelInfo:
        """Add a channel. The URL is checked by Apprise first; nothing changes if refused."""
        from rollminder.remind import channels
        from rollminder.remind.records import ChannelConfig, ChannelStatus

        clean, kind = channels.check_url(url)
        chosen = channels.valid_name(name) if name is not None else None
        now = self.now()
        with self.store.transaction():
            existing = self.store.channels()
            if any(c.url == clean for c in existing):
                raise Conflict(f"That channel is already set up ({channels.mask_url(clean)}).")
            if chosen is None:
                names = {c.name for c in existing}
                chosen = kind if kind not in names else next(
                    f"{kind}-{i}" for i in range(2, 1000) if f"{kind}-{i}" not in names
                )  # fmt: skip
            elif any(c.name == chosen for c in existing):
                raise Conflict(f"There is already a channel named {chosen!r}.")
            config = ChannelConfig(
                name=chosen, url=clean, masked=channels.mask_url(clean), kind=kind, created_at=now
            )
            self.store.put_channel(config)
        channels.protect(self.store.path)
        return channels.info(config, ChannelStatus(config.id))

    def _channel(self, name: str) -> ChannelConfig:
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput("Name the channel.")
        for c in self.store.channels():
            if c.name == name.strip():
                return c
        raise NotFound(f"No channel named {name.strip()[:40]!r}.")

    def remove_channel(self, name: str) -> ChannelInfo:
        from rollminder.remind import channels
        from rollminder.remind.records import ChannelStatus

        config = self._channel(name)
        status = self.store.channel_statuses().get(config.id, ChannelStatus(config.id))
        self.store.delete_channel(config.id)
        return channels.info(config, status)

    def list_channels(self) -> list[ChannelInfo]:
        """The configured channels with their health; with none, the implicit desktop channel
        (marked ``implicit``) when it has been used."""
        from rollminder.remind import channels
        from rollminder.remind.records import ChannelStatus

        self.prune_push_devices()
        statuses = self.store.channel_statuses()
        configs = self.store.channels()
        out = [channels.info(c, statuses.get(c.id, ChannelStatus(c.id))) for c in configs]
        if not configs and channels.DESKTOP_ID in statuses:
            desktop = channels.implicit_desktop()
            out.append(channels.info(desktop, statuses[channels.DESKTOP_ID], implicit=True))
        return out

    def active_channels(self, desktop_present: Callable[[], bool]) -> list[ChannelConfig]:
        """The channels reminders go to now: the configured ones, or the desktop when there is
        none and a notification server is present. Web Push devices a push service dropped are
        removed first; the others get what their sender needs (:meth:`for_sending`)."""
        from rollminder.remind import channels

        self.prune_push_devices()
        configs = self.store.channels()
        if configs:
            return self.for_sending(configs)
        return [channels.implicit_desktop()] if desktop_present() else []

    def test_channels(self, name: str | None = None) -> list[ChannelTest]:
        """Send a test notification through one channel (or each active one). Empty when no
        channel is set up and no desktop notification server runs."""
        from rollminder.remind import channels

        if name is not None:
            configs = self.for_sending([self._channel(name)])
        else:
            configs = self.active_channels(channels.desktop_available)
        results = []
        for config in configs:
            channel = channels.build(config)
            try:
                channel.send("rollminder test", "Reminders will reach you here.", slot="")
                results.append(ChannelTest(config.name, None))
            except channels.ChannelError as exc:
                results.append(ChannelTest(config.name, str(exc)))
            finally:
                if isinstance(channel, channels.DesktopChannel):
                    channel.close()
            self._record_test(config.id, results[-1].error)
        return results

    def _record_test(self, channel_id: str, error: str | None) -> None:
        """The test's outcome in the channel's status, so ``channel list`` shows the truth: a
        sent test clears the failures and counts as the last send; a failed one counts as a
        failure with its error (without holding back the next reminder: no retry time)."""
        from dataclasses import replace

        from rollminder.remind.records import ChannelStatus

        now = self.now()
        with self.store.transaction():
            status = self.store.channel_statuses().get(channel_id, ChannelStatus(channel_id))
            if error is None:
                status = replace(status, failures=0, retry_at=None, last_sent_at=now)
            else:
                status = replace(
                    status, failures=status.failures + 1, last_error=error, last_error_at=now
                )
            self.store.put_channel_status(status)

    def reachable(self) -> bool:
        """Can a reminder reach the person? Cheap enough for every ``next``: configured
        channels are one query; without them, the desktop counts only when a D-Bus session bus
        exists and the last probe (by the daemon or a reminder pass) did not find it empty."""
        if self.store.has_channels():
            return True
        import json

        from rollminder.remind.reach import bus_address

        if not bus_address():
            return False
        probes = []
        for key in ("daemon", "remind"):
            raw = self.store.reminder_state(key)
            try:
                fact = json.loads(raw) if raw else {}
            except ValueError:
                continue
            if isinstance(fact, dict) and isinstance(fact.get("desktop"), bool):
                probes.append((str(fact.get("at", "")), fact["desktop"]))
        return not (probes and not max(probes)[1])

    def reminder_state(self, key: str) -> str | None:
        """What the reminder daemon or pass last recorded under ``key`` (JSON text)."""
        return self.store.reminder_state(key)
