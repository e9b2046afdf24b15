"""Fixing mistakes on the command line (issue #11 item 8): edit, delete, undo, rollers, series.

Bad input on every option of every edit command: one line, exit 1 or 2, nothing changed."""

from __future__ import annotations

import io
from typing import Any

import click
import pytest

from rollminder.cli import cli
from tests.conftest import Result, Runner
from tests.test_cli_fuzz import HOSTILE, UNSAFE


class Terminal(io.StringIO):
    """A standard input that says it is a terminal, with the person's answers."""

    def isatty(self) -> bool:
        return True


def ids(rm: Runner, *args: str, key: str = "id") -> list[str]:
    return [row[key] for row in rm(*args, "--json").json()]


def one_line_error(result: Result) -> None:
    assert result.code in (1, 2), result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.err
    assert "Traceback" not in result.out + result.err


@pytest.fixture
def logged(planned: Runner) -> Runner:
    """A plan with a session, a skip, a pause, a visit, a series and a roller."""
    for args in (
        ("done", "--at", "sun 21:05"),
        ("skip", "--reason", "irritated"),
        ("pause", "--from", "2026-12-20", "--until", "2027-01-03", "--reason", "travel"),
        ("visit", "add", "2026-12-16 10:00", "--clinic", "Dr. Weiss"),
        ("visit", "series", "new", "Face series", "--count", "5", "--weeks", "6"),
        ("roller", "add", "--label", "face roller"),
    ):
        result = planned(*args, now="2026-11-25T10:00+01:00")
        assert result.code == 0, (args, result.err)
    return planned


def test_delete_says_what_and_undo_brings_it_back_in_a_later_run(logged: Runner) -> None:
    original = logged("export").out
    [session] = [r["id"] for r in logged("history", "--json").json()]
    deleted = logged("delete", session[:6])
    assert deleted.code == 0, deleted.err
    assert deleted.out.startswith("Deleted the session of Sun 22 Nov 21:05 (3 min).")
    assert "undo" in deleted.out
    assert logged("history", "--json").json() == []
    undone = logged("undo", now="2026-11-26T09:00+01:00")  # a later run, a later time
    assert undone.code == 0, undone.err
    assert undone.out.strip() == "Restored the session of Sun 22 Nov 21:05 (3 min)."
    assert logged("export").out == original
    assert logged("undo").out.strip() == "Nothing to undo."


def test_a_second_undo_undoes_the_one_before(logged: Runner) -> None:
    original = logged("export").out
    [session] = ids(logged, "history")
    assert logged("edit", "session", session[:6], "--minutes", "5").code == 0
    edited = logged("edit", session[:6], "--at", "sun 21:30", "--note", "a bit red")
    assert edited.code == 0, edited.err
    assert edited.out.startswith(
        "Changed the time and note of the session of Sun 22 Nov 21:05 (5 min): "
        "now the session of Sun 22 Nov 21:30 (5 min)."
    )
    [pause] = ids(logged, "pauses")
    assert logged("delete", "pause", pause[:6]).code == 0
    assert logged("undo", "--show").out.strip().startswith("Undo would restore the pause from")
    assert logged("undo").out.startswith("Restored the pause from Sun 20 Dec through Sun 3 Jan")
    second = logged("undo")
    assert second.out.startswith("Undid your change to the session of Sun 22 Nov 21:30 (5 min)")
    assert logged("undo").code == 0
    assert logged("export").out == original
    assert logged("undo").out.strip() == "Nothing to undo."


def test_undo_after_a_conflicting_change_refuses_in_one_line(logged: Runner) -> None:
    [session] = ids(logged, "history")
    assert logged("delete", session).code == 0
    assert logged("done", "--at", "sun 21:05", now="2026-11-25T10:00+01:00").code == 0
    before = logged("export").out
    refused = logged("undo")
    one_line_error(refused)
    assert "a session at Sun 22 Nov 2026 21:05 is logged now" in refused.err
    assert logged("export").out == before


def test_every_kind_is_edited_with_the_options_of_its_add_command(logged: Runner) -> None:
    [skip] = [r["id"] for r in logged("history", "--skips", "--json").json() if r["type"] == "skip"]
    [pause] = ids(logged, "pauses")
    [visit] = ids(logged, "visit", "list")
    [roller] = ids(logged, "roller", "list")
    out = logged("edit", "skip", skip[:6], "--reason", "sunburn", "--catch-up")
    assert out.code == 0, out.err
    assert "Changed the reason and catch-up of the skip of" in out.out
    out = logged("edit", "pause", pause[:6], "--until", "2027-01-05")
    assert "now the pause from Sun 20 Dec through Tue 5 Jan 2027" in out.out
    out = logged("edit", "visit", visit[:6], "--series", "face series", "--clinic", "Derma")
    assert out.code == 0, out.err
    assert "It is part of the series 'Face series' now." in out.out
    [series] = ids(logged, "visit", "series")
    assert logged("visit", "list", "--json").json()[0]["series"] == series
    assert "Face series" in logged("visit", "list").out
    out = logged("edit", "roller", roller[:6], "--uses", "2", "--needle", "0.2")
    assert out.code == 0, out.err
    [row] = logged("roller", "list", "--json").json()
    assert (row["needle_mm"], row["uses"]) == (0.2, 2)
    out = logged("edit", "visit", visit[:6], "--no-series")
    assert logged("visit", "list", "--json").json()[0]["series"] is None
    # An id alone says what it is.
    out = logged("edit", pause[:6], "--reason", "")
    assert out.code == 0 and "Changed the reason of the pause" in out.out


def test_edit_needs_something_to_change_and_an_id_it_knows(logged: Runner) -> None:
    [session] = ids(logged, "history")
    before = logged("export").out
    for args in (
        ("edit", "session", session[:6]),
        ("edit", "ffffffff", "--note", "x"),
        ("edit", "session", "ffffffff", "--note", "x"),
        ("edit", "skip", session[:6], "--reason", "x"),  # a session's id is not a skip's
        ("edit", "ab", "--note", "x"),
        ("edit", "visit", "--no-series"),
        ("delete", "session"),
        ("delete", "roller", "abcd"),
        ("edit", "visit", session[:6], "--series", "x", "--no-series"),
    ):
        one_line_error(logged(*args))
    assert logged("export").out == before


def test_a_second_session_on_a_day_is_asked_as_done_asks(
    logged: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert logged("done", "--at", "mon 21:00", now="2026-11-25T10:00+01:00").code == 0
    first, second = ids(logged, "history")
    before = logged("export").out
    refused = logged("edit", "session", second[:6], "--at", "sun 22:00")
    one_line_error(refused)
    assert "--again" in refused.err
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    no = logged("edit", "session", second[:6], "--at", "sun 22:00")
    assert no.out.strip().endswith("Nothing was changed.")
    assert logged("export").out == before
    yes = logged("edit", "session", second[:6], "--at", "sun 22:00", "--again")
    assert yes.code == 0, yes.err
    assert first != second


# -- rollers ------------------------------------------------------------------------------------


def test_the_readme_tour_no_longer_retires_the_roller_start_made(
    planned: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'start' adds an unnamed roller; 'roller add --label' then asks, or takes --replace."""
    assert planned("roller", "add").code == 0  # what 'start' does without a roller
    before = planned("export").out
    refused = planned("roller", "add", "--label", "face roller")
    one_line_error(refused)
    assert "--replace" in refused.err and "roller rename" in refused.err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    assert planned("export").out == before
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    no = planned("roller", "add", "--label", "face roller")
    assert no.code == 0 and "Nothing was added" in no.out
    assert planned("export").out == before
    renamed = planned("roller", "rename", "face roller")
    assert renamed.code == 0, renamed.err
    assert "Renamed: face roller" in renamed.out and "(was '0.25 mm roller')" in renamed.out
    [row] = planned("roller", "list", "--json").json()
    assert row["label"] == "face roller" and row["retired"] is None
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    yes = planned("roller", "add", "--label", "blue")
    assert yes.code == 0 and "Retired face roller" in yes.out
    old, new = planned("roller", "list", "--json").json()
    assert old["retired"] is not None and new["retired"] is None


def test_a_retired_roller_is_brought_back_and_renamed_by_id(logged: Runner) -> None:
    [face] = ids(logged, "roller", "list")
    assert logged("roller", "add", "--label", "blue", "--replace").code == 0
    refused = logged("roller", "use", face[:6])
    one_line_error(refused)
    back = logged("roller", "use", face[:6], "--replace")
    assert back.code == 0, back.err
    assert back.out.startswith("face roller [") and "Retired blue" in back.out
    rows = {r["label"]: r for r in logged("roller", "list", "--json").json()}
    assert rows["face roller"]["retired"] is None and rows["blue"]["retired"] is not None
    blue = rows["blue"]["id"]
    assert logged("roller", "rename", blue[:6], "spare").code == 0
    assert {r["label"] for r in logged("roller", "list", "--json").json()} == {
        "face roller",
        "spare",
    }
    one_line_error(logged("roller", "rename", "a", "b", "c"))
    undone = logged("undo")
    assert "it is back to the roller 'blue'" in undone.out


def test_a_visit_is_added_to_a_series_by_its_name(logged: Runner) -> None:
    added = logged("visit", "add", "2027-01-27 10:00", "--series", "Face Series")
    assert added.code == 0, added.err
    [series] = logged("visit", "series", "--json").json()
    assert len(series["visits"]) == 1
    one_line_error(logged("visit", "add", "2027-03-27 10:00", "--series", "Body series"))


# -- bad input on every option of every edit command ---------------------------------------------


def _edit_options() -> list[tuple[str, str]]:
    edit = cli.get_command(click.Context(cli), "edit")
    assert isinstance(edit, click.Group)
    out = []
    for name, command in edit.commands.items():
        for param in command.params:
            if isinstance(param, click.Option) and not param.is_flag and param.opts[0] != "--help":
                out.append((name, param.opts[0]))
    return out


EDIT_OPTIONS = _edit_options()
BAD = [
    *HOSTILE,
    "",
    "-1",
    "0",
    "nan",
    "2026-02-30",
    "99:99",
    "x" * 600,
    "mon,mon,purple",
    "1e400",
]
#: Values an option may take: bad input for one is good for another ('' clears a note).
ALLOWED_TO_PASS = {"--note", "--reason", "--clinic", "--label"}


def test_every_edit_option_is_covered() -> None:
    assert {k for k, _ in EDIT_OPTIONS} == {"session", "skip", "pause", "visit", "roller"}
    assert len(EDIT_OPTIONS) >= 17


@pytest.mark.parametrize(
    ("kind", "option"), EDIT_OPTIONS, ids=[f"{k} {o}" for k, o in EDIT_OPTIONS]
)
def test_bad_input_on_every_edit_option_changes_nothing(
    logged: Runner, kind: str, option: str
) -> None:
    rows: dict[str, Any] = {
        "session": ids(logged, "history"),
        "skip": [
            r["id"] for r in logged("history", "--skips", "--json").json() if r["type"] == "skip"
        ],
        "pause": ids(logged, "pauses"),
        "visit": ids(logged, "visit", "list"),
        "roller": ids(logged, "roller", "list"),
    }
    target = rows[kind][0][:8]
    for junk in BAD:
        before = logged("export").out
        result = logged("edit", kind, target, option, junk)
        assert "Traceback" not in result.out + result.err
        assert "unexpected problem" not in result.err, result.err
        assert UNSAFE.search(result.out + result.err) is None, result
        if result.code == 0:
            assert option in ALLOWED_TO_PASS or (option, junk) == ("--uses", "0"), (
                option,
                junk,
                result.out,
            )
            undone = logged("undo")
            assert undone.code == 0, undone.err
            assert logged("export").out == before
            continue
        one_line_error(result)
        assert logged("export").out == before
