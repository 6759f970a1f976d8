"""Headless Chromium through the monitor UI: sign up, add an http monitor with the form, see it
checked, open its page and its chart, at desktop and phone widths, light and dark (issue 9).

A server of its own with the engine running (self-hosted, so checks may reach the local target),
on a private SQLite file, or on the suite's PostgreSQL database where workers coordinate.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect, sync_playwright

from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.support import PASSWORD, unique_email

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("STATUSPING_REQUIRE_BROWSER") == "1"
SHOTS = Path(os.environ.get("STATUSPING_SCREENSHOTS", "/tmp/statusping-shots"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER, reason="Chromium not installed"),
]


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"Welcome to the shop"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def target_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def engine_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[LiveServer]:
    env = {"STATUSPING_MODE": "selfhosted", "STATUSPING_MIN_INTERVAL_SECONDS": "1"}
    if database_url.startswith("postgresql"):
        env["STATUSPING_DATABASE_URL"] = database_url
    server = start_server(tmp_path_factory.mktemp("monitor-ui"), env)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("STATUSPING_REQUIRE_BROWSER=1 but Chromium is not installed", pytrace=False)
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watched:
    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        problems = [
            m for m in self.console if m.startswith("error") or "content security policy" in m.lower()
        ]
        assert problems == [], self.console
        assert self.errors == [], self.errors


def _watch(page: Page) -> Watched:
    watched = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        watched.console.append(f"{message.type}: {message.text}")

    def on_error(error: Error) -> None:
        watched.errors.append(str(error))

    page.on("console", on_console)
    page.on("pageerror", on_error)
    return watched


def _sign_up(page: Page) -> None:
    page.goto("/signup")
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label("Email").fill(unique_email("ui"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organization name").fill(f"UI Org {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/dashboard")


def _no_sideways_scroll(page: Page) -> None:
    wider = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map((e) => e.tagName + "#" + e.id + "." + e.className)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (page.url, wider)


def test_a_new_user_adds_an_http_monitor_with_the_form_and_sees_its_page_and_chart(
    browser: Browser, engine_server: LiveServer, target_url: str
) -> None:
    context = browser.new_context(base_url=engine_server.url, viewport={"width": 1280, "height": 900})
    watched = _watch(context.new_page())
    page = watched.page
    try:
        _sign_up(page)
        page.get_by_role("link", name="Add monitor").click()
        page.wait_for_url("**/monitors/new")
        page.wait_for_function("() => window.htmx !== undefined")

        # A validation error from the API appears beside its field, in place.
        page.get_by_label("Name").fill("Shop")
        page.get_by_label("URL").fill("ftp://example.com")
        page.get_by_role("button", name="Create monitor").click()
        expect(page.locator("#mf-url-error")).to_have_text("Url must start with http:// or https://.")
        expect(page.locator("header")).to_have_count(1)

        # Test now runs the check without saving and shows the timing breakdown.
        page.get_by_label("URL").fill(target_url)
        page.get_by_label("Check every (seconds)").fill("5")
        page.get_by_label("Retry every (seconds) while failing").fill("2")
        page.get_by_label("Timeout (seconds)").fill("3")
        page.get_by_role("button", name="Test now").click()
        expect(page.locator("#test-outcome")).to_have_attribute("data-ok", "true")
        expect(page.locator("#test-outcome")).to_contain_text("HTTP 200")
        expect(page.locator("#test-outcome")).to_contain_text("First byte")

        page.get_by_role("button", name="Create monitor").click()
        page.wait_for_url(re.compile(r".*/monitors/[0-9a-f-]{36}$"))
        monitor_url = page.url
        expect(page.get_by_role("heading", name="Shop", level=1)).to_be_visible()

        # It turns up on the dashboard, linked to its page.
        page.goto("/dashboard")
        expect(page.locator("#monitors").get_by_role("link", name="Shop")).to_be_visible()

        # The engine checks it; the page then lists checks and the chart draws them.
        page.goto(monitor_url)
        for _ in range(100):
            if page.locator("#checks tr[data-ok='true']").count() >= 2:
                break
            page.wait_for_timeout(200)
            page.reload()
        expect(page.locator("#monitor-status")).to_have_attribute("data-status", "up")
        expect(page.locator("#response-chart canvas")).to_be_visible()
        expect(page.locator("#response-chart .u-legend")).to_contain_text("Response")
        _no_sideways_scroll(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "monitor-1280.png"), full_page=True)
        watched.assert_clean()

        # At 390 px and in dark mode: no sideways scrolling, the chart still fits.
        for name, scheme, width in (("monitor-390", "light", 390), ("monitor-390-dark", "dark", 390),
                                    ("monitor-1280-dark", "dark", 1280)):  # fmt: skip
            page.set_viewport_size({"width": width, "height": 900})
            page.emulate_media(color_scheme=scheme)
            page.goto(monitor_url)
            expect(page.locator("#response-chart canvas")).to_be_visible()
            _no_sideways_scroll(page)
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
            page.goto(monitor_url + "/edit")
            page.screenshot(path=str(SHOTS / f"{name}-edit.png"), full_page=True)
            _no_sideways_scroll(page)
        watched.assert_clean()
    finally:
        context.close()
