"""Time zones by the names people use: "Berlin", "new york", "Europe/Berlin", "UTC".

An IANA name is taken as it is. Otherwise the text is matched, ignoring case, accents, spaces and
underscores, against the city of every zone in tzdata's ``zone.tab`` (one canonical zone per
region) and against the countries that have a single zone ("Japan", "Germany" is ambiguous only
if it has two: Europe/Berlin and Europe/Busingen, so it is refused with both offered). A name that
fits more than one zone, or none, is refused in one line that says what would work.
"""

from __future__ import annotations

import difflib
import unicodedata
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rollminder.errors import InvalidInput

#: Names that stand for UTC as people write them.
_UTC = {"utc", "gmt", "z", "zulu", "universal"}


def _key(text: str) -> str:
    """'São_Paulo ' -> 'saopaulo': the form names are compared in."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return "".join(c for c in plain.casefold() if c.isalnum())


def _table(name: str) -> list[list[str]]:
    """The rows of one of tzdata's tab-separated tables (comments left out)."""
    from importlib import resources

    try:
        text = (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError):
        try:
            with open(f"/usr/share/zoneinfo/{name}", encoding="utf-8") as fh:
                text = fh.read()
        except OSError:
            return []
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    """Every comparable name -> the canonical zones it may mean."""
    names: dict[str, set[str]] = {}
    countries = {row[0]: row[1] for row in _table("iso3166.tab") if len(row) >= 2}
    by_country: dict[str, set[str]] = {}
    for row in _table("zone.tab"):
        if len(row) < 3:
            continue
        codes, zone = row[0], row[2]
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        names.setdefault(_key(city), set()).add(zone)
        names.setdefault(_key(zone), set()).add(zone)
        for code in codes.split(","):
            by_country.setdefault(code, set()).add(zone)
    canonical = {zone for zones in names.values() for zone in zones}
    # Old names of a city ("Calcutta", "Saigon"): tzdata's links to a canonical zone.
    for row in _table("tzdata.zi"):
        parts = row[0].split(" ")
        if len(parts) == 3 and parts[0] == "L" and parts[1] in canonical:
            old = parts[2].rsplit("/", 1)[-1].replace("_", " ")
            names.setdefault(_key(old), set()).add(parts[1])
    for code, zones in by_country.items():
        if code in countries:
            names.setdefault(_key(countries[code]), set()).update(zones)
    return {key: frozenset(zones) for key, zones in names.items()}


@lru_cache(maxsize=1)
def _all_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this Python knows (exactly as written)."""
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def zone_name(text: str) -> str:
    """The IANA zone ``text`` names, or :class:`InvalidInput` in one line."""
    given = text.strip() if isinstance(text, str) else ""
    if not given or len(given) > 80 or not given.isprintable():
        raise InvalidInput(
            "Give a time zone: a city such as Berlin, or a name such as Europe/Berlin."
        )
    if is_zone(given) and "/" in given:
        return given
    key = _key(given)
    if key in _UTC:
        return "UTC"
    if not key:
        raise InvalidInput(f"Unknown time zone {given!r}: give a city such as Berlin.")
    hits = _index().get(key)
    if hits and len(hits) == 1:
        return next(iter(hits))
    if hits:
        listed = ", ".join(sorted(hits)[:4])
        raise InvalidInput(f"{given!r} fits more than one time zone: give one of {listed}.")
    # A zone name in another case ("europe/berlin"), or a legacy one that only differs in case.
    folded = {z.casefold(): z for z in _all_zones()}
    if given.casefold() in folded and is_zone(folded[given.casefold()]):
        return folded[given.casefold()]
    close = difflib.get_close_matches(key, list(_index()), n=1, cutoff=0.8)
    if close and len(_index()[close[0]]) == 1:
        zone = next(iter(_index()[close[0]]))
        raise InvalidInput(f"Unknown time zone {given!r}: did you mean {zone}?")
    raise InvalidInput(
        f"Unknown time zone {given!r}: give a city such as Berlin, or a name such as Europe/Berlin."
    )


def city(zone: str) -> str:
    """How a zone is named in a sentence: 'Europe/Berlin' -> 'Berlin', 'UTC' -> 'UTC'."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")
