"""The skin journal in the real browser (issue 17): Chromium with a fake camera fed from a Y4M
file made here takes a photo with the ghost of the first photo over the live view; the stored
file has no metadata; the compare page shows the two chosen photos and its slider moves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rollminder.photos import metadata_blocks
from tests.test_photos import gps_jpeg
from tests.web.conftest import CHROMIUM, LAUNCH_ARGS, LiveServer, page_problems


def write_y4m(path: Path, width: int = 320, height: int = 240, frames: int = 10) -> Path:
    """A short YUV 4:2:0 video: a bright square on a dark background, moving a little."""
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for n in range(frames):
            y = bytearray([40]) * (width * height)
            for row in range(60, 140):
                start = row * width + 80 + n * 4
                y[start : start + 100] = bytes([220]) * 100
            chroma = bytes([128]) * (width * height // 4)
            fh.write(b"FRAME\n" + bytes(y) + chroma + chroma)
    return path


@pytest.fixture
def camera_browser(tmp_path: Path, playwright_driver: Any) -> Iterator[Any]:
    video = write_y4m(tmp_path / "face.y4m")
    args = [
        *LAUNCH_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=args
    )
    try:
        yield browser
    finally:
        browser.close()


def _new_page(browser: Any, server: LiveServer) -> Any:
    context = browser.new_context(
        base_url=server.url, viewport={"width": 390, "height": 844}, locale="en-GB"
    )
    context.grant_permissions(["camera"], origin=server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()

    class Watch:
        def __init__(self) -> None:
            self.console: list[str] = []
            self.errors: list[str] = []

    page.watch = Watch()
    page.on("console", lambda m: page.watch.console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.watch.errors.append(str(e)))
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective));"
    )
    return page


def test_the_camera_takes_a_photo_with_the_ghost_and_stores_no_metadata(
    camera_browser: Any, live_server_with_plan: LiveServer
) -> None:
    server = live_server_with_plan
    first = server.read(lambda app: app.add_photo(gps_jpeg((320, 240), 1), angle="front"))
    page = _new_page(camera_browser, server)
    page.goto("/photos/camera?angle=front")
    ghost = page.locator("#ghost")
    assert ghost.get_attribute("src") == f"/photos/{first.id}/image"
    page.wait_for_function("() => document.getElementById('ghost').naturalWidth > 0")
    page.locator("#ghost-opacity").fill("70")
    assert page.evaluate("getComputedStyle(document.getElementById('ghost')).opacity") == "0.7"
    page.locator("#mirror").uncheck()
    page.wait_for_function("() => !document.getElementById('shoot').disabled")
    assert page.evaluate("document.getElementById('live').videoWidth") == 320
    page.locator("#shoot").click()
    page.wait_for_function("() => document.getElementById('shoot').dataset.saved")
    assert "location and camera data removed" in page.locator("#camera-status").inner_text()
    photos = server.read(lambda app: app.photos())
    assert len(photos) == 2 and photos[1].angle == "front" and photos[1].width == 320
    stored = server.read(lambda app: app.photo_image(photos[1].id))
    assert metadata_blocks(stored) == []
    files = sorted((server.env.home / "photos").rglob(f"{photos[1].id}*.jpg"))
    assert len(files) == 2 and all(metadata_blocks(f.read_bytes()) == [] for f in files)
    assert page_problems(page) == []


def test_the_compare_page_shows_the_two_chosen_photos(
    camera_browser: Any, live_server_with_plan: LiveServer
) -> None:
    server = live_server_with_plan
    made = [
        server.read(lambda app: app.add_photo(gps_jpeg((160, 120), 1), angle="left"))
        for _ in range(3)
    ]
    page = _new_page(camera_browser, server)
    page.goto("/photos")
    assert page.locator("#angle-left .strip img").count() == 3
    page.goto(f"/photos/compare?angle=left&a={made[0].id}&b={made[2].id}")
    before = page.locator("#before")
    after = page.locator("#after")
    assert before.get_attribute("src") == f"/photos/{made[0].id}/image"
    assert after.get_attribute("src") == f"/photos/{made[2].id}/image"
    page.wait_for_function(
        "() => ['before','after'].every(i => document.getElementById(i).naturalWidth === 160)"
    )
    page.locator("#slider").fill("20")
    clip = page.evaluate("document.getElementById('slider-top').style.clipPath")
    assert re.sub(r"\s+", " ", clip) == "inset(0px 0px 0px 20%)" or "20%" in clip
    response = page.request.get(f"/photos/{made[0].id}/image")
    assert "no-store" in response.headers["cache-control"]
    assert page_problems(page) == []
