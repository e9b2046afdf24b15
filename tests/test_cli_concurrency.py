"""Four processes logging through the CLI at once: nothing lost, no "database is locked"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SETUP

pytestmark = pytest.mark.slow

CALLS = 400  # per process: half `done`, half `skip`
NOW = "2031-01-01T10:00+01:00"

# Each worker runs the real CLI entry point in a loop (one fresh store per call, as separate
# `rollminder` invocations would) and reports every exit code and error line.
WORKER = """
import contextlib, datetime as dt, io, json, sys
from rollminder.cli import main
worker, calls = int(sys.argv[1]), int(sys.argv[2])
base = dt.datetime(2026, 1, 1, 21, 0)
results = []
for i in range(calls):
    n = worker * calls + i
    if i % 2:
        at = (base + dt.timedelta(hours=n)).isoformat()
        args = ["done", "--at", at, "--note", f"w{worker}", "--again"]  # hours apart: same days
    else:
        slot = (base + dt.timedelta(days=n)).isoformat()
        args = ["skip", "--slot", slot, "--reason", f"w{worker}"]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    results.append([code, err.getvalue()])
print(json.dumps(results))
"""


def test_four_writers_lose_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "ROLLMINDER_HOME": str(tmp_path), "ROLLMINDER_NOW": NOW}
    run = [sys.executable, "-m", "rollminder"]
    subprocess.run([*run, *SETUP], env=env, check=True, capture_output=True)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(w), str(CALLS)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    for w in workers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
        results = json.loads(out)
        assert len(results) == CALLS
        failures = [r for r in results if r[0] != 0]
        assert failures == [], failures[:3]
        assert not any("locked" in r[1] for r in results)
    history = subprocess.run(
        [*run, "history", "--skips", "--json"], env=env, check=True, capture_output=True, text=True
    )
    rows = json.loads(history.stdout)
    assert sum(r["type"] == "session" for r in rows) == 4 * CALLS // 2
    assert sum(r["type"] == "skip" for r in rows) == 4 * CALLS // 2
    for w in range(4):
        assert sum(r.get("note") == f"w{w}" for r in rows) == CALLS // 2
