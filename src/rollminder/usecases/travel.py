"""Use cases of travel (DOMAIN.md "Travel and time zones"): while a person is away, slots and
reminders follow the plan's wall time in the zone they are in; sessions keep the zone they were
done in; rest still counts in days. A travel ends on its last day, or when ended by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import NamedTuple
from zoneinfo import ZoneInfo

from rollminder import limits
from rollminder.errors import InvalidInput
from rollminder.usecases.base import Base
from rollminder.zonenames import zone_name

#: A travel is planned at most this many days ahead (as a pause).
MOST_DAYS = limits.PAUSE_DAYS


class Travel(NamedTuple):
    """A travel that is on: its zone, its last day (None: until ended), the plan's own zone."""

    tz: str
    until: dt.date | None
    home: str


class TravelCases(Base):
    def travel(self) -> Travel | None:
        """The travel that is on now, or None (also once its last day has passed)."""
        zone = self.travel_zone()
        if zone is None:
            return None
        until = self.store.settings().travel_until
        return Travel(zone, dt.date.fromisoformat(until) if until else None, self.home_plan().tz)

    def start_travel(self, zone: str, until: dt.date | None = None) -> Travel:
        """Follow ``zone`` (a city or an IANA name) from now through ``until`` (inclusive, a day
        in that zone), or until :meth:`end_travel`. Starting another travel replaces this one."""
        plan = self.home_plan()
        name = zone_name(zone)
        today = self.now().astimezone(ZoneInfo(name)).date()
        if until is not None:
            until = limits.day(until, "travel's last day")
            if until < today:
                raise InvalidInput("The travel's last day has already passed.")
            if (until - today).days > MOST_DAYS:
                raise InvalidInput("A travel can last at most two years.")
        with self.store.transaction():
            settings = self.store.settings()
            self.store.put_settings(
                replace(
                    settings,
                    travel_tz="" if name == plan.tz else name,
                    travel_until="" if name == plan.tz or until is None else until.isoformat(),
                )
            )
        return Travel(name, until, plan.tz)

    def end_travel(self) -> Travel | None:
        """Back home: slots and reminders follow the plan's zone again. Returns the travel that
        was on, or None when there was none."""
        with self.store.transaction():
            was = self.travel()
            settings = self.store.settings()
            if settings.travel_tz or settings.travel_until:
                self.store.put_settings(replace(settings, travel_tz="", travel_until=""))
        return was
