"""The CLI as people use it: commands, JSON shapes, and one-line errors."""

from __future__ import annotations

from pathlib import Path

from conftest import NOW, SETUP, Runner


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
    result = planned("skip", "--reason", "skin irritated", now="2026-11-30T18:00+01:00")
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
    assert "Paused until" in planned("next", now="2026-11-28T10:00+01:00").out
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
    assert planned("roller", "add", "--label", "new one").code == 0
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
    assert rm("import", str(out)).code == 0
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
    assert planned("--profile", "alex", "next").code == 1
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
