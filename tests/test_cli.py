"""The CLI as people use it: commands, JSON shapes, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import NOW, SETUP, Runner


def test_setup_then_next_gives_the_worked_example(rm: Runner) -> None:
    result = rm(*SETUP)
    assert result.code == 0, result.err
    assert "not medical advice" in result.out
    assert "Thu 26 Nov 21:00" in result.out
    slots = rm("next", "--json").json()
    assert [s["start"] for s in slots] == [
        "2026-11-26T21:00:00+01:00",
        "2026-11-30T21:00:00+01:00",
        "2026-12-03T21:00:00+01:00",
    ]
    assert {s["kind"] for s in slots} == {"planned"}


def test_plan_json_and_plan_set(planned: Runner) -> None:
    plan = planned("plan", "--json").json()
    assert plan["days"] == ["mon", "thu"] and plan["time"] == "21:00"
    assert plan["rest_hours"] == 48 and plan["tz"] == "Europe/Berlin"
    result = planned("plan", "set", "--time", "20:30")
    assert result.code == 0, result.err
    assert planned("next", "--json", "-n", "1").json()[0]["start"] == "2026-11-26T20:30:00+01:00"
    assert planned("plan", "--json").json()["start"] == "2026-11-25"  # the start is kept


def test_plan_set_needs_an_option(planned: Runner) -> None:
    result = planned("plan", "set")
    assert result.code == 1 and "Nothing to change" in result.err


def test_done_then_next_and_history(planned: Runner) -> None:
    result = planned(
        "done",
        "--at",
        "2026-11-26T21:05",
        "--reaction",
        "mild",
        "--note",
        "ok",
        now="2026-11-26T22:00+01:00",
    )
    assert result.code == 0, result.err
    assert "Next: Mon 30 Nov 21:00" in result.out
    rows = planned("history", "--json").json()
    assert len(rows) == 1
    row = rows[0]
    assert row["start"] == "2026-11-26T21:05:00+01:00"
    assert row["minutes"] == 3 and row["zones"] == ["forehead", "cheeks", "chin"]
    assert row["reaction"] == "mild" and row["note"] == "ok"


def test_friendly_dates(planned: Runner) -> None:
    assert planned("done", "--at", "yesterday 21:00", now="2026-11-27T09:00+01:00").code == 0
    assert planned("done", "--at", "mon 21:05", now="2026-12-02T09:00+01:00").code == 0
    starts = [r["start"] for r in planned("history", "--json").json()]
    assert starts == ["2026-11-26T21:00:00+01:00", "2026-11-30T21:05:00+01:00"]


def test_missed_monday_caught_up(planned: Runner) -> None:
    planned("done", "--at", "2026-11-26T21:00", now="2026-11-26T21:30+01:00")
    slots = planned("next", "--json", "--count", "2", now="2026-12-01T08:00+01:00").json()
    assert [(s["start"], s["kind"]) for s in slots] == [
        ("2026-12-01T21:00:00+01:00", "catch-up"),
        ("2026-12-03T21:00:00+01:00", "planned"),
    ]


def test_skip_and_retry(planned: Runner) -> None:
    planned("done", "--at", "2026-11-26T21:00", now="2026-11-26T21:30+01:00")
    # Issue #11: a skip is a decision; the catch-up comes only when asked for.
    result = planned(
        "skip", "--reason", "skin irritated", "--catch-up", now="2026-11-30T18:00+01:00"
    )
    assert result.code == 0, result.err
    assert "Mon 30 Nov 21:00" in result.out and "Next: Tue 1 Dec 21:00 (catch-up)" in result.out
    again = planned(
        "skip", "--slot", "2026-11-30T21:00", "--reason", "x", now="2026-11-30T18:00+01:00"
    )
    assert again.code == 1 and "already skipped" in again.err


def test_pause_and_resume(planned: Runner) -> None:
    result = planned("pause", "--from", "2026-11-26", "--until", "2026-12-06", "--reason", "trip")
    assert result.code == 0, result.err
    assert planned("next", "--json", "-n", "1").json()[0]["start"] == "2026-12-07T21:00:00+01:00"
    assert planned("next", now="2026-11-28T10:00+01:00").out.startswith(
        "Paused through Sun 6 Dec: trip.\n"
    )
    assert planned("resume", now="2026-11-28T10:00+01:00").code == 0
    pauses = planned("pauses", "--json").json()
    assert pauses[0]["until"] == "2026-11-27"
    overlap = planned("pause", "--from", "2026-11-20", "--until", "2026-11-26")
    assert overlap.code == 1 and "overlaps" in overlap.err


def test_visit_blackout(planned: Runner) -> None:
    assert planned("visit", "add", "2026-12-16T10:00", "--clinic", "Derm").code == 0
    slots = planned("next", "--json", "-n", "6").json()
    days = [s["start"][:10] for s in slots]
    assert not [d for d in days if "2026-12-09" <= d <= "2026-12-30"]
    assert "2026-12-31" in days
    listed = planned("visit", "list", "--json").json()
    assert listed[0]["clinic"] == "Derm"


def test_series(planned: Runner) -> None:
    made = planned("visit", "series", "new", "Face", "--count", "5", "--weeks", "6")
    assert made.code == 0, made.err
    series = planned("visit", "series", "--json").json()
    sid = series[0]["id"]
    planned("visit", "add", "2026-11-20T10:00", "--series", sid[:6])
    status = planned("visit", "series", "--json").json()[0]
    assert status["done"] == 1 and status["remaining"] == 4
    assert (status["book_from"], status["book_until"]) == ("2026-12-18", "2027-01-01")


def test_rollers(planned: Runner) -> None:
    assert planned("roller", "add", "--label", "face").code == 0
    for day in range(10):
        planned("done", "--at", f"2026-10-{day * 3 + 1:02d}T21:00", now=NOW)
    listing = planned("roller", "list", "--json").json()
    assert listing[0]["uses"] == 10 and listing[0]["replace_now"]
    assert "Replace face" in planned("roller", "list").out
    assert planned("roller", "add", "--label", "new one", "--replace").code == 0
    listing = planned("roller", "list", "--json").json()
    assert listing[0]["retired"] is not None and listing[1]["retired"] is None


def test_stats_json(planned: Runner) -> None:
    planned("done", "--at", "2026-11-26T21:00", now="2026-11-26T21:30+01:00")
    stats = planned("stats", "--json", now="2026-12-08T09:00+01:00").json()
    assert stats["sessions"] == 1 and stats["kept"] == 1 and stats["missed"] == 3
    assert 0 <= stats["strength"] <= 100 and stats["best_streak"] == 1


def test_export_import_round_trip(planned: Runner, tmp_path: Path, rm: Runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    planned(
        "done", "--at", "2026-11-26T21:00", "--note", "gut, danke", now="2026-11-26T21:30+01:00"
    )
    out = tmp_path / "export.json"
    assert planned("export", "--output", str(out)).code == 0
    first = out.read_text()
    monkeypatch.setenv("ROLLMINDER_HOME", str(tmp_path / "other"))
    # Imported after the session (an import refuses a session in the future, as done does).
    assert rm("import", str(out), now="2026-11-26T21:30+01:00").code == 0
    assert rm("export").out == first
    csv = rm("export", "--format", "csv").out
    assert csv.splitlines()[0].startswith("type,start")


# ------------------------------------------------------------------ errors


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.code != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err + result.out
    return lines[0]


def test_no_plan_yet(rm: Runner) -> None:
    line = one_line_error(rm("next"))
    assert "rollminder setup" in line


def test_errors_are_one_line_with_exit_codes(planned: Runner) -> None:
    assert planned("next", "--count", "abc").code == 2
    assert planned("bogus").code == 2
    one_line_error(planned("next", "--count", "abc"))
    one_line_error(planned("bogus"))
    assert "date and time" in one_line_error(planned("done", "--at", "junk"))
    assert "future" in one_line_error(planned("done", "--at", "2030-01-01T10:00"))
    assert "time zone" in one_line_error(planned("plan", "set", "--tz", "Mars/Olympus"))
    assert "professionals" in one_line_error(planned("plan", "set", "--needle", "1.5"))
    assert "at most 1 session" in one_line_error(
        planned("plan", "set", "--needle", "0.5", "--per-week", "2")
    )
    assert "already logged" not in planned("done").err
    assert "already logged" in one_line_error(planned("done"))


def test_failed_commands_change_nothing(planned: Runner) -> None:
    before = planned("export").out
    planned("plan", "set", "--needle", "0.5", "--per-week", "2")
    planned("done", "--at", "junk")
    planned("pause", "--from", "2026-12-10", "--until", "2026-12-01")
    planned("roller", "retire")
    assert planned("export").out == before


def test_profiles_are_separate(planned: Runner) -> None:
    assert "rollminder --profile alex setup" in planned("--profile", "alex", "next").err
    assert planned("--profile", "alex", *SETUP[:-1], "--days", "tue,fri", "--yes").code == 0
    assert planned("--profile", "alex", "plan", "--json").json()["days"] == ["tue", "fri"]
    assert planned("plan", "--json").json()["days"] == ["mon", "thu"]
    assert planned("--profile", "../x", "next").code == 1


def test_user_text_is_shown_literally(planned: Runner) -> None:
    planned("pause", "--from", "2026-12-10", "--until", "2026-12-12", "--reason", "[bold]x[/bold]")
    assert "[bold]x[/bold]" in planned("pauses").out


def test_damaged_database_names_file_and_backup(planned: Runner, home: Path) -> None:
    planned("done", now="2026-11-26T21:30+01:00")
    planned("next", now="2026-11-27T08:00+01:00")  # the day's first open backs up the session
    db = home / "rollminder.db"
    for side in ("rollminder.db-wal", "rollminder.db-shm"):
        (home / side).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    before = db.read_bytes()
    line = one_line_error(planned("next", now="2026-11-28T10:00+01:00"))
    assert str(db) in line and "rollminder-2026-11-27" in line
    assert db.read_bytes() == before
    restored = planned("backup", "restore", "--yes", now="2026-11-28T10:00+01:00")
    assert restored.code == 0, restored.err
    assert len(planned("history", "--json", now="2026-11-28T10:00+01:00").json()) == 1


def test_foreign_import_changes_nothing(planned: Runner, tmp_path: Path) -> None:
    before = planned("export").out
    files = [("a.json", b'{"format": "other"}'), ("b.png", b"\x89PNG\r\n"), ("c.json", b"")]
    for name, content in files:
        path = tmp_path / name
        path.write_bytes(content)
        line = one_line_error(planned("import", str(path)))
        assert name in line
    assert "Cannot read" in one_line_error(planned("import", str(tmp_path / "missing.json")))
    assert planned("export").out == before


def test_system_clock_is_the_default(planned: Runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import time_machine

    monkeypatch.delenv("ROLLMINDER_NOW")
    from rollminder.cli import main

    with time_machine.travel("2026-11-30T22:00+01:00", tick=False):
        assert main(["status", "--json"]) == 0


# ------------------------------------------------------------------ as a person uses it


def _subprocess_env(home: Path, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
    env.update(ROLLMINDER_HOME=str(home), ROLLMINDER_NOW=NOW, **extra)
    return env


def _run(home: Path, *args: str, **extra: str):  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "rollminder", *args],
        env=_subprocess_env(home, **extra),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def test_bare_command_and_bare_group_show_their_help(rm: Runner) -> None:
    for args in ([], ["roller"], ["visit"], ["backup"]):
        result = rm(*args)
        assert result.code == 0, result.err
        assert result.out.startswith("Usage: rollminder") and "Commands:" in result.out
        assert result.err == ""


def test_closed_pipe_stops_quietly(planned: Runner, home: Path) -> None:
    """`rollminder next | head -1`: no error, no 'Exception ignored', exit status 0."""
    import subprocess
    import sys

    planned("roller", "add", "--label", "face")
    for args in (["next", "-n", "100"], ["roller", "list"], ["export"], ["--help"]):
        with subprocess.Popen(
            [sys.executable, "-m", "rollminder", *args],
            env=_subprocess_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        ) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.close()  # the reader is gone before the first line is written
            code = proc.wait(timeout=60)
            assert (code, proc.stderr.read()) == (0, b""), args


def test_output_that_is_not_utf8(planned: Runner, home: Path, tmp_path: Path) -> None:
    """LANG=en_US.ISO-8859-1 or a Windows pipe: text is shown with '?', JSON and exports stay
    lossless."""
    note = "café — 😀"
    planned("done", "--at", "2026-11-24T21:00", "--note", note)
    latin1 = {"PYTHONIOENCODING": "latin-1"}
    shown = _run(home, "history", **latin1)
    assert shown.returncode == 0, shown.stderr
    assert "caf\xe9 ? ?" in shown.stdout.decode("latin-1")
    listed = _run(home, "history", "--json", **latin1)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout.decode("ascii"))[0]["note"] == note
    exported = _run(home, "export", **latin1)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.decode("utf-8") == planned("export").out
    refused = _run(home, "done", "--note", "é", "--minutes", "500", **latin1)
    assert refused.returncode in (1, 2) and refused.stderr.count(b"\n") == 1


def test_setup_yes_on_an_existing_plan_changes_only_the_options_given(
    planned: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned("plan", "set", "--needle", "0.5")
    monkeypatch.setenv("TZ", "America/New_York")  # another machine, another local zone
    result = planned("setup", "--time", "20:00", "--yes")
    assert result.code == 0, result.err
    plan = planned("plan", "--json").json()
    assert (plan["needle_mm"], plan["tz"], plan["time"]) == (0.5, "Europe/Berlin", "20:00")


def test_done_with_empty_zones_is_refused(planned: Runner) -> None:
    before = planned("export").out
    assert "at least one zone" in one_line_error(planned("done", "--zones", ""))
    assert planned("export").out == before


def test_history_json_rows_have_one_shape_in_time_order(planned: Runner) -> None:
    # Fall back in Berlin: 02:10+01:00 comes after 02:30+02:00 though its wall time is earlier.
    assert planned("done", "--at", "2026-10-25T02:30+02:00", now=NOW).code == 0
    # The same local day: a second session is logged only when asked (issue #11).
    assert planned("done", "--at", "2026-10-25T02:10+01:00", now=NOW).code == 1
    assert planned("done", "--at", "2026-10-25T02:10+01:00", "--again", now=NOW).code == 0
    planned("skip", "--reason", "sore skin")
    rows = planned("history", "--skips", "--json").json()
    assert [r["type"] for r in rows] == ["session", "session", "skip"]
    assert [r["start"] for r in rows] == [
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:10:00+01:00",
        "2026-11-26T21:00:00+01:00",
    ]
    keys = {"type", "id", "start", "tz", "minutes", "zones", "reaction", "note", "roller"}
    keys |= {"reason", "routine"}  # every row names its routine (issue 12)
    assert all(set(r) == keys for r in rows)
    assert rows[2]["reason"] == "sore skin" and rows[2]["minutes"] is None
    assert {r["tz"] for r in rows} == {"Europe/Berlin"}


def test_json_times_are_in_the_plans_zone(planned: Runner) -> None:
    planned("done", "--at", "2026-11-24T21:00")
    assert planned("stats", "--json").json()["last_session"] == "2026-11-24T21:00:00+01:00"
    planned("visit", "series", "new", "Face")
    planned("visit", "add", "2027-01-20T10:00", "--series", _series_id(planned))
    series = planned("visit", "series", "--json").json()[0]
    assert series["next_visit"] == "2027-01-20T10:00:00+01:00"


def _series_id(rm: Runner) -> str:
    return str(rm("visit", "series", "--json").json()[0]["id"][:6])


def test_state_lines_name_the_last_day(planned: Runner) -> None:
    planned("pause", "--from", "2026-11-26", "--until", "2026-11-28")
    assert planned("status", now="2026-11-27T10:00+01:00").out == (
        "Paused through Sat 28 Nov. Next: Mon 30 Nov 21:00.\n"
    )
    planned("visit", "add", "2026-12-16T10:00", "--clinic", "Derm")
    assert planned("next", "-n", "1", now="2026-12-12T10:00+01:00").out == (
        "No home rolling through Wed 30 Dec: clinic visit at Derm on Wed 16 Dec.\n"
        "  Thu 31 Dec 21:00\n"
    )


def test_sentences_write_days_one_way(planned: Runner) -> None:
    made = planned("pause", "--from", "2026-12-20", "--until", "2027-01-03")
    assert made.out == "Paused from Sun 20 Dec through Sun 3 Jan 2027.\n"
    pause_id = planned("pauses", "--json").json()[0]["id"][:6]
    cancelled = planned("resume", pause_id)
    assert cancelled.out == (
        "Cancelled the pause from Sun 20 Dec through Sun 3 Jan 2027. 'rollminder undo' takes it "
        "back.\n"
    )
    assert "Since      Wed 25 Nov\n" in planned("plan").out
    planned("visit", "add", "2027-01-20T10:00")
    visit_id = planned("visit", "list", "--json").json()[0]["id"][:6]
    assert planned("visit", "delete", visit_id).out == (
        "Deleted the visit of Wed 20 Jan 2027 10:00. 'rollminder undo' takes it back.\n"
    )


def test_catch_ups_are_marked_alike(planned: Runner) -> None:
    planned("done", "--at", "2026-11-26T21:00", now="2026-11-26T21:30+01:00")
    out = planned("next", "-n", "2", now="2026-12-01T08:00+01:00").out
    assert "  Tue 1 Dec 21:00 (catch-up)\n" in out
    done = planned("done", "--at", "2026-11-30T08:00", now="2026-12-01T08:00+01:00")
    assert "Next: " in done.out


def test_series_without_visits_says_book_the_first(planned: Runner) -> None:
    planned("visit", "series", "new", "Face")
    assert "  Book your first visit.\n" in planned("visit", "series").out
    planned("visit", "add", "2026-11-20T10:00", "--series", _series_id(planned))
    assert "Book the next visit between Fri 18 Dec and Fri 1 Jan 2027." in (
        planned("visit", "series").out
    )


def test_roller_without_a_label(planned: Runner) -> None:
    out = planned("roller", "add").out
    assert out.startswith("Added a roller (0.25 mm) as your current roller [")


def test_piped_tables_keep_one_row_per_line(planned: Runner) -> None:
    planned("roller", "add", "--label", "my first face roller")
    planned("roller", "add", "--label", "my second face roller", "--replace")
    lines = planned("roller", "list").out.splitlines()
    rows = [ln for ln in lines if "face roller" in ln]
    assert len(rows) == 2 and "retired 2026-11-25" in rows[0] and "current" in rows[1]
    assert "-" in rows[0].split("│")[5]  # a retired roller has no uses left to count


def test_export_to_a_missing_folder_or_no_name(planned: Runner, tmp_path: Path) -> None:
    line = one_line_error(planned("export", "--output", str(tmp_path / "nope" / "log.json")))
    assert (
        line == f"Error: Cannot write {tmp_path / 'nope' / 'log.json'}: that folder does not exist."
    )
    assert "file name" in one_line_error(planned("export", "--output", ""))


def test_data_directory_that_is_a_file_or_blank(
    rm: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROLLMINDER_HOME", str(a_file))
    result = rm("next")
    assert result.code == 1
    assert one_line_error(result) == (
        f"Error: The data directory {a_file} is a file, not a folder: "
        "choose a folder with --home or ROLLMINDER_HOME."
    )
    blank = rm("--home", "", "next")
    assert blank.code == 1 and "blank" in one_line_error(blank)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing made in cwd
    assert a_file.read_text() == "mine"


def test_unexpected_errors_are_logged_in_the_chosen_data_directory(
    planned: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    other = tmp_path / "other"
    assert planned("--home", str(other), *SETUP[:-1], "--yes").code == 0

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("rollminder.service.Rollminder.outlook", broken)
    line = one_line_error(planned("--home", str(other), "next"))
    assert line.startswith("Error: unexpected problem (RuntimeError: boom).")
    assert str(other / "error.log") in line and "boom" in (other / "error.log").read_text()
    assert not (home / "error.log").exists()


def test_clock_variables_refuse_junk(rm: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLMINDER_CLOCK_SPEED", "inf")
    assert "ROLLMINDER_CLOCK_SPEED" in one_line_error(rm("next"))
    monkeypatch.delenv("ROLLMINDER_CLOCK_SPEED")
    assert "between the years" in one_line_error(rm("next", now="9999-12-31T23:59+00:00"))


def test_numbers_are_asked_for_in_words(planned: Runner) -> None:
    assert one_line_error(planned("done", "--minutes", "abc")).startswith(
        "Error: Invalid value for '--minutes': The session's minutes must be a number, not 'abc'."
    )
    assert "must be between 1 and 100" in one_line_error(planned("next", "-n", "0"))
    assert "must be a whole number, not '2.5'" in one_line_error(
        planned("plan", "set", "--passes", "2.5")
    )


def test_help_reads_as_written_for_people(rm: Runner) -> None:
    from rollminder.cli import cli
    from tests.test_cli_fuzz import _walk

    texts = [rm("--help").out]
    texts += [rm(*path, "--help").out for path, _ in _walk(cli)]
    for text in texts:
        assert text.startswith("Usage: rollminder")
        cut = [ln for ln in text.splitlines()[1:] if ln.rstrip().endswith("...")]
        assert not cut, cut  # no summary cut short
        for jargon in ("FLOAT", "INTEGER", "<=x<=", "TEXT RANGE"):
            assert jargon not in text, text


def test_plan_shows_rest_in_one_way(planned: Runner) -> None:
    assert "Rest       at least 2 days between sessions\n" in planned("plan").out
    # Rest is set in whole days since issue 11 (36h is refused: tests/test_plan_changes.py).
    planned("plan", "set", "--rest", "3")
    assert "Rest       at least 3 days between sessions\n" in planned("plan").out


def test_stats_wording(planned: Runner) -> None:
    out = planned("stats").out
    assert "Adherence   nothing was due yet\n" in out
    # Nothing judged yet: no "0 weeks" verdict (issue #11).
    assert "Streak      starts when a whole week has every planned session done\n" in out
    planned("plan", "set", "--needle", "0.75")
    assert "a whole period of 3 weeks has every planned session done" in planned("stats").out


def test_backup_list_json(planned: Runner) -> None:
    planned("backup", "now")
    rows = planned("backup", "list", "--json").json()
    assert rows and all(set(r) == {"path", "bytes"} and r["bytes"] > 0 for r in rows)
    assert planned("backup", "list").out.splitlines() == [r["path"] for r in rows]


def test_day_of_visit_advice_only_for_a_visit_ahead(planned: Runner) -> None:
    past = planned("visit", "add", "2026-11-02T10:00").out
    ahead = planned("visit", "add", "2026-12-16T10:00").out
    assert "no makeup" not in past and "no makeup or workout that day" in ahead
