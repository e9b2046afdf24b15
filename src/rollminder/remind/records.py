"""The reminder engine's records (issue #5): channels, their health, the delivery ledger, snoozes.

Frozen dataclasses like those of :mod:`rollminder.model`, kept here so that commands which never
touch reminders don't pay for creating them at start-up; ``rollminder.model`` re-exports them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rollminder.model import new_id


@dataclass(frozen=True)
class ChannelConfig:
    """Where reminders go: an Apprise URL, or ``desktop://``. ``url`` may hold secrets: it is
    never shown; ``masked`` is."""

    name: str
    url: str
    masked: str
    kind: str  # the URL's scheme ('ntfy', 'mailto', 'json', 'desktop', ...)
    id: str = field(default_factory=new_id)
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock


@dataclass(frozen=True)
class ChannelStatus:
    """A channel's health: failures in a row, the last error, and when to try again."""

    channel: str  # a ChannelConfig id, or 'desktop' for the implicit desktop channel
    failures: int = 0
    last_error: str = ""
    last_error_at: dt.datetime | None = None
    last_sent_at: dt.datetime | None = None
    retry_at: dt.datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """One row of the delivery ledger: reminder ``kind`` of ``slot`` on ``channel``.

    ``slot`` is the key of what is reminded: the slot's instant (UTC ISO text) for session
    reminders, ``roller:ID``, ``visit:ID`` or ``book:SERIES:N`` for the others.
    ``state`` goes claimed -> sent -> recorded.
    """

    slot: str
    kind: str
    channel: str
    state: str
    due_at: dt.datetime
    claimed_at: dt.datetime
    owner: str
    sent_at: dt.datetime | None = None
    recorded_at: dt.datetime | None = None
    late: bool = False
    attempts: int = 1


@dataclass(frozen=True)
class Snooze:
    """The ``n``-th snooze of a slot: one more session reminder at ``until``."""

    slot: str
    n: int
    until: dt.datetime
    created_at: dt.datetime = field(kw_only=True)  # the use case's now: never the wall clock
