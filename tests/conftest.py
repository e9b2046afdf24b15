"""Shared fixtures: a data directory per test and a way to run the CLI as a person would."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rollminder.cli import main

#: The PostgreSQL fixtures (a private cluster, databases per test), for any test that asks.
pytest_plugins = ("tests.pg",)

#: "Now" for the worked examples of issue #3: Wednesday 2026-11-25 10:00 in Berlin.
NOW = "2026-11-25T10:00+01:00"
SETUP = [
    "setup",
    "--needle",
    "0.25",
    "--per-week",
    "2",
    "--days",
    "mon,thu",
    "--time",
    "21:00",
    "--tz",
    "Europe/Berlin",
    "--minutes",
    "3",
    "--zones",
    "forehead,cheeks,chin",
    "--yes",
]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Runner = Callable[..., Result]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def rm(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``rollminder ARGS`` in-process with its own data directory and a fixed clock."""
    monkeypatch.setenv("ROLLMINDER_HOME", str(home))
    monkeypatch.delenv("ROLLMINDER_PROFILE", raising=False)

    def run(*args: str, now: str = NOW, stdin: str | None = None) -> Result:
        monkeypatch.setenv("ROLLMINDER_NOW", now)
        if stdin is not None:
            import io

            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def planned(rm: Runner) -> Runner:
    """A runner whose profile already has the worked examples' plan."""
    result = rm(*SETUP)
    assert result.code == 0, result.err
    return rm
