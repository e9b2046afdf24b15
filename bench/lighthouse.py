"""Lighthouse on every page at phone and desktop sizes (issue #13).

`rollminder serve` (a subprocess, 10 years of history, ROLLMINDER_NOW fixed) on loopback; a second
one without a plan for the welcome page. Lighthouse is the npm package pinned in package.json
(node_modules/.bin/lighthouse, installed by `npm ci`), run against Debian's /usr/bin/chromium
(CHROME_PATH), headless, once per page and form factor: mobile (Lighthouse's default phone
emulation and throttling) and desktop (--preset=desktop).

Targets: accessibility 100, best practices 100, performance >= 95 on every page and size.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench import common
from bench.common import Options, Result
from bench.web import _free_port, _start_server

NAME = "lighthouse"
DESCRIPTION = "Lighthouse scores of every page at phone and desktop sizes"
PAGES = (
    "/",
    "/session",
    "/log",
    "/log/pauses",
    "/log/rollers",
    "/log/visits",
    "/history",
    "/settings",
)
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100}
LIGHTHOUSE = common.ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")


def _score(url: str, desktop: bool, out: Path) -> dict[str, int]:
    argv = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
    ]
    if desktop:
        argv.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": CHROME}
    for _attempt in range(2):  # Lighthouse now and then fails to record a trace (NO_NAVSTART)
        out.unlink(missing_ok=True)
        proc = subprocess.run(argv, env=env, capture_output=True, timeout=300, check=False)
        if proc.returncode == 0 and out.exists():
            break
    if proc.returncode != 0 or not out.exists():
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise RuntimeError(f"lighthouse {url}: exit {proc.returncode}: {tail[0]}")
    report = json.loads(out.read_text(encoding="utf-8"))
    return {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}


def run(options: Options) -> Result:
    from bench import data

    errors: list[str] = []
    if not LIGHTHOUSE.exists():
        errors.append("node_modules/.bin/lighthouse is missing: run `npm ci` (make bench does)")
    if not Path(CHROME).exists():
        errors.append(f"no Chromium at {CHROME} (apt-get install chromium)")
    if errors:
        return Result(NAME, "\n".join(errors), "", errors=errors)
    home = common.WORK / "data-web-10y"
    dataset = data.build(home, data.NOW)
    fresh = Path(tempfile.mkdtemp(prefix="rollminder-lh-"))
    rows: list[tuple[str, str, dict[str, int]]] = []
    servers = []
    try:
        port, fresh_port = _free_port(), _free_port()
        servers.append(_start_server(str(home), port))
        servers.append(_start_server(str(fresh / "home"), fresh_port))
        targets = [(f"http://127.0.0.1:{port}{p}", p) for p in PAGES]
        targets.append((f"http://127.0.0.1:{fresh_port}/welcome", "/welcome"))
        for url, path in targets:
            for size, desktop in (("phone", False), ("desktop", True)):
                common.log(f"bench lighthouse: {path} {size}")
                try:
                    rows.append((path, size, _score(url, desktop, fresh / "report.json")))
                except (RuntimeError, subprocess.TimeoutExpired, KeyError, ValueError) as exc:
                    errors.append(str(exc))
    finally:
        for proc in servers:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(fresh, ignore_errors=True)
    return report(rows, errors, f"10 years of twice-weekly history ({dataset.summary()})")


def report(
    rows: list[tuple[str, str, dict[str, int]]], errors: list[str], data_line: str
) -> Result:
    version = "?"
    lock = common.ROOT / "package-lock.json"
    if lock.exists():
        pkgs = json.loads(lock.read_text(encoding="utf-8")).get("packages", {})
        version = pkgs.get("node_modules/lighthouse", {}).get("version", "?")
    lines = [
        "## Lighthouse (`bench/run.py lighthouse`)",
        "",
        f"{common.today()}; {common.machine_line()}.  ",
        f"Lighthouse {version} (npm, pinned) against {CHROME}, headless; phone: Lighthouse's "
        "mobile emulation and throttling; desktop: `--preset=desktop`. rollminder data: "
        f"{data_line}; the welcome page from an empty data folder.",
        "",
        "| page | size | performance | accessibility | best practices |",
        "|---|---|---|---|---|",
    ]
    misses: list[str] = []
    for path, size, scores in rows:
        cells = []
        for c in CATEGORIES:
            ok = scores[c] >= TARGETS[c]
            cells.append(str(scores[c]) if ok else f"**{scores[c]}**")
            if not ok:
                misses.append(f"{path} {size} {c} {scores[c]} < {TARGETS[c]}")
        lines.append(f"| `{path}` | {size} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Targets: performance >= 95, accessibility 100, best practices 100 on every page and "
        "size (a score in bold misses).",
    ]
    if misses:
        lines += ["", "Missed: " + "; ".join(misses) + "."]
    if errors:
        lines += ["", "Errors: " + "; ".join(errors) + "."]
    markdown = "\n".join(lines) + "\n"
    return Result(NAME, markdown, markdown, misses=misses, errors=errors)
