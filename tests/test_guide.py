"""The guided session's step list (rollminder.guide): timing, coverage, order, JSON form."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rollminder.errors import InvalidInput
from rollminder.guide import (
    ZONE_AREAS,
    build_guide,
    direction_arrow,
    split_seconds,
)
from rollminder.model import ALL_DIRECTIONS, ZONES
from rollminder.rules import CLINICIAN_QUESTIONS, STOP_QUESTIONS, make_plan, stop_question

START = dt.date(2026, 11, 23)
T0 = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def plan(**choices: object):  # type: ignore[no-untyped-def]
    return make_plan(needle_mm=0.25, start=START, created_at=T0, **choices)  # type: ignore[arg-type]


zones_st = st.lists(st.sampled_from(ZONES), min_size=1, max_size=len(ZONES), unique=True)
directions_st = st.lists(
    st.sampled_from(ALL_DIRECTIONS), min_size=1, max_size=len(ALL_DIRECTIONS), unique=True
)
minutes_st = st.one_of(
    st.integers(min_value=1, max_value=30),
    st.floats(min_value=1, max_value=30, allow_nan=False).map(lambda m: round(m, 2)),
)


@given(zones_st, directions_st, minutes_st, st.integers(min_value=1, max_value=20))
def test_any_plan_gives_steps_that_add_up_cover_everything_and_keep_order(
    zones: list[str], directions: list[str], minutes: float, passes: int
) -> None:
    p = plan(zones=tuple(zones), directions=tuple(directions), minutes=minutes, passes=passes)
    guide = build_guide(p)
    rolling = guide.rolling

    # The rolling steps' seconds add up exactly to the session's minutes, or (issue 11) to 10 s a
    # step when the minutes would give less.
    expected_total = max(round(minutes * 60), 10 * len(rolling))
    assert guide.total_seconds == expected_total
    assert sum(s.seconds for s in rolling) == expected_total
    # Shares are even: no two rolling steps differ by more than a second, none under 10 s.
    assert max(s.seconds for s in rolling) - min(s.seconds for s in rolling) <= 1
    assert min(s.seconds for s in rolling) >= 10

    # Each zone (and each of its areas) gets every direction, exactly once.
    for zone in zones:
        for area in ZONE_AREAS[zone]:
            got = [s.direction for s in rolling if s.zone == zone and s.area == area]
            assert got == list(directions)
    assert {s.zone for s in rolling} == set(zones)

    # Order is stable: zones in the plan's order, then directions in the plan's order.
    expected = [(z, a, d) for z in zones for a in ZONE_AREAS[z] for d in directions]
    assert [(s.zone, s.area, s.direction) for s in rolling] == expected
    assert build_guide(p) == guide

    # Prep first, aftercare last, indexes match positions, every roll step has the passes.
    assert guide.steps[0].kind == "prep"
    assert guide.steps[-1].kind == "aftercare"
    assert [s.index for s in guide.steps] == list(range(len(guide.steps)))
    assert all(s.passes == passes for s in rolling)


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=200))
def test_split_seconds_is_exact_and_even(total: int, parts: int) -> None:
    shares = split_seconds(total, parts)
    assert len(shares) == parts
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)


def test_default_plan_is_about_three_minutes_over_face_in_a_star() -> None:
    guide = build_guide(plan())
    rolling = guide.rolling
    # forehead, left cheek, right cheek, chin and jaw: 4 areas x 4 directions = 16 steps.
    assert len(rolling) == 16
    assert [s.seconds for s in rolling] == [12] * 4 + [11] * 12  # 180 s over 16 steps
    first = rolling[0]
    assert (first.area, first.direction, first.cue) == (
        "forehead",
        "vertical",
        "Forehead. Vertical.",
    )
    left = next(s for s in rolling if s.area == "left cheek" and s.direction == "diagonal-up-right")
    assert left.cue == "Left cheek. Diagonal, up to the right."
    assert left.arrow == "\u2197"


def test_per_session_overrides_of_zones_and_minutes() -> None:
    guide = build_guide(plan(), zones=["neck", "chest"], minutes=2)
    assert guide.zones == ("neck", "chest")
    assert guide.total_seconds == 120
    assert {s.zone for s in guide.rolling} == {"neck", "chest"}


@pytest.mark.parametrize(
    ("zones", "minutes", "message"),
    [
        (["nose"], None, "Unknown zone 'nose'"),
        ([], None, "Choose at least one zone"),
        (None, 0.5, "Minutes must be between 1 and 30"),
        (None, 31, "Minutes must be between 1 and 30"),
        (None, float("nan"), "Minutes must be between 1 and 30"),
    ],
)
def test_bad_overrides_are_refused_in_one_line(
    zones: list[str] | None, minutes: float | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        build_guide(plan(), zones=zones, minutes=minutes)
    assert "\n" not in str(info.value)


def test_prep_and_aftercare_say_what_domain_md_says() -> None:
    guide = build_guide(plan())
    prep = " ".join(guide.steps[0].lines)
    assert "70% isopropyl alcohol" in prep and "10 minutes" in prep and "Cleanse" in prep
    after = " ".join(guide.steps[-1].lines)
    assert "No makeup and no workout" in after
    assert "Vitamin A and C" in after and "Sources conflict" in after
    assert "sunscreen" in after
    assert guide.steps[0].seconds == guide.steps[-1].seconds == 0


def test_json_form_is_stable_and_complete() -> None:
    guide = build_guide(plan(zones=("cheeks",), directions=("horizontal",), minutes=1))
    data = json.loads(json.dumps(guide.to_json()))
    assert data["format"] == 1
    assert data["total_seconds"] == 60
    assert [s["kind"] for s in data["steps"]] == ["prep", "roll", "roll", "aftercare"]
    assert data["steps"][1] == {
        "index": 1,
        "kind": "roll",
        "title": "Left cheek: horizontal",
        "lines": [
            "Roll side to side. 5 passes, light pressure, lift between passes.",
            "Stay below the eye socket; keep off moles and broken skin.",
        ],
        "seconds": 30,
        "zone": "cheeks",
        "area": "left cheek",
        "direction": "horizontal",
        "arrow": "\u2194",
        "passes": 5,
        "cue": "Left cheek. Horizontal.",
        "soak_seconds": 0,  # issue 11: only the prep step offers the soak countdown
    }
    assert guide.elapsed_before(2) == 30
    assert [direction_arrow(d) for d in ALL_DIRECTIONS] == ["\u2195", "\u2194", "\u2197", "\u2196"]


def test_check_questions_carry_holds_and_sources() -> None:
    keys = [q.key for q in STOP_QUESTIONS]
    assert keys == ["skin", "sun", "retinoid", "peel", "botox", "fillers"]
    assert stop_question("retinoid").hold_hours == 48
    assert stop_question("peel").hold_hours == 30 * 24
    assert all(q.source for q in STOP_QUESTIONS + CLINICIAN_QUESTIONS)
    assert all(q.asks_date == (q.hold_hours is not None) for q in STOP_QUESTIONS)
    assert all(q.hold_hours is None for q in CLINICIAN_QUESTIONS)
    with pytest.raises(InvalidInput, match="no check question 'x'"):
        stop_question("x")
