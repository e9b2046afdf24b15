"""The reminder tables behave the same in both stores: the ledger's claim (once per key, taken
over only from the owner named), channels with unique names, statuses, snoozes, state."""

from __future__ import annotations

import datetime as dt

import pytest

from rollminder.errors import StorageError
from rollminder.remind.records import ChannelConfig, ChannelStatus, Delivery, Snooze
from rollminder.store import Store

T0 = dt.datetime(2026, 11, 26, 20, tzinfo=dt.UTC)


def _claim(owner: str = "host:1:a") -> Delivery:
    return Delivery("2026-11-26T20:00Z", "session", "c1", "claimed", T0, T0, owner)


def test_a_key_is_claimed_once_and_taken_over_only_from_its_owner(store: Store) -> None:
    assert store.claim_delivery(_claim())
    assert not store.claim_delivery(_claim("host:2:b"))
    assert not store.claim_delivery(_claim("host:2:b"), replacing="host:9:z")
    later = T0 + dt.timedelta(minutes=1)
    taken = Delivery("2026-11-26T20:00Z", "session", "c1", "claimed", T0, later, "host:2:b")
    assert store.claim_delivery(taken, replacing="host:1:a")
    [row] = store.deliveries()
    assert (row.owner, row.attempts, row.claimed_at) == ("host:2:b", 2, later)
    sent = Delivery(row.slot, row.kind, row.channel, "sent", T0, later, row.owner, sent_at=later)
    store.put_delivery(sent)
    assert not store.claim_delivery(_claim("host:3:c"), replacing="host:2:b")  # not 'claimed'
    assert store.deliveries()[0].state == "sent"
    assert store.deliveries(since=T0 + dt.timedelta(seconds=1)) == []
    assert store.delete_delivery(row.slot, row.kind, row.channel)
    assert store.deliveries() == []


def test_channels_statuses_snoozes_and_state(store: Store) -> None:
    a = ChannelConfig(name="a", url="json://x", masked="json://x", kind="json", created_at=T0)
    assert store.has_channels() is False
    store.put_channel(a)
    assert store.has_channels() is True
    with pytest.raises(StorageError):
        store.put_channel(
            ChannelConfig(name="a", url="json://y", masked="json://y", kind="json", created_at=T0)
        )
    assert [c.name for c in store.channels()] == ["a"]
    store.put_channel_status(ChannelStatus(a.id, failures=2, last_error="500", retry_at=T0))
    assert store.channel_statuses()[a.id].failures == 2
    assert store.delete_channel(a.id)
    assert store.channels() == [] and store.channel_statuses() == {}
    store.put_snooze(Snooze("k", 1, T0, created_at=T0))
    store.put_snooze(Snooze("k", 1, T0 + dt.timedelta(minutes=5), created_at=T0))
    assert [(z.n, z.until) for z in store.snoozes()] == [(1, T0 + dt.timedelta(minutes=5))]
    assert store.reminder_state("daemon") is None
    store.put_reminder_state("daemon", "{}")
    store.put_reminder_state("daemon", '{"a": 1}')
    assert store.reminder_state("daemon") == '{"a": 1}'
