"""Issue #11 at the CLI: done --again, skip --catch-up, history --missed; bad input is one line."""

from __future__ import annotations

from tests.conftest import Runner


def test_second_session_same_day_needs_again_from_a_pipe(planned: Runner) -> None:
    now = "2026-11-26T22:00+01:00"
    assert planned("done", "--at", "2026-11-26T21:00", now=now).code == 0
    refused = planned("done", "--at", "2026-11-26T21:30", now=now, stdin="")
    assert refused.code == 1 and "--again" in refused.err and len(refused.err.splitlines()) == 1
    assert len(planned("history", "--json", now=now).json()) == 1  # nothing changed
    assert planned("done", "--at", "2026-11-26T21:30", "--again", now=now).code == 0


def test_skip_without_reason_and_catch_up_only_when_asked(planned: Runner) -> None:
    planned("done", "--at", "2026-11-30T21:00", now="2026-11-30T22:00+01:00")
    plain = planned("skip", "--slot", "2026-12-03T21:00", now="2026-11-30T22:00+01:00")
    assert plain.code == 0 and "catch-up" not in plain.out


def test_bad_input_on_new_options_is_one_line(planned: Runner) -> None:
    for args in (("skip", "--catch-up=yes"), ("done", "--again=1"), ("history", "--missed=2")):
        result = planned(*args)
        assert result.code == 2 and len(result.err.strip().splitlines()) >= 1
        assert "Traceback" not in result.err


def test_history_missed_rows(planned: Runner) -> None:
    rows = planned("history", "--missed", "--json", now="2026-12-01T10:00+01:00").json()
    assert [r["type"] for r in rows] == ["missed", "missed"]


def test_history_marks_partial_sessions(planned: Runner) -> None:
    """Under two thirds of the plan's 3 minutes is partial; the mark follows the day's longest."""
    assert planned("done", "--at", "2026-11-23T21:00", "--minutes", "1").code == 0
    assert planned("done", "--at", "2026-11-19T21:00", "--minutes", "2").code == 0
    rows = {ln.split()[2]: ln for ln in planned("history").out.splitlines()[1:]}
    assert "(partial)" in rows["2026-11-23"] and "(partial)" not in rows["2026-11-19"]
