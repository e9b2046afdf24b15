"""Time zones by the names people use (issue #11, item 5): cities, old city names, countries
with one zone, IANA names in any case; ambiguous or unknown names refused in one line."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rollminder.errors import InvalidInput
from rollminder.zonenames import city, zone_name


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        (" New York ", "America/New_York"),
        ("new_york", "America/New_York"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("Calcutta", "Asia/Kolkata"),
        ("Kiev", "Europe/Kyiv"),
        ("Japan", "Asia/Tokyo"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("Etc/UTC", "Etc/UTC"),
        ("UTC", "UTC"),
        ("gmt", "UTC"),
    ],
)
def test_names_people_use(text: str, zone: str) -> None:
    assert zone_name(text) == zone


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Germany", "Europe/Berlin, Europe/Busingen"),
        ("Berln", "did you mean Europe/Berlin?"),
        ("Springfield", "give a city such as Berlin"),
        ("", "Give a time zone"),
        ("../../etc/passwd", "Unknown time zone"),
        ("Berlin\x00", "Give a time zone"),
    ],
)
def test_refused_in_one_line(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        zone_name(text)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


@given(st.text(max_size=100))
def test_any_text_gives_a_zone_or_one_line(text: str) -> None:
    try:
        zone = zone_name(text)
    except InvalidInput as exc:
        assert "\n" not in str(exc)
    else:
        ZoneInfo(zone)


def test_city() -> None:
    assert city("America/New_York") == "New York"
    assert city("UTC") == "UTC"
