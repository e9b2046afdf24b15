"""``rollminder start`` without a terminal: one timestamped line per cue, answers from stdin."""

from __future__ import annotations

import datetime as _dt
import datetime as dt
import itertools
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rollminder.guide import build_guide
from rollminder.rules import make_plan
from tests.conftest import SETUP, Runner

#: When test records were made (model records take created_at from the use case).
T0 = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)

CUE_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d) (.+?)(?: \((\d+) s\))?$")
MONDAY = "2026-11-30T20:55+01:00"
ALL_NO = "n\n" * 6


@pytest.fixture
def fast(planned: Runner, monkeypatch: pytest.MonkeyPatch) -> Runner:
    """The planned profile with a clock 1000 times as fast: a 3-minute session takes 0.18 s."""
    monkeypatch.setenv("ROLLMINDER_CLOCK_SPEED", "1000")
    return planned


def cues(out: str) -> list[tuple[dt.datetime, str, int | None]]:
    found = []
    for line in out.splitlines():
        m = CUE_LINE.match(line)
        if m:
            secs = int(m.group(3)) if m.group(3) else None
            found.append((dt.datetime.fromisoformat(m.group(1)), m.group(2), secs))
    return found


def expected_cues(zones: tuple[str, ...] = ("forehead", "cheeks", "chin"), minutes: float = 3):
    plan = make_plan(needle_mm=0.25, start=dt.date(2026, 11, 25), zones=zones, created_at=T0)
    guide = build_guide(plan, minutes=minutes)
    return [s.cue for s in guide.steps], [s.seconds for s in guide.rolling]


def test_a_whole_session_from_a_pipe(fast: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    # 30 times as fast (6 s): a late wake-up of a few ms must not read as seconds of the clock.
    monkeypatch.setenv("ROLLMINDER_CLOCK_SPEED", "30")
    result = fast("start", stdin=ALL_NO + "mild\nfelt warm\n", now=MONDAY)
    assert result.code == 0, result.err
    assert result.out.count("Check: ") == 6
    assert "Added a 0.25 mm roller as your current one" in result.out  # no roller yet
    found = cues(result.out)
    texts, seconds = expected_cues()
    assert [text for _, text, _ in found] == texts  # every cue, in order, once
    assert [s for _, _, s in found[1:-1]] == seconds
    stamps = [when for when, _, _ in found]
    assert stamps == sorted(stamps)
    # The timestamps come from the same (fast) clock: the cues are the steps' lengths apart.
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps[1:])]
    # Whole seconds on the stamps: each gap within 1 s (plus 1 s of slack for a busy machine).
    assert all(abs(gap - want) <= 2 for gap, want in zip(gaps, seconds, strict=True)), gaps
    assert abs((stamps[-1] - stamps[1]).total_seconds() - 180) <= 2
    assert "No makeup and no workout" in result.out  # the aftercare
    assert "Logged: 3 min rolled (forehead, cheeks, chin)" in result.out
    [session] = fast("history", "--json", now=MONDAY).json()
    assert session["minutes"] == 3 and session["zones"] == ["forehead", "cheeks", "chin"]
    assert (session["reaction"], session["note"]) == ("mild", "felt warm")
    [roller] = fast("roller", "list", "--json", now=MONDAY).json()
    assert roller["uses"] == 1 and roller["uses_left"] == 9 and session["roller"] == roller["id"]


def test_a_stop_answer_ends_it_before_any_rolling(fast: Runner) -> None:
    result = fast("start", stdin="n\nn\nn\nn\ny\n", now=MONDAY)
    assert result.code == 1
    assert "Don't roll today: Botox in the area in the last 3 months." in result.out
    assert cues(result.out) == []
    assert fast("history", "--json", now=MONDAY).json() == []
    skips = fast("history", "--skips", "--json", now=MONDAY).json()
    assert [s["reason"] for s in skips] == ["Botox in the area in the last 3 months"]


@pytest.mark.parametrize("reaction", ["", "n\n", "\n", "N\n"])
def test_no_reaction_means_none(fast: Runner, reaction: str) -> None:
    result = fast(
        "start", "--no-check", "--zones", "neck", "--minutes", "1", stdin=reaction, now=MONDAY
    )
    assert result.code == 0, result.err
    assert "Check: " not in result.out
    assert [text for _, text, _ in cues(result.out)][1:-1] == [
        "Neck. Vertical.",
        "Neck. Horizontal.",
        "Neck. Diagonal, up to the right.",
        "Neck. Diagonal, up to the left.",
    ]
    [session] = fast("history", "--json", now=MONDAY).json()
    assert session["reaction"] == "none" and session["zones"] == ["neck"]
    assert session["minutes"] == 1


@pytest.mark.parametrize("stdin", ["n\nperhaps\n", "n\nn\n", "n\nn\ny in a week\n"])
def test_bad_check_input_changes_nothing(fast: Runner, stdin: str) -> None:
    before = fast("export", now=MONDAY).out
    result = fast("start", stdin=stdin, now=MONDAY)
    assert result.code == 1 and result.err.count("\n") == 1 and "Traceback" not in result.err
    assert cues(result.out) == []
    assert fast("export", now=MONDAY).out == before  # no roller added, no skip, no session


def test_the_setting_turns_the_check_off(fast: Runner) -> None:
    assert fast("settings", "--session-check", "0").code == 0
    result = fast("start", "--minutes", "1", stdin="strong\n", now=MONDAY)
    assert result.code == 0 and "Check: " not in result.out
    assert "rest longer" in result.out
    assert fast("history", "--json", now=MONDAY).json()[0]["reaction"] == "strong"


def test_a_bad_reaction_is_one_line_and_the_session_is_kept(fast: Runner) -> None:
    result = fast("start", "--no-check", "--minutes", "1", stdin="itchy\n", now=MONDAY)
    assert result.code == 1
    assert result.err.count("\n") == 1 and "not 'itchy'" in result.err
    [session] = fast("history", "--json", now=MONDAY).json()
    assert session["reaction"] is None  # logged, without a reaction


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--minutes", "0"], "--minutes"),
        (["--minutes", "abc"], "--minutes"),
        (["--zones", "elbow"], "Unknown zone 'elbow'"),
    ],
)
def test_bad_options_are_one_line_and_change_nothing(
    fast: Runner, args: list[str], message: str
) -> None:
    result = fast("start", *args, stdin=ALL_NO, now=MONDAY)
    assert result.code in (1, 2)
    assert message in result.err and result.err.count("\n") == 1
    assert fast("roller", "list", "--json", now=MONDAY).json() == []  # not even a roller added


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)]
)
def test_a_signal_keeps_the_partial_session(tmp_path: Path, signum: int, code: int) -> None:
    env = {
        **os.environ,
        "ROLLMINDER_HOME": str(tmp_path),
        "ROLLMINDER_NOW": MONDAY,
        "ROLLMINDER_CLOCK_SPEED": "20",  # 180 s in 9 s
    }
    run = [sys.executable, "-m", "rollminder"]
    subprocess.run([*run, *SETUP], env=env, check=True, capture_output=True)
    child = subprocess.Popen(
        [*run, "start", "--no-check"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    seen = []
    for line in child.stdout:
        seen.append(line)
        if "Forehead. Diagonal, up to the right." in line:  # the third rolling step
            child.send_signal(signum)
            break
    rest, err = child.communicate(timeout=20)
    assert child.returncode == code, err
    assert "Traceback" not in err
    assert "Logged the partial session" in rest
    history = subprocess.run(
        [*run, "history", "--json"], env=env, check=True, capture_output=True, text=True
    )
    [session] = __import__("json").loads(history.stdout)
    assert session["zones"] == ["forehead"]
    assert 24 / 60 <= session["minutes"] <= 30 / 60  # two steps of 12 s and a little of the third


def test_an_unexpected_error_mid_session_still_keeps_what_was_rolled(
    fast: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from rollminder.term.runner import Run

    def broken(self: Run, out: object, stamp: object) -> object:
        self._start_timer()
        time.sleep(0.03)  # 30 s of the fast clock
        raise RuntimeError("the terminal went away")

    monkeypatch.setattr(Run, "lines", broken)
    result = fast("start", "--no-check", now=MONDAY)
    assert result.code == 1
    assert "unexpected problem (RuntimeError: the terminal went away)" in result.err
    assert "Logged the partial session" in result.err and "Traceback" not in result.err
    [session] = fast("history", "--json", now=MONDAY).json()
    assert 0.4 <= session["minutes"] <= 1.5 and session["zones"] == ["forehead"]


def test_a_second_session_the_same_day_is_asked_for(fast: Runner) -> None:
    """One session a day counts (issue #11, item 4): `start` asks before a second one; from a
    pipe it refuses in one line unless --again says the person means it."""
    assert fast("done", "--at", "2026-11-30T20:00", now=MONDAY).code == 0
    before = fast("export").out
    refused = fast("start", stdin=ALL_NO + "none\n\n", now=MONDAY)
    assert refused.code == 1 and "Traceback" not in refused.err
    assert "already rolled today at 20:00" in refused.err and "--again" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert fast("export").out == before
    again = fast("start", "--again", stdin=ALL_NO + "none\n\n", now=MONDAY)
    assert again.code == 0, again.err
    assert len(fast("history", "--json").json()) == 2
    # Another day: no question.
    tuesday = "2026-12-01T20:55+01:00"
    assert fast("start", stdin=ALL_NO + "none\n\n", now=tuesday).code == 0
