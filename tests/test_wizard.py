"""The interactive setup wizard, driven through a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect

CLINICIAN_PROMPTS = (
    r"Isotretinoin .*\[y/N\]: ",
    r"Pregnant or breastfeeding\? \[y/N\]: ",
    r"A bleeding disorder.*\[y/N\]: ",
    r"Diabetes .*\[y/N\]: ",
    r"A tendency to keloid .*\[y/N\]: ",
)


def answer_clinician_questions(child: pexpect.spawn[str], yes: tuple[int, ...] = ()) -> None:
    """The setup asks the "ask a clinician first" questions once (issue 4)."""
    for i, prompt in enumerate(CLINICIAN_PROMPTS):
        child.expect(prompt)
        child.sendline("y" if i in yes else "")


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
    answer_clinician_questions(child, yes=(1,))
    child.expect("Note: Pregnant or breastfeeding: ask a clinician before rolling.")
    child.expect("rollminder settings --session-check 0")
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


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLMINDER_")}
    env.update(
        ROLLMINDER_HOME=str(home),
        ROLLMINDER_NOW="2026-11-25T10:00+01:00",
        TZ="Europe/Berlin",
        **extra,
    )
    return env


def _spawn(home: Path, *args: str, **extra: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "rollminder", *args],
        env=_env(home, NO_COLOR="1", **extra),
        encoding="utf-8",
        timeout=20,
    )


def _plan(home: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "rollminder", "plan", "--json"],
        env=_env(home),
        capture_output=True,
        text=True,
        check=True,
    )
    plan: dict[str, object] = json.loads(result.stdout)
    return plan


def test_wizard_refuses_a_session_count_the_needle_cannot_take(tmp_path: Path) -> None:
    """0.5 mm and 2 a week: asked again at once (it used to ask for days forever)."""
    child = _spawn(tmp_path, "setup")
    child.expect(r"Needle length \(mm\) \[0.25\]: ")
    child.sendline("0.5")
    child.expect(r"Sessions a week \[1\]: ")
    child.sendline("2")
    child.expect("at most 1 session fits a week")
    child.expect(r"Sessions a week \[1\]: ")
    child.sendline("1")
    for prompt in (r"Which days \[sun\]: ", r"At what time", r"Time zone", r"Zones .*: "):
        child.expect(prompt)
        child.sendline("")
    answer_clinician_questions(child)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert _plan(tmp_path)["days"] == ["sun"]


def test_wizard_offers_the_current_plan_and_a_no_changes_nothing(tmp_path: Path) -> None:
    options = ["--needle", "0.5", "--time", "20:15", "--days", "wed", "--zones", "neck"]
    first = subprocess.run(
        [sys.executable, "-m", "rollminder", "setup", *options, "--tz", "Asia/Tokyo", "--yes"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert first.returncode == 0, first.stderr
    before = _plan(tmp_path)
    child = _spawn(tmp_path, "setup")
    child.expect(r"Replace its settings\? \[y/N\]: ")
    child.sendline("n")
    child.expect("Error: Cancelled: your plan was not changed.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1  # not 130: nobody pressed Ctrl-C
    child = _spawn(tmp_path, "setup")
    child.expect(r"Replace its settings\? \[y/N\]: ")
    child.sendline("y")
    for prompt in (
        r"Needle length \(mm\) \[0.5\]: ",
        r"Sessions a week \[1\]: ",
        r"Which days \[wed\]: ",
        r"At what time \[20:15\]: ",
        r"Time zone \[Asia/Tokyo\]: ",
        r"Zones .* \[neck\]: ",
    ):
        child.expect(prompt)
        child.sendline("")
    answer_clinician_questions(child)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    after = _plan(tmp_path)
    assert {k: v for k, v in after.items() if k != "start"} == {
        k: v for k, v in before.items() if k != "start"
    }


def test_ctrl_c_and_ctrl_d_at_a_prompt_end_the_line(tmp_path: Path) -> None:
    for key in ("\x03", "\x04"):
        child = _spawn(tmp_path, "setup")
        child.expect(r"Needle length \(mm\) \[0.25\]: ")
        child.send(key)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 130
        assert child.before.endswith("\r\nAborted.\r\n"), repr(child.before)


def test_no_color_is_honoured(tmp_path: Path) -> None:
    setup = ["setup", "--needle", "0.75", "--tz", "Europe/Berlin", "--yes"]
    colored = pexpect.spawn(
        sys.executable, ["-m", "rollminder", *setup], env=_env(tmp_path), encoding="utf-8"
    )
    colored.expect(pexpect.EOF)
    assert "\x1b[" in colored.before  # the check below can see colours
    plain = _spawn(tmp_path, "plan", "set", "--needle", "0.75")
    plain.expect(pexpect.EOF)
    assert "close to professional depth" in plain.before and "\x1b[" not in plain.before
