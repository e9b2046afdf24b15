"""The progressive web app in a real browser: the manifest and icons, the service worker on
localhost, installability as Chromium judges it, and what the worker caches (the static shell,
never pages or POSTs)."""

from __future__ import annotations

import json
import struct
import urllib.request
from pathlib import Path
from typing import Any

from tests.web.conftest import CHROMIUM, LAUNCH_ARGS, LiveServer, page_problems


def _get(server: LiveServer, path: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(server.url + path, timeout=10) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_manifest_and_icons_are_served_with_their_types(live_server: LiveServer) -> None:
    status, kind, body = _get(live_server, "/manifest.webmanifest")
    assert status == 200 and kind.startswith("application/manifest+json")
    manifest = json.loads(body)
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    purposes = set()
    for icon in manifest["icons"]:
        status, kind, data = _get(live_server, icon["src"])
        assert status == 200 and kind.startswith(icon["type"]), icon
        purposes.add(icon["purpose"])
        if icon["type"] == "image/png":
            size = int(icon["sizes"].split("x")[0])
            assert _png_size(data) == (size, size), icon
    sizes = {i["sizes"] for i in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes and purposes == {"any", "maskable"}


def test_service_worker_is_served_at_the_root_with_the_shell_filled_in(
    live_server: LiveServer,
) -> None:
    status, kind, body = _get(live_server, "/sw.js")
    text = body.decode()
    assert status == 200 and "javascript" in kind
    assert 'var VERSION = "dev";' not in text and "var SHELL = [];" not in text
    shell = json.loads(text.split("var SHELL = ", 1)[1].split(";\n", 1)[0])
    assert "/static/js/session.js" in shell and "/static/css/app.css" in shell
    assert all(url.startswith("/static/") for url in shell)


def _ready(page: Any) -> str:
    return page.evaluate(  # type: ignore[no-any-return]
        "navigator.serviceWorker.ready.then(r => r.scope)"
    )


def test_service_worker_registers_on_localhost_and_caches_only_the_shell(
    open_page: Any, live_server_with_plan: LiveServer
) -> None:
    server = live_server_with_plan
    page = open_page(server)
    page.goto("/")
    assert page.evaluate("window.isSecureContext")
    assert _ready(page) == server.url + "/"
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    # Visit data pages, then look at every cached URL: static files only.
    for path in ("/history", "/session/go", "/session/guide.json", "/log"):
        page.goto(path)
    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const req of await cache.keys()) urls.push(new URL(req.url).pathname);
            }
            return urls;
        }"""
    )
    assert "/static/js/session.js" in cached
    assert cached and all(url.startswith("/static/") for url in cached), cached
    assert page_problems(page) == []


def test_offline_page_shows_no_stale_data(
    open_page: Any, live_server_with_plan: LiveServer
) -> None:
    page = open_page(live_server_with_plan)
    page.goto("/history")
    _ready(page)
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    try:
        response = page.goto("/history")
        assert response is not None and response.status == 503
        assert "not reachable" in page.locator("h1").inner_text()
        # The shell still comes from the cache.
        assert page.evaluate("fetch('/static/css/app.css').then(r => r.ok)")
    finally:
        page.context.set_offline(False)


def test_chromium_finds_the_app_installable(
    browser: Any, live_server_with_plan: LiveServer, tmp_path: Path
) -> None:
    """Page.getInstallabilityErrors, as Chromium's install prompt judges it. A persistent profile:
    an incognito context (Playwright's default) is never installable."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=LAUNCH_ARGS,
        base_url=live_server_with_plan.url,
    )
    try:
        page = context.new_page()
        page.goto("/")
        _ready(page)
        cdp = context.new_cdp_session(page)
        result = cdp.send("Page.getInstallabilityErrors")
        assert result["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest.get("errors", []) == []
    finally:
        context.close()
