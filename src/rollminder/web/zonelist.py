"""The time zones the zone picker offers: every IANA zone this Python knows, named by its city
("Berlin (Europe/Berlin)"), so typing a city finds it in the list."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from rollminder.zonenames import city

#: Old or administrative names nobody picks from a list (still accepted when typed).
_SKIP_PREFIXES = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")


@lru_cache(maxsize=1)
def zone_options() -> tuple[tuple[str, str], ...]:
    """(IANA name, label) for the picker, sorted by label."""
    names = sorted(
        z for z in available_timezones() if "/" in z and not z.startswith(_SKIP_PREFIXES)
    )
    options = [(z, f"{city(z)} ({z.split('/', 1)[0]})") for z in names]
    options.append(("UTC", "UTC"))
    return tuple(sorted(options, key=lambda o: o[1].casefold()))
