"""Exit codes: every error class carries one from the enum and no literal exit status is left in
the source; the reminder loop says one line and leaves the traceback to the error log (issue #10).
tests/test_errorlog.py covers the log file itself."""

from __future__ import annotations

import inspect
import logging
import re
import stat
import threading
from pathlib import Path

import pytest

import rollminder.errors as errors
from rollminder.env import Env
from rollminder.errors import ExitCode, RollminderError
from rollminder.remind import daemon

SRC = Path(__file__).resolve().parent.parent / "src" / "rollminder"


def test_every_error_class_carries_an_exit_code_from_the_enum() -> None:
    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, RollminderError)
    ]
    assert len(classes) >= 10
    for cls in classes:
        assert isinstance(cls.exit_code, ExitCode), cls


def test_no_literal_exit_code_in_the_source() -> None:
    """Every exit status is spelled through ExitCode (errors.py defines the numbers)."""
    literal = re.compile(
        r"(Exit|exit|SystemExit)\(\s*-?\d+\s*\)"  # Exit(1), sys.exit(2), SystemExit(0)
        r"|exit_code\s*=\s*\[?\s*\d+"  # exit_code = 1, exit_code = [143]
        r"|\bcode\s*=\s*(0|1|2|130|143)\b"  # code = 130
        r"|128\s*\+\s*(int\(\s*)?[a-z_.]*(signum|sig)\b"  # 128 + signalled.signum
    )
    found = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "errors.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line.split("#")[0])
    ]
    assert found == []


def test_the_reminder_loop_logs_one_line_and_the_traceback_goes_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    stop = threading.Event()

    def broken(*args: object, **kwargs: object) -> None:
        stop.set()
        raise RuntimeError("pass broke")

    monkeypatch.setattr("rollminder.remind.engine.run_pass", broken)
    monkeypatch.setattr("rollminder.remind.daemon.desktop_available", lambda: False)
    with caplog.at_level(logging.INFO, logger="rollminder.remind"):
        daemon.run(Env(home=home), stop, max_sleep=0.01)
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1 and failures[0].exc_info is None  # no traceback on the console
    assert str(home / "error.log") in failures[0].getMessage()
    text = (home / "error.log").read_text()
    assert "RuntimeError: pass broke" in text and "Traceback" in text
    assert stat.S_IMODE((home / "error.log").stat().st_mode) == 0o600
