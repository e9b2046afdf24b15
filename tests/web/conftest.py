"""Fixtures for the web tests: a live server on loopback and a real browser (Playwright driving
Debian's /usr/bin/chromium; never a downloaded browser).

- ``live_server``: the app of a fresh temporary data directory, served by uvicorn in a thread on a
  free 127.0.0.1 port. ``live_server_with_plan`` also has a plan (0.25 mm, forehead, cheeks, chin).
- ``browser``: one headless Chromium for the whole run. Without Chromium (or the playwright
  package) the browser tests are skipped, except under ``CI=true``, where they fail.
- ``open_page(server, size=..., dark=...)``: a new browser context and page at that viewport,
  with speech synthesis stubbed (headless Chromium has no voices; the stub records each cue in
  ``window.__spoken``), beeps counted (``window.__beeps``), and every Content-Security-Policy
  violation recorded (``window.__csp`` and the console). ``page_problems(page)`` lists them.
- ``check_axe(page, label)``: runs axe-core (vendored in tests/web/vendor) on the page and fails on
  serious or critical violations. ``shoot(page, name)``: a screenshot in test-artifacts/screenshots.

Plain ``playwright`` (no pytest-playwright: its base_url fixture warns under pytest 9, and warnings
are errors here).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from starlette.testclient import TestClient

from rollminder.env import Env
from rollminder.service import Rollminder
from rollminder.web.app import create_app
from tests.need import missing
from tests.web.common import BASE, NOW, Clock, planned_env

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("ROLLMINDER_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("ROLLMINDER_ARTIFACTS", ROOT / "test-artifacts"))
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",  # the tests run as root in CI
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SIZES = {"phone": PHONE, "desktop": DESKTOP}


# -- the live server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer(NamedTuple):
    url: str
    env: Env

    def service(self) -> Rollminder:
        """A Rollminder on the server's data (close its store when done: ``with server.open()``)."""
        return Rollminder(self.env.open_store(), self.env.now)

    def read(self, fn: Callable[[Rollminder], Any]) -> Any:
        with self.env.open_store() as store:
            return fn(Rollminder(store, self.env.now))


def serve(env: Env) -> Iterator[LiveServer]:
    import uvicorn

    from rollminder.web.app import create_app

    app = create_app(env, start_reminders=False)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", env)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def make_plan(env: Env, **choices: object) -> None:
    with env.open_store() as store:
        app = Rollminder(store, env.now)
        app.set_plan(**({"needle_mm": 0.25, "tz": "Europe/Berlin"} | choices))


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(Env(home=tmp_path / "home"))


@pytest.fixture
def live_server_with_plan(tmp_path: Path) -> Iterator[LiveServer]:
    env = Env(home=tmp_path / "home")
    make_plan(env)
    yield from serve(env)


# -- the browser -----------------------------------------------------------------------------------

#: Runs in every page before its own scripts.
INIT_SCRIPT = """
(() => {
  window.__spoken = [];
  window.__beeps = 0;
  window.__csp = [];
  const synth = {
    speaking: false, pending: false, paused: false, onvoiceschanged: null,
    speak(u) { window.__spoken.push(u.text); },
    cancel() {}, pause() {}, resume() {},
    getVoices() { return []; },
    addEventListener() {}, removeEventListener() {}, dispatchEvent() { return true; },
  };
  Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
  const AC = window.AudioContext;
  if (AC) {
    const make = AC.prototype.createOscillator;
    AC.prototype.createOscillator = function () { window.__beeps += 1; return make.call(this); };
  }
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
  });
})();
"""


@dataclass
class Watch:
    """What a page reported: console errors and CSP messages, uncaught errors."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """One Playwright for the whole run: a second sync_playwright() while one is open fails
    ("Sync API inside the asyncio loop"), so every browser of the suite is launched from it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed")
    if not CHROMIUM.exists():
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def opener(
        server: LiveServer, *, size: str = "phone", dark: bool = False, **options: Any
    ) -> Any:
        context = browser.new_context(
            viewport=SIZES[size],
            color_scheme="dark" if dark else "light",
            base_url=server.url,
            locale="en-GB",
            **({"timezone_id": "Europe/Berlin"} | options),
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        watch = Watch()
        page.on(
            "console",
            lambda m: (
                watch.console.append(m.text)
                if m.type == "error" or "Content Security Policy" in m.text
                else None
            ),
        )
        page.on("pageerror", lambda e: watch.errors.append(str(e)))
        page.watch = watch
        return page

    yield opener
    for context in contexts:
        context.close()


def page_problems(page: Any) -> list[str]:
    """CSP violations, uncaught script errors and console errors seen on ``page`` so far."""
    problems = [f"CSP: {v}" for v in page.evaluate("window.__csp || []")]
    problems += [f"console: {m}" for m in page.watch.console]
    problems += [f"error: {e}" for e in page.watch.errors]
    return problems


_AXE_SOURCE: str | None = None


def check_axe(page: Any, label: str) -> list[dict[str, Any]]:
    """Run axe-core on the page; fail on serious or critical violations. Returns all of them.

    Not under a paused fake clock (page.clock.pause_at): axe waits on timers and would hang."""
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE.read_text(encoding="utf-8")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluate() runs through the DevTools protocol, which the page's CSP does not govern.
        page.evaluate(_AXE_SOURCE)
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
              runOnly: { type: "tag",
                values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
              resultTypes: ["violations"],
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }"""
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {label}: " + json.dumps(bad, indent=1)
    return list(result)


_CLEARED: list[bool] = []


def shoot(page: Any, name: str) -> Path:
    """A full-page screenshot in test-artifacts/screenshots (emptied once per run, then kept)."""
    if not _CLEARED:
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)
        _CLEARED.append(True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# -- in-process app fixtures: TestClient, a data folder with a plan, a clock the test moves ---


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def env(tmp_path: Path, clock: Clock) -> Env:
    """A planned data folder on ``clock`` (test modules with other needs define their own)."""
    env = planned_env(tmp_path)
    env.clock = clock
    return env


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    with TestClient(create_app(env, start_reminders=False), base_url=BASE) as c:
        yield c
