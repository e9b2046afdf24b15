"""Routines on the CLI (issue 12): ``start`` runs two due routines one after the other (from a
pipe too) with the roller switch between them, each logged to its routine; areas on pauses,
visits and the check (a sunburn asks where); ``history --json`` names the routine; bad input on
every new option is one line and changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import Runner

MONDAY = "2026-11-30T21:05+01:00"  # face (Mon, Thu) and body (Mon) are both due
NO = "n\n" * 6  # the six stop questions answered no


@pytest.fixture
def routined(planned: Runner, monkeypatch: pytest.MonkeyPatch) -> Runner:
    monkeypatch.setenv("ROLLMINDER_CLOCK_SPEED", "1000")
    r = planned("routine", "add", "body", "--needle", "0.5", "--areas", "thighs", "--days", "mon")
    assert r.code == 0, r.err
    return planned


def test_start_runs_both_due_routines_from_a_pipe_with_the_roller_switch(
    routined: Runner,
) -> None:
    r = routined("start", stdin=NO + "mild\nwarm face\nnone\n\n", now=MONDAY)
    assert r.code == 0, r.err
    out = r.out
    switch = "Next: body. Switch to your 0.5 mm roller for your thighs."
    assert switch in out
    assert out.index("Forehead.") < out.index(switch) < out.index("Left thigh.")
    assert out.count("Check:") == 6  # the check once, for both
    rows = routined("history", "--json", now=MONDAY).json()
    assert [(row["routine"], row["zones"], row["reaction"]) for row in rows] == [
        ("face", ["forehead", "cheeks", "chin"], "mild"),
        ("body", ["thighs"], "none"),
    ]
    by = {row["routine"]: row for row in rows}
    assert by["face"]["note"] == "warm face" and by["body"]["reaction"] == "none"
    # Each routine's roller counts its own use (both were added from the pipe).
    rollers = routined("roller", "list", "--json", now=MONDAY).json()
    bodies = routined("roller", "--routine", "body", "list", "--json", now=MONDAY).json()
    assert [x["needle_mm"] for x in rollers] == [0.25] and [x["uses"] for x in rollers] == [1]
    assert [x["needle_mm"] for x in bodies] == [0.5] and [x["uses"] for x in bodies] == [1]


def test_start_with_routine_runs_that_one_only(routined: Runner) -> None:
    r = routined("start", "--routine", "body", stdin=NO + "\n", now=MONDAY)
    assert r.code == 0, r.err
    assert "Switch to your" not in r.out and "Left thigh." in r.out and "Forehead." not in r.out
    assert [row["routine"] for row in routined("history", "--json", now=MONDAY).json()] == ["body"]


def test_a_sunburn_on_the_thighs_stops_the_body_and_the_face_goes_on(routined: Runner) -> None:
    r = routined("start", stdin="n\ny\nthighs\nnone\n\n", now=MONDAY)
    assert r.code == 0, r.err
    assert "Check: Where?" in r.out
    assert "Don't roll today: sunburn" in r.out and "Your face routine goes on." in r.out
    assert "Forehead." in r.out and "thigh." not in r.out
    rows = routined("history", "--skips", "--json", now=MONDAY).json()
    assert sorted((row["type"], row["routine"]) for row in rows) == [
        ("session", "face"),
        ("skip", "body"),
    ]


def test_a_sunburn_everywhere_stops_both(routined: Runner) -> None:
    r = routined("check", stdin="n\ny\n\n", now=MONDAY)
    assert r.code == 1
    rows = routined("history", "--skips", "--json", now=MONDAY).json()
    assert sorted(row["routine"] for row in rows if row["type"] == "skip") == ["body", "face"]


def test_check_areas_gives_the_holds_their_areas(routined: Runner) -> None:
    r = routined("check", "--areas", "face", stdin="n\nn\ny\n", now=MONDAY)  # a retinoid
    assert r.code == 1
    holds = routined("check", "--holds", now=MONDAY).out
    assert "retinoid" in holds and "(face)" in holds
    body = routined("next", "--routine", "body", "--json", now=MONDAY).json()
    assert body[0]["start"].startswith("2026-11-30T21:00")  # the thighs are still due
    rows = routined("history", "--skips", "--json", now=MONDAY).json()
    assert [row["routine"] for row in rows] == ["face"]


def test_pause_and_visit_stop_the_routines_of_their_areas(routined: Runner) -> None:
    now = "2026-11-25T10:00+01:00"
    r = routined("pause", "--from", "2026-11-30", "--until", "2026-12-06", "--areas", "thighs",
                 now=now)  # fmt: skip
    assert r.code == 0, r.err and "for thighs" in r.out
    face = routined("next", "--routine", "face", "--json", now=now).json()
    body = routined("next", "--routine", "body", "--json", now=now).json()
    assert face[0]["start"].startswith("2026-11-26") and face[1]["start"].startswith("2026-11-30")
    assert body[0]["start"].startswith("2026-12-07")
    assert routined("pauses", "--json", now=now).json()[0]["areas"] == ["thighs"]
    # A visit is a facial treatment by default: its blackout stops the face, not the thighs.
    r = routined("visit", "add", "2026-12-20 10:00", "--clinic", "Derm", now=now)
    assert r.code == 0, r.err
    face = routined("next", "--routine", "face", "--json", "-n", "8", now=now).json()
    assert not any("2026-12-14" <= row["start"][:10] <= "2027-01-03" for row in face)
    body = routined("next", "--routine", "body", "--json", "-n", "8", now=now).json()
    assert any(row["start"].startswith("2026-12-14") for row in body)
    # A pause without areas stops every routine.
    r = routined("pause", "--from", "2027-02-01", "--until", "2027-02-07", now=now)
    assert r.code == 0, r.err
    assert routined("pauses", "--json", now=now).json()[1]["areas"] == []


def test_history_json_names_the_routine_on_every_row(routined: Runner) -> None:
    assert routined("done", "--routine", "body", now=MONDAY).code == 0
    assert routined("skip", "--routine", "face", now=MONDAY).code == 0
    later = "2026-12-09T10:00+01:00"
    rows = routined("history", "--skips", "--missed", "--json", now=later).json()
    assert rows and all(row["routine"] in ("face", "body") for row in rows)
    assert {row["type"] for row in rows} == {"session", "skip", "missed"}
    one = routined("history", "--routine", "body", "--missed", "--json", now=later).json()
    assert {row["routine"] for row in one} == {"body"}


def test_one_routine_history_rows_name_it(planned: Runner) -> None:
    assert planned("done", now=MONDAY).code == 0
    assert [row["routine"] for row in planned("history", "--json", now=MONDAY).json()] == ["face"]


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("pause", "--from", "2026-12-01", "--until", "2026-12-02", "--areas", "elbows"), ""),
        (("pause", "--from", "2026-12-01", "--until", "2026-12-02", "--areas", ","), ""),
        (("pause", "--from", "2026-12-01", "--until", "2026-12-02", "--areas", "a\x00b"), ""),
        (("visit", "add", "2026-12-20 10:00", "--areas", "knees"), ""),
        (("visit", "add", "2026-12-20 10:00", "--areas", ""), ""),
        (("check", "--areas", "nope"), "n\ny\n"),
        (("check",), "n\ny\nelbows\n"),
        (("check",), "n\ny\n"),  # no line for where
        (("start", "--areas", "x" * 500), NO),
        (("start", "--zones", "thighs"), NO),  # two due: say which
        (("start", "--minutes", "3"), NO),
        (("start",), "n\ny\nknees\n"),
    ],
)
def test_bad_input_on_every_new_option_is_one_line_and_changes_nothing(
    routined: Runner, args: tuple[str, ...], stdin: str
) -> None:
    before = routined("export", now=MONDAY).out
    r = routined(*args, stdin=stdin, now=MONDAY)
    assert r.code in (1, 2), (args, r.out, r.err)
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert "Traceback" not in r.err
    assert routined("export", now=MONDAY).out == before
