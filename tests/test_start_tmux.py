"""``rollminder start`` end to end in a real terminal: tmux (Debian's), keys sent, screen read.

The app's clock runs 10 times as fast through its environment (ROLLMINDER_NOW and
ROLLMINDER_CLOCK_SPEED), so a 3-minute session takes 18 s. A stand-in ``espeak-ng`` on PATH
records the spoken cues. Under CI=true a missing tmux fails the test rather than skipping it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rollminder.guide import build_guide
from rollminder.rules import make_plan
from tests.conftest import SETUP
from tests.need import missing

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

NOW = "2026-11-30T20:55+01:00"
SPEED = 10
STEP = re.compile(r"rollminder · step (\d+) of 16")
COUNTDOWN = re.compile(r"(\d+:\d\d) left in this step")


def _tmux() -> str:
    found = shutil.which("tmux")
    if found is None:
        message = "tmux is not installed (Debian package tmux, in the Makefile's APT_PACKAGES)"
        missing(message)
    return found


class Pane:
    """One tmux server of our own (its own socket), one window running a script."""

    def __init__(self, tmp: Path, script: str) -> None:
        self.tmux = _tmux()
        self.socket = f"rm-e2e-{os.getpid()}-{time.monotonic_ns()}"
        path = tmp / "run.sh"
        path.write_text(script)
        path.chmod(0o755)
        self._run("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "40", str(path))

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            [self.tmux, "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self._run("capture-pane", "-p")

    def keys(self, *keys: str) -> None:
        self._run("send-keys", *keys)

    def text(self, text: str) -> None:
        self._run("send-keys", "-l", text)

    def wait(self, pattern: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if re.search(pattern, screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared; the screen:\n{screen}")
            time.sleep(0.05)

    def close(self) -> None:
        subprocess.run(
            [self.tmux, "-L", self.socket, "kill-server"], capture_output=True, timeout=10
        )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    env = {**os.environ, "ROLLMINDER_HOME": str(home), "ROLLMINDER_NOW": NOW}
    subprocess.run(
        [sys.executable, "-m", "rollminder", *SETUP], env=env, check=True, capture_output=True
    )
    return home


@pytest.fixture
def fake_speech(tmp_path: Path) -> Path:
    """An ``espeak-ng`` that writes down what it was asked to say."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    spoken = tmp_path / "spoken.txt"
    speaker = bin_dir / "espeak-ng"
    speaker.write_text(f'#!/bin/sh\nshift\nprintf "%s\\n" "$*" >> {shlex.quote(str(spoken))}\n')
    speaker.chmod(0o755)
    return spoken


def script(home: Path, tmp: Path, args: str) -> str:
    q = shlex.quote
    return f"""#!/bin/sh
export ROLLMINDER_HOME={q(str(home))} ROLLMINDER_NOW={NOW} ROLLMINDER_CLOCK_SPEED={SPEED}
export PATH={q(str(tmp / "bin"))}:"$PATH" TERM=xterm-256color
trap : INT  # this shell lives on after Ctrl-C (rollminder gets the default: KeyboardInterrupt)
{q(sys.executable)} -m rollminder start {args}
rc=$?
stty -a > {q(str(tmp / "stty.txt"))}
echo "EXIT=$rc"
sleep 600
"""


@pytest.fixture
def pane_factory(tmp_path: Path) -> Iterator[list[Pane]]:
    panes: list[Pane] = []
    yield panes
    for pane in panes:
        pane.close()


def cli_json(home: Path, *args: str) -> object:
    env = {**os.environ, "ROLLMINDER_HOME": str(home), "ROLLMINDER_NOW": NOW}
    out = subprocess.run(
        [sys.executable, "-m", "rollminder", *args, "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def assert_terminal_restored(tmp: Path) -> None:
    modes = (tmp / "stty.txt").read_text().split()
    assert "icanon" in modes and "echo" in modes, modes  # not -icanon / -echo


def cues(zones: tuple[str, ...] = ("forehead", "cheeks", "chin")) -> list[str]:
    plan = make_plan(
        needle_mm=0.25, start=__import__("datetime").date(2026, 11, 25), zones=zones, created_at=T0
    )
    return [s.cue for s in build_guide(plan).rolling]


def test_a_session_in_a_real_terminal(
    home: Path, tmp_path: Path, fake_speech: Path, pane_factory: list[Pane]
) -> None:
    pane = Pane(tmp_path, script(home, tmp_path, ""))
    pane_factory.append(pane)

    # No roller yet: asked once; the check, one question at a time.
    pane.wait(r"You have no current roller\. Add your 0\.25 mm roller now")
    pane.keys("Enter")
    pane.wait(r"How many times was it used before\? \[0\]:")
    pane.text("2")
    pane.keys("Enter")
    for question in ("Active acne", "Sunburn", "A retinoid", "A chemical peel", "Botox", "Fillers"):
        pane.wait(rf"{question}.*\[y/N\]:")
        pane.text("n")
        pane.keys("Enter")
    pane.wait("Press space or Enter to start rolling")
    assert "Soak the roller in 70% isopropyl alcohol" in pane.screen()
    pane.keys("Space")

    # The steps, in order, each shown with its area, direction, arrow and countdown.
    seen: list[int] = []
    screen = ""
    while not seen or seen[-1] < 3:
        screen = pane.wait(r"step \d+ of 16")
        n = int(STEP.search(screen).group(1))  # type: ignore[union-attr]
        if not seen or seen[-1] != n:
            seen.append(n)
        if n == 1:
            assert "FOREHEAD" in screen and "Vertical  ↕" in screen
            assert "Next: Forehead: horizontal  ↔" in screen
            assert re.search(r"Session .* 0:\d\d / 3:00", screen)
        time.sleep(0.05)
    assert seen == list(range(1, seen[-1] + 1)), seen
    assert "Diagonal, up to the right  ↗" in screen

    # Pause: the countdown stands still while the clock runs on (1.5 s real = 15 s of its time).
    pane.keys("Space")
    paused = pane.wait("PAUSED")
    left = COUNTDOWN.search(paused).group(1)  # type: ignore[union-attr]
    step = STEP.search(paused).group(1)  # type: ignore[union-attr]
    time.sleep(1.5)
    still = pane.screen()
    assert "PAUSED" in still
    assert COUNTDOWN.search(still).group(1) == left  # type: ignore[union-attr]
    assert STEP.search(still).group(1) == step  # type: ignore[union-attr]
    # n while paused: the next step, paused, its full time ahead.
    pane.keys("n")
    skipped = pane.wait(rf"step {int(step) + 1} of 16   PAUSED")
    assert COUNTDOWN.search(skipped).group(1) in ("0:12", "0:11")  # type: ignore[union-attr]
    pane.keys("Space")  # resume
    resumed = pane.wait(rf"step {int(step) + 2} of 16")
    assert "PAUSED" not in resumed

    # Quit part-way, keep the partial session.
    pane.keys("q")
    pane.wait(r"Log the partial session \((\d+ min )?\d+ s rolled\)\? \[y/N\]")
    pane.text("y")
    pane.keys("Enter")
    pane.wait(r"Skin reaction .*\[none\]:")
    pane.text("mild")
    pane.keys("Enter")
    pane.wait(r"A note \(Enter for none\):")
    pane.text("tmux run")
    pane.keys("Enter")
    final = pane.wait("EXIT=0")
    assert "Rinse the roller" in final  # the aftercare screen
    assert "Logged the partial session" in final
    assert_terminal_restored(tmp_path)

    quit_step = int(step) + 2
    spoken = fake_speech.read_text().splitlines()
    assert spoken == cues()[:quit_step], spoken  # one cue per step change, in order
    [session] = cli_json(home, "history")  # type: ignore[misc]
    assert session["reaction"] == "mild" and session["note"] == "tmux run"
    guide_seconds = [12, 12, 12, 12] + [11] * 12
    most = sum(guide_seconds[:quit_step])
    least = sum(guide_seconds[: int(step) - 1])
    assert least / 60 <= session["minutes"] <= most / 60, session
    assert session["zones"] == ["forehead", "cheeks"]
    [roller] = cli_json(home, "roller", "list")  # type: ignore[misc]
    assert roller["uses"] == 3 and roller["uses_left"] == 7  # 2 before, this one


def test_ctrl_c_restores_the_terminal_and_keeps_the_session(
    home: Path, tmp_path: Path, fake_speech: Path, pane_factory: list[Pane]
) -> None:
    pane = Pane(tmp_path, script(home, tmp_path, "--no-check --quiet"))
    pane_factory.append(pane)
    pane.wait(r"You have no current roller")
    pane.keys("Enter")
    pane.wait(r"How many times")
    pane.keys("Enter")
    pane.wait("Press space or Enter to start rolling")
    pane.keys("Enter")
    pane.wait(r"step 2 of 16")
    pane.keys("C-c")
    pane.wait(r"Log the partial session \((\d+ min )?\d+ s rolled\)\? \[y/N\]")
    pane.keys("C-c")  # at the question too: the session is still kept
    final = pane.wait("EXIT=130")
    assert "Logging it anyway" in final and "Logged the partial session" in final
    assert "Traceback" not in final
    assert_terminal_restored(tmp_path)
    assert not fake_speech.exists()  # --quiet: nothing spoken
    [session] = cli_json(home, "history")  # type: ignore[misc]
    assert 12 / 60 <= session["minutes"] <= 24 / 60 and session["zones"] == ["forehead"]


def test_without_tmux_ci_fails_and_a_developer_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="tmux is not installed"):
        _tmux()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _tmux()


def test_ctrl_z_and_fg_give_the_shell_a_sane_terminal_and_resume_paused(
    home: Path, tmp_path: Path, pane_factory: list[Pane]
) -> None:
    bash = shutil.which("bash")
    if bash is None:  # pragma: no cover - Debian always has it
        missing("needs bash for job control")
    q = shlex.quote
    pane = Pane(
        tmp_path,
        f"#!/bin/sh\nexec {q(bash)} --norc --noprofile -i\n",
    )
    pane_factory.append(pane)
    pane.text(
        f"export ROLLMINDER_HOME={q(str(home))} ROLLMINDER_NOW={NOW} "
        f"ROLLMINDER_CLOCK_SPEED={SPEED} PS1='$ '; "
        f"{q(sys.executable)} -m rollminder start --no-check --quiet"
    )
    pane.keys("Enter")
    pane.wait(r"You have no current roller")
    pane.keys("Enter")
    pane.wait(r"How many times")
    pane.keys("Enter")
    pane.wait("Press space or Enter to start rolling")
    pane.keys("Space")
    pane.wait(r"step 2 of 16")
    pane.keys("C-z")
    pane.wait(r"Stopped")
    pane.text(f"stty -a > {q(str(tmp_path / 'stty.txt'))}")
    pane.keys("Enter")
    deadline = time.monotonic() + 10
    while not (tmp_path / "stty.txt").exists() or not (tmp_path / "stty.txt").read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert_terminal_restored(tmp_path)  # the shell got its terminal back
    time.sleep(0.6)  # 6 s of the session's clock
    pane.text("fg")
    pane.keys("Enter")
    paused = pane.wait(r"step 2 of 16   PAUSED \(stopped or asleep")
    left = COUNTDOWN.search(paused).group(1)  # type: ignore[union-attr]
    time.sleep(0.5)
    still = pane.screen()
    assert "step 2 of 16   PAUSED" in still
    assert COUNTDOWN.search(still).group(1) == left  # type: ignore[union-attr]
    pane.keys("Space")  # keys work again without Enter: cbreak mode is back
    later = pane.wait(r"step 3 of 16")
    assert "PAUSED" not in later
    pane.keys("q")
    pane.wait(r"Log the partial session")
    pane.text("y")
    pane.keys("Enter")
    pane.wait(r"Skin reaction")
    pane.keys("Enter")
    pane.wait(r"A note")
    pane.keys("Enter")
    pane.wait(r"\$ $|\$\s*\Z")
    [session] = cli_json(home, "history")  # type: ignore[misc]
    assert session["zones"] == ["forehead"]


def test_the_soak_timer_is_offered_at_the_prep_step(
    home: Path, tmp_path: Path, fake_speech: Path, pane_factory: list[Pane]
) -> None:
    """Issue 11, item 10: s starts the 10-minute soak countdown (the clock runs 600 times as fast
    here: a second of real time), its end is spoken, and rolling starts when the person says."""
    fast = script(home, tmp_path, "--no-check").replace(
        f"ROLLMINDER_CLOCK_SPEED={SPEED}", "ROLLMINDER_CLOCK_SPEED=300"
    )
    pane = Pane(tmp_path, fast)
    pane_factory.append(pane)
    pane.wait(r"You have no current roller")
    pane.keys("Enter")
    pane.wait(r"How many times")
    pane.keys("Enter")
    pane.wait("Press s to start a 10-minute soak timer")
    pane.text("s")
    pane.wait(r"Soaking: \d+:\d\d left")
    pane.wait("Soak done: let the roller air-dry.")
    assert "Soak done: let the roller air-dry." in fake_speech.read_text()
    pane.keys("q")
    pane.wait("EXIT=")
