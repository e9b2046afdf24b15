"""The interactive setup wizard, driven through a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect


def test_wizard_asks_and_creates_the_plan(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ROLLMINDER_HOME": str(tmp_path),
        "ROLLMINDER_NOW": "2026-11-25T10:00+01:00",
        "TZ": "Europe/Berlin",
        "NO_COLOR": "1",
    }
    child = pexpect.spawn(
        sys.executable, ["-m", "rollminder", "setup"], env=env, encoding="utf-8", timeout=20
    )
    child.expect("not medical advice")
    child.expect(r"Needle length \(mm\) \[0.25\]: ")
    child.sendline("1.5")  # refused: clinic only, asked again
    child.expect("professionals")
    child.expect(r"Needle length \(mm\) \[0.25\]: ")
    child.sendline("0.25")
    child.expect(r"Sessions a week \[2\]: ")
    child.sendline("")
    child.expect(r"Which days \[mon,thu\]: ")
    child.sendline("mon,tue")  # only 24 h apart with 48 h rest: refused, asked again
    child.expect("only 1 day apart")
    for prompt, answer in [
        (r"Which days \[mon,thu\]: ", "mon,thu"),
        (r"At what time \[21:00\]: ", "9pm"),
        (r"Time zone \[Europe/Berlin\]: ", ""),
        (r"Zones .*: ", "face,neck"),
    ]:
        child.expect(prompt)
        child.sendline(answer)
    child.expect("Next sessions: Thu 26 Nov 21:00")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    plan = json.loads(
        subprocess.run(
            [sys.executable, "-m", "rollminder", "plan", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert plan["zones"] == ["forehead", "cheeks", "chin", "neck"]
    assert plan["days"] == ["mon", "thu"] and plan["tz"] == "Europe/Berlin"


def test_setup_without_a_terminal_needs_yes(tmp_path: Path) -> None:
    env = {**os.environ, "ROLLMINDER_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "rollminder", "setup"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: setup needs a terminal to ask its questions, or --yes with options."
    ]
