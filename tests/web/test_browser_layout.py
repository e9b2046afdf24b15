"""Every page at four sizes, light and dark, measured in the real browser (issue #13):

- no horizontal scrolling;
- no text box that runs out of its card (or the page's frame) or is clipped inside its own box;
- no text under 12 px, none over 48 px outside the countdown and the session's step timer;
- every tap target at least 44 x 44 px (links inside a sentence excepted, as WCAG 2.5.8 does);
- a full-page screenshot of each in test-artifacts/screenshots/ for review.

One browser for the run; each scheme is one test that walks every size and page, so the suite
stays fast. axe runs on every page in test_browser_journey.py, and on the skin journal's pages
(with photos and without) here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rollminder.env import Env
from rollminder.service import Rollminder
from tests.test_photos import gps_jpeg
from tests.web.common import Clock
from tests.web.conftest import LiveServer, check_axe, make_plan, page_problems, serve, shoot

BERLIN = dt.timezone(dt.timedelta(hours=1))
#: Thursday 26 Nov 2026, 21:05 in Berlin: the Mon+Thu 21:00 slot is open.
DUE = dt.datetime(2026, 11, 26, 21, 5, tzinfo=BERLIN)
SIZES = {
    "360x640": {"width": 360, "height": 640},
    "390x844": {"width": 390, "height": 844},
    "768x1024": {"width": 768, "height": 1024},
    "1280x800": {"width": 1280, "height": 800},
}
#: The skin journal's pages (issue 17), with photos of two angles in the full data.
JOURNAL_PAGES = ("/photos", "/photos/compare", "/photos/camera", "/report")
PAGES = (
    "/",
    "/session",
    "/session/go",
    "/log",
    "/log/pauses",
    "/log/rollers",
    "/log/visits",
    "/history",
    "/settings",
    "/settings/routine/new",
    *JOURNAL_PAGES,
)
#: With two routines: the switcher, Today's list of every routine's slots, the roller prompt.
ROUTINE_PAGES = ("/", "/session", "/log", "/history", "/settings")

#: Runs in the page; returns a list of problems (strings).
MEASURE = """
() => {
  const problems = [];
  const vw = document.documentElement.clientWidth;
  const sw = document.documentElement.scrollWidth;
  if (sw > vw) problems.push(`scrolls sideways: ${sw}px in ${vw}px`);
  const visible = (el) => {
    const s = getComputedStyle(el);
    if (s.visibility === "hidden" || s.display === "none") return false;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;  // sr-only and the like
    const hidden = "[hidden], .sr-only, .visually-hidden, .skip, " +
      "details:not([open]) > :not(summary)";
    return el.closest(hidden) === null;
  };
  const name = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
    const cls = typeof el.className === "string" ? el.className.trim().replace(/\\s+/g, ".") : "";
    const id = el.id ? "#" + el.id : "";
    return `${el.tagName.toLowerCase()}${id}${cls ? "." + cls : ""} "${text.slice(0, 30)}"`;
  };
  const big = ".countdown, .step-timer";
  // Text: every element with its own text.
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !visible(el) || el.closest("script, style, noscript, title")) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 12) problems.push(`text under 12px (${size}px): ${name(el)}`);
    if (size > 48 && !el.closest(big)) problems.push(`text over 48px (${size}px): ${name(el)}`);
    const r = el.getBoundingClientRect();
    const frame = el.closest(".card, .stat, .msg, header, nav, footer, main");
    if (frame) {
      const f = frame.getBoundingClientRect();
      if (r.right > f.right + 1 || r.left < f.left - 1)
        problems.push(`text box runs out of its ${frame.tagName.toLowerCase()}: ${name(el)} ` +
          `(${Math.round(r.left)}-${Math.round(r.right)} in ` +
          `${Math.round(f.left)}-${Math.round(f.right)})`);
    }
    if (r.right > vw + 1) problems.push(`text box past the screen's edge: ${name(el)}`);
    const s = getComputedStyle(el);
    if ((s.overflowX === "hidden" || s.overflowX === "clip") && el.scrollWidth > el.clientWidth + 1)
      problems.push(`text clipped in its box: ${name(el)}`);
  }
  // Tap targets.
  const targets = document.body.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary");
  for (const el of targets) {
    if (!visible(el)) continue;
    let box = el;
    if (el.matches("input[type=checkbox], input[type=radio]")) box = el.closest("label") || el;
    if (el.matches("a") && !el.matches(".button")) {
      // A link inside a sentence is exempt (WCAG 2.5.8); a link on its own is a target.
      const parent = el.parentElement;
      const words = [...parent.childNodes].some(
        (n) => n !== el && (n.nodeType === 3 ? n.textContent.trim() : n.tagName !== "BR"));
      if (words && getComputedStyle(el).display === "inline") continue;
    }
    const r = box.getBoundingClientRect();
    if (r.height < 43.5 || r.width < 43.5)
      problems.push(`tap target ${Math.round(r.width)}x${Math.round(r.height)}px: ${name(el)}`);
  }
  return problems;
}
"""


def _fill(env: Env) -> None:
    """A plan begun six weeks before DUE, with kept, partial, skipped and missed slots, a
    roller, a pause ahead, a visit and a series: every page has something in every part."""
    start = DUE - dt.timedelta(weeks=6)
    with env.open_store() as store:
        app = Rollminder(store, lambda: start)
        app.set_plan(needle_mm=0.25, weekdays=(0, 3), sessions=2, tz="Europe/Berlin")
        app.add_roller(label="Face roller <one>", initial_uses=3)
    with env.open_store() as store:
        app = Rollminder(store, lambda: DUE)
        monday = dt.datetime(2026, 10, 19, 21, 10, tzinfo=BERLIN)
        for week in range(5):
            day = monday + dt.timedelta(weeks=week)
            if week == 1:
                app.log_session(at=day, minutes=1.0, note="cut short")  # partial
            elif week == 2:
                app.skip(slot=day.replace(minute=0), reason="skin irritated")
            elif week != 3:  # week 3: missed
                app.log_session(at=day, note="a longer note that has to wrap on a phone " * 2)
            app.log_session(at=day + dt.timedelta(days=3))
        app.pause(dt.date(2026, 12, 20), dt.date(2027, 1, 3), "holidays")
        app.add_series(name="Clinic series", count=4, spacing_weeks=5)
        app.add_visit(
            at=dt.datetime(2027, 1, 14, 15, 30, tzinfo=BERLIN), clinic="Skin clinic Mitte"
        )
    for weeks, angle, area in ((8, "front", ""), (4, "front", ""), (4, "closeup", "cheeks")):
        with env.open_store() as store:
            app = Rollminder(store, lambda weeks=weeks: DUE - dt.timedelta(weeks=weeks))
            app.add_photo(gps_jpeg((640, 480)), angle=angle, area=area, note="window light")


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = Env(home=tmp_path_factory.mktemp("layout") / "home", clock=Clock(DUE))
    _fill(env)
    yield from serve(env)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """No plan yet: the welcome page."""
    yield from serve(Env(home=tmp_path_factory.mktemp("welcome") / "home", clock=Clock(DUE)))


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A plan made a minute ago: the empty states."""
    env = Env(home=tmp_path_factory.mktemp("empty") / "home", clock=Clock(DUE))
    make_plan(env)
    yield from serve(env)


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A face routine with years of history and a thighs routine (issue 12)."""
    env = Env(home=tmp_path_factory.mktemp("two") / "home", clock=Clock(DUE))
    _fill(env)
    with env.open_store() as store:
        Rollminder(store, env.now).add_routine(
            "thighs", needle_mm=0.5, zones=("thighs", "abdomen"), weekdays=(5,), sessions=1
        )
    yield from serve(env)


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "today"


def _walk(
    open_page: Any, server: LiveServer, paths: tuple[str, ...], dark: bool, tag: str
) -> list[str]:
    found: list[str] = []
    scheme = "dark" if dark else "light"
    for size, viewport in SIZES.items():
        page = open_page(server, size="phone", dark=dark)
        page.set_viewport_size(viewport)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            found += [f"{path} {size} {scheme}: {p}" for p in page.evaluate(MEASURE)]
            found += [f"{path} {size} {scheme}: {p}" for p in page_problems(page)]
            shoot(page, f"layout-{tag}{_slug(path)}-{size}-{scheme}")
        page.context.close()
    return found


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_page_fits_every_size(
    open_page: Any, full: LiveServer, fresh: LiveServer, empty: LiveServer, dark: bool
) -> None:
    problems = _walk(open_page, full, PAGES, dark, "")
    problems += _walk(open_page, fresh, ("/welcome",), dark, "")
    problems += _walk(open_page, empty, ("/", "/log", "/log/rollers", "/history"), dark, "empty-")
    problems += _walk(open_page, empty, JOURNAL_PAGES, dark, "empty-")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_two_routines_fit_every_size(open_page: Any, two: LiveServer, dark: bool) -> None:
    problems = _walk(open_page, two, ROUTINE_PAGES, dark, "routines-")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_journal_pages_pass_axe(
    open_page: Any, full: LiveServer, empty: LiveServer, dark: bool
) -> None:
    """axe-core (no serious or critical issue) on the skin journal's pages, with photos and
    without, on a phone and a desktop."""
    for server, size in itertools.product((full, empty), ("phone", "desktop")):
        page = open_page(server, size=size, dark=dark)
        for path in JOURNAL_PAGES:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            check_axe(page, f"{path} ({size}, {'dark' if dark else 'light'})")
        page.context.close()


def test_history_charts_fit_and_show_every_outcome(open_page: Any, full: LiveServer) -> None:
    page = open_page(full, size="phone")
    page.set_viewport_size(SIZES["360x640"])
    page.goto("/history")
    heat = page.locator(".chart.heat")
    for outcome in ("kept", "partial", "missed", "skipped"):
        assert int(heat.get_attribute(f"data-{outcome}") or 0) >= 1, outcome
    # Cells large enough to see on a phone, month labels apart, the chart short.
    cell = page.locator(".heat i.today").bounding_box()
    assert cell and cell["width"] >= 14, cell
    labels = page.locator(".heat .mo").evaluate_all(
        """els => els.filter(e => e.textContent && e.offsetParent !== null).map(e => {
            const r = document.createRange(); r.selectNodeContents(e);
            const b = r.getBoundingClientRect(); return {x: b.left, width: b.width}; })"""
    )
    assert len(labels) >= 3, labels
    for a, b in itertools.pairwise(labels):
        assert a["x"] + a["width"] + 4 <= b["x"], (a, b)
    for chart in (".chart.heat", ".chart.bars"):
        box = page.locator(chart).bounding_box()
        assert box and box["height"] < 320, (chart, box)
    # The bars' labels are page text at the type scale, whatever the width.
    sizes = {
        page.locator(".bars .lab").first.evaluate("e => getComputedStyle(e).fontSize"),
        page.locator(".heat .mo").first.evaluate("e => getComputedStyle(e).fontSize"),
    }
    page.set_viewport_size(SIZES["1280x800"])
    sizes.add(page.locator(".bars .lab").first.evaluate("e => getComputedStyle(e).fontSize"))
    assert sizes == {"13px"}
    # Wider boxes show more weeks.
    wide = page.locator(".heat .wk").evaluate_all(
        "els => els.filter(e => getComputedStyle(e).display !== 'none').length"
    )
    assert wide == 53


def test_the_empty_history_is_a_small_card(open_page: Any, empty: LiveServer) -> None:
    page = open_page(empty, size="desktop")
    page.goto("/history")
    card = page.locator("#history-empty").bounding_box()
    assert card and card["height"] < 400
    assert page.get_by_role("link", name="See what is next").is_visible()


def test_no_keyboard_hints_on_a_touch_screen(
    browser: Any, open_page: Any, full: LiveServer, tmp_path: Path
) -> None:
    touch = browser.new_context(
        base_url=full.url, viewport=SIZES["390x844"], has_touch=True, is_mobile=True
    )
    try:
        page = touch.new_page()
        page.goto("/session/go")
        assert not page.locator("p.hint kbd").first.is_visible()
    finally:
        touch.close()
    desk = open_page(full, size="desktop")
    desk.goto("/session/go")
    assert desk.locator("p.hint kbd").first.is_visible()
    # The roller's wear is said before rolling, not on every step.
    desk.evaluate("document.getElementById('player').setAttribute('data-phase', 'running')")
    assert not desk.locator("#roller-wear").is_visible()
