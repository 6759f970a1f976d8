"""Headless Chromium on an open dashboard: a monitor's target starts failing, and its row turns down
without a reload, the summary counts follow; at 390 px the list fits the phone (issue 9).

A server of its own with the engine running (self-hosted with 1 s intervals, so checks reach the
local target quickly), on a private SQLite file or on the suite's PostgreSQL database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.e2e.test_monitor_ui import (
    CHROMIUM,
    REQUIRE_BROWSER,
    SHOTS,
    _no_sideways_scroll,
    _sign_up,
    _watch,
    browser,  # noqa: F401 (the module-scoped Chromium fixture)
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER, reason="Chromium not installed"),
]


class Switchable:
    """A target whose answer the test flips between 200 and 503."""

    def __init__(self) -> None:
        self.status = 200
        switch = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = b"shop"
                self.send_response(switch.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/health"


@pytest.fixture(scope="module")
def target() -> Iterator[Switchable]:
    switchable = Switchable()
    thread = threading.Thread(target=switchable.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield switchable
    finally:
        switchable.server.shutdown()
        switchable.server.server_close()


@pytest.fixture(scope="module")
def engine_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[LiveServer]:
    env = {"STATUSPING_MODE": "selfhosted", "STATUSPING_MIN_INTERVAL_SECONDS": "1"}
    if database_url.startswith("postgresql"):
        env["STATUSPING_DATABASE_URL"] = database_url
    server = start_server(tmp_path_factory.mktemp("dashboard-live"), env)
    try:
        yield server
    finally:
        stop_server(server)


def _create(page: Page, name: str, url: str) -> str:
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "statusping_csrf")
    body = {"name": name, "type": "http", "url": url, "interval_seconds": 1, "failure_threshold": 1,
            "retry_interval_seconds": 1, "timeout_seconds": 0.8}  # fmt: skip
    answer = page.request.post("/api/v1/monitors", data=body, headers={"X-CSRF-Token": csrf})
    assert answer.status == 201, answer.text()
    return str(answer.json()["id"])


def _status(page: Page, monitor_id: str) -> str:
    return str(page.request.get(f"/api/v1/monitors/{monitor_id}").json()["status"])


def test_a_row_turns_down_live_without_a_reload(
    browser: Browser,  # noqa: F811
    engine_server: LiveServer,
    target: Switchable,
) -> None:
    context = browser.new_context(base_url=engine_server.url, viewport={"width": 1280, "height": 900})
    watched = _watch(context.new_page())
    page = watched.page
    try:
        _sign_up(page)
        target.status = 200
        shop = _create(page, "Shop", target.url)
        _create(page, "Blog", target.url + "?blog")
        for _ in range(200):  # the engine's first checks
            if _status(page, shop) == "up":
                break
            page.wait_for_timeout(50)
        page.goto("/dashboard")
        row = page.locator(f'tr[data-monitor-id="{shop}"]')
        expect(row).to_have_attribute("data-status", "up")
        expect(page.locator("[data-dashboard]")).to_have_attribute("data-live", "open")
        expect(row.locator("time[data-relative]")).to_contain_text("ago")
        page.evaluate("() => { window.notReloaded = true; }")

        target.status = 503
        for _ in range(200):  # the state change, as the API reports it
            if _status(page, shop) == "down":
                break
            page.wait_for_timeout(50)
        assert _status(page, shop) == "down"
        expect(row).to_have_attribute("data-status", "down", timeout=5000)
        expect(row.locator(".badge")).to_have_text("down")
        expect(page.locator('[data-summary="down"]')).to_have_text("2", timeout=5000)  # Blog fails too
        assert page.evaluate("() => window.notReloaded === true")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "dashboard-live-1280.png"), full_page=True)

        target.status = 200
        expect(row).to_have_attribute("data-status", "up", timeout=10000)
        expect(page.locator('[data-summary="down"]')).to_have_text("0", timeout=10000)
        assert page.evaluate("() => window.notReloaded === true")

        # The controls without a reload: a search swaps only the list.
        page.get_by_label("Search").fill("blog")
        expect(page.locator("#monitors tbody tr")).to_have_count(1)
        assert page.evaluate("() => window.notReloaded === true")
        assert "q=blog" in page.url
        watched.assert_clean()

        for name, scheme in (("dashboard-390", "light"), ("dashboard-390-dark", "dark")):
            page.set_viewport_size({"width": 390, "height": 844})
            page.emulate_media(color_scheme=scheme)
            page.goto("/dashboard")
            expect(page.locator("#monitors tbody tr")).to_have_count(2)
            _no_sideways_scroll(page)
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        watched.assert_clean()
    finally:
        context.close()
