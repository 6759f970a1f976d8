"""The public status page in a real Chromium: without JavaScript, on a 390 px phone, in dark mode."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import free_port
from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.e2e.test_browser import (  # noqa: F401  (fixtures: playwright, browser)
    CHROMIUM,
    MISSING_BROWSER,
    REQUIRE_BROWSER,
    Watched,
    _watch,
    browser,
    playwright,
)
from tests.support import PASSWORD, unique_email

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER, reason=MISSING_BROWSER),
]

LONG_NAME = "Customer dashboard and reporting application (EU region, primary cluster)"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[LiveServer]:
    """A web-only server that may check local ports, so a test can make a monitor really fail."""
    workdir: Path = tmp_path_factory.mktemp("status-page-ui")
    env = {"STATUSPING_DATABASE_URL": database_url, "STATUSPING_ALLOW_PRIVATE_TARGETS": "true"}
    live = start_server(workdir, env, "--no-engine")
    try:
        yield live
    finally:
        stop_server(live)


@pytest.fixture(scope="module")
def slug(server: LiveServer) -> str:
    """A page with a failing public monitor, a healthy one with a long name, and a private one."""
    with httpx.Client(base_url=server.url) as client:
        response = client.post(
            "/api/v1/auth/signup",
            json={"email": unique_email(), "password": PASSWORD, "organization": "Phone Check Inc"},
        )
        assert response.status_code == 201, response.text
        client.headers["X-CSRF-Token"] = client.cookies["statusping_csrf"]
        ids = []
        for name, port, public in [("API", free_port(), True), (LONG_NAME, 9, True), ("Secret", 9, False)]:
            created = client.post(
                "/api/v1/monitors",
                json={"name": name, "type": "tcp", "host": "127.0.0.1", "port": port,
                      "interval_seconds": 300, "failure_threshold": 1, "public": public},
            )  # fmt: skip
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        assert client.post(f"/api/v1/monitors/{ids[0]}/check").json()["ok"] is False
        found: str = client.get("/api/v1/me").json()["organization"]["slug"]
        return found


def _no_sideways_scroll(watched: Watched) -> None:
    page = watched.page
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"page is {width} px wide in a {viewport} px viewport"


def test_it_works_without_javascript_on_a_phone(browser: Browser, server: LiveServer, slug: str) -> None:  # noqa: F811
    context = browser.new_context(
        base_url=server.url, java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    try:
        watched = _watch(context.new_page())
        page = watched.page
        page.goto(f"/s/{slug}")

        expect(page.locator("#overall-status")).to_contain_text("Partial outage")
        expect(page.get_by_role("heading", name="API is unavailable")).to_be_visible()
        expect(page.get_by_text("Secret")).to_have_count(0)
        api = page.locator("[data-component-id]").filter(
            has=page.get_by_role("heading", name="API", exact=True)
        )
        expect(api).to_contain_text("Major outage")
        _no_sideways_scroll(watched)
        # Per-day figures without a pointer or a script: open the details of a component.
        api.get_by_text("Uptime and daily history").click()
        expect(api.get_by_text(re.compile(r"uptime, \d+ min down, 1 incident"))).to_be_visible()
        expect(api.locator("li[title]").last).to_have_attribute("title", re.compile("1 incident"))
        expect(page.get_by_text("Powered by")).to_be_visible()
        watched.assert_clean()
    finally:
        context.close()


def test_it_localises_times_in_dark_mode_without_csp_violations(
    browser: Browser,  # noqa: F811
    server: LiveServer,
    slug: str,
) -> None:
    context = browser.new_context(
        base_url=server.url,
        color_scheme="dark",
        timezone_id="Asia/Tokyo",
        viewport={"width": 1280, "height": 900},
    )
    try:
        watched = _watch(context.new_page())
        page = watched.page
        page.goto(f"/s/{slug}")

        stamp = page.locator("#overall-status time")
        expect(stamp).not_to_contain_text("UTC")  # the script rewrote it to the viewer's zone
        expect(stamp).to_have_attribute("datetime", re.compile(r"Z$"))
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(248, 250, 252)"  # not the light theme's slate-50
        _no_sideways_scroll(watched)
        watched.assert_clean()
    finally:
        context.close()
