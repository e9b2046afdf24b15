"""Use cases of Web Push (issue 16): the profile's VAPID key pair, and the devices subscribed to
its reminders (each a channel of kind ``webpush``; see :mod:`rollminder.remind.webpush`).

On the facade through :class:`rollminder.usecases.reminders.ReminderCases`, which inherits them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rollminder.errors import NotFound
from rollminder.usecases.base import Base

if TYPE_CHECKING:
    from rollminder.remind.channels import ChannelInfo
    from rollminder.remind.records import ChannelConfig


class PushCases(Base):
    def push_key(self) -> str:
        """The VAPID public key browsers subscribe with (``applicationServerKey``); the key pair
        is made on first use and kept as the profile's secret."""
        from rollminder.remind import webpush

        return webpush.public_key(self._vapid_private())

    def _vapid_private(self) -> str:
        from rollminder.remind import webpush

        with self.store.transaction():
            value = self.store.secret(webpush.VAPID_SECRET)
            if value is None:
                value = webpush.new_private_key()
                self.store.put_secret(webpush.VAPID_SECRET, value)
        return value

    def add_push_device(self, data: object, name: object = "", origin: str = "") -> ChannelInfo:
        """Subscribe a device (``PushSubscription.toJSON()`` from the browser), named after it.
        The same endpoint again (a browser re-subscribing) replaces the old keys, keeps one
        channel and its name. ``origin``: the app's address the device uses (an https one is
        the VAPID contact its push service is told)."""
        from rollminder.remind import channels, webpush
        from rollminder.remind.records import ChannelConfig, ChannelStatus

        sub = webpush.check_subscription(data, origin)
        wanted = webpush.device_name(name)
        now = self.now()
        with self.store.transaction():
            existing = self.store.channels()
            for c in existing:
                if c.kind == webpush.KIND and webpush.subscription(c).endpoint == sub.endpoint:
                    self.store.delete_channel(c.id)
                    config = ChannelConfig(
                        name=c.name,
                        url=sub.to_url(),
                        masked=webpush.masked(sub.endpoint),
                        kind=webpush.KIND,
                        id=c.id,
                        created_at=c.created_at,
                    )
                    self.store.put_channel(config)
                    break
            else:
                names = {c.name for c in existing}
                chosen = wanted
                for i in range(2, 1000):
                    if chosen not in names:
                        break
                    chosen = f"{wanted[: webpush.MAX_NAME - 4]} {i}"
                config = ChannelConfig(
                    name=chosen,
                    url=sub.to_url(),
                    masked=webpush.masked(sub.endpoint),
                    kind=webpush.KIND,
                    created_at=now,
                )
                self.store.put_channel(config)
        channels.protect(self.store.path)
        status = self.store.channel_statuses().get(config.id, ChannelStatus(config.id))
        return channels.info(config, status)

    def push_devices(self) -> list[ChannelInfo]:
        """The subscribed devices, with their health (those a push service dropped are gone)."""
        from rollminder.remind import channels, webpush
        from rollminder.remind.records import ChannelStatus

        self.prune_push_devices()
        statuses = self.store.channel_statuses()
        return [
            channels.info(c, statuses.get(c.id, ChannelStatus(c.id)))
            for c in self.store.channels()
            if c.kind == webpush.KIND
        ]

    def remove_push_device(self, channel_id: str) -> ChannelInfo:
        """Remove a device by its channel id (the Settings list's Remove)."""
        from rollminder.remind import channels, webpush
        from rollminder.remind.records import ChannelStatus

        for c in self.store.channels():
            if c.kind == webpush.KIND and c.id == channel_id:
                status = self.store.channel_statuses().get(c.id, ChannelStatus(c.id))
                self.store.delete_channel(c.id)
                return channels.info(c, status)
        raise NotFound("That device is not subscribed (any more).")

    def remove_push_endpoint(self, data: object) -> bool:
        """A device unsubscribing itself (``{"endpoint": ...}``): its channel goes, if any."""
        from rollminder.remind import webpush

        endpoint = data.get("endpoint") if isinstance(data, Mapping) else None
        if not isinstance(endpoint, str):
            return False
        for c in self.store.channels():
            if c.kind == webpush.KIND and webpush.subscription(c).endpoint == endpoint:
                self.store.delete_channel(c.id)
                return True
        return False

    def prune_push_devices(self) -> int:
        """Delete the devices whose push service answered 404 or 410 (noted by their sender in
        this process); the number deleted."""
        from rollminder.remind import webpush

        if not webpush.GONE:
            return 0
        mine = {c.id for c in self.store.channels() if c.kind == webpush.KIND}
        gone = webpush.take_gone(mine)
        for cid in gone:
            self.store.delete_channel(cid)
        return len(gone)

    def for_sending(self, configs: list[ChannelConfig]) -> list[ChannelConfig]:
        """``configs`` with each Web Push device given the VAPID key and the action token its
        sender needs (it has no store); other channels as they are."""
        from rollminder.remind import webpush

        if not any(c.kind == webpush.KIND for c in configs):
            return configs
        vapid = self._vapid_private()
        token = self._action_token()
        return [
            webpush.for_sending(c, vapid, token) if c.kind == webpush.KIND else c for c in configs
        ]

    def _action_token(self) -> str:
        """The action links' token (as :meth:`Upkeep.token` makes it, on first use)."""
        import secrets

        from rollminder.remind import webpush

        with self.store.transaction():
            value = self.store.secret(webpush.ACTION_TOKEN)
            if value is None:
                value = secrets.token_urlsafe(24)
                self.store.put_secret(webpush.ACTION_TOKEN, value)
        return value
