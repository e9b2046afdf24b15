"""One error log for every face: error.log in the data directory, owner-only, one header line
per error, and a person sees only its path (issues #10 and #18)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rollminder.errorlog import log_unexpected
from rollminder.errors import ExitCode, InvalidInput, UsageProblem


def boom() -> RuntimeError:
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        return exc


def test_the_log_is_owner_only_even_in_an_open_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    path = log_unexpected(home, boom(), face="web")
    assert path == home / "error.log"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert text.startswith("--- web ") and "RuntimeError: boom" in text
    # An existing, looser file is tightened too; entries are appended.
    os.chmod(path, 0o644)
    log_unexpected(home, boom(), face="cli")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8").count("RuntimeError: boom") == 2


def test_an_unwritable_place_gives_none(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert log_unexpected(blocker / "home", boom(), face="cli") is None


def test_exit_codes_are_one_enum() -> None:
    assert (ExitCode.OK, ExitCode.REFUSED, ExitCode.USAGE) == (0, 1, 2)
    assert ExitCode.INTERRUPTED == 130 and ExitCode.TERMINATED == 143
    assert ExitCode.signalled(1) == 129  # SIGHUP
    assert InvalidInput("x").exit_code == ExitCode.REFUSED
    assert UsageProblem("x").exit_code == ExitCode.USAGE
