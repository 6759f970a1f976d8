"""A real headless Chromium against `statusping serve`: the pages as a user really sees them.

Needs /usr/bin/chromium (apt-get install chromium). Without it the module is skipped, unless
STATUSPING_REQUIRE_BROWSER=1 says the browser must be there (CI), in which case the tests fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright, expect, sync_playwright

from tests.e2e.conftest import LiveServer
from tests.support import PASSWORD, unique_email

CHROMIUM = Path("/usr/bin/chromium")
MISSING_BROWSER = "Chromium not installed: apt-get install chromium"
REQUIRE_BROWSER = os.environ.get("STATUSPING_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# On a laptop without Chromium these tests are skipped, saying why; CI sets
# STATUSPING_REQUIRE_BROWSER=1, and then a missing browser fails them (see the fixture below).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER, reason=MISSING_BROWSER),
]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"STATUSPING_REQUIRE_BROWSER=1 but {MISSING_BROWSER}", pytrace=False)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@dataclass
class Watched:
    """A page and everything it complained about: console messages and uncaught errors."""

    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [text for text in self.console if "content security policy" in text.lower()]

    def assert_clean(self) -> None:
        assert self.csp_violations() == [], self.console
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


@pytest.fixture
def js_page(browser: Browser, live_server: LiveServer) -> Iterator[Watched]:
    context = browser.new_context(base_url=live_server.url)
    try:
        yield _watch(context.new_page())
    finally:
        context.close()


@pytest.fixture
def no_js_page(browser: Browser, live_server: LiveServer) -> Iterator[Watched]:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        yield _watch(context.new_page())
    finally:
        context.close()


def _org_name() -> str:
    return f"Browser Org {uuid.uuid4().hex[:6]}"


def _fill_signup(page: Page, email: str, password: str, organization: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Organization name").fill(organization)
    page.get_by_role("button", name="Create account").click()


def _wait_for_htmx(page: Page) -> None:
    page.wait_for_function("() => window.htmx !== undefined")


def test_it_signs_up_with_javascript_through_htmx_without_csp_violations(js_page: Watched) -> None:
    page = js_page.page
    htmx_posts: list[str | None] = []
    page.on(
        "request",
        lambda r: (
            htmx_posts.append(r.headers.get("hx-request"))
            if r.method == "POST" and r.url.endswith("/signup")
            else None
        ),
    )
    organization = _org_name()
    page.goto("/signup")
    _wait_for_htmx(page)

    _fill_signup(page, unique_email(), PASSWORD, organization)

    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", name=organization)).to_be_visible()
    assert htmx_posts == ["true"]  # the form went through htmx, not a plain submit
    js_page.assert_clean()


def test_it_shows_a_sign_up_error_in_place_and_then_accepts_the_fix(js_page: Watched) -> None:
    page = js_page.page
    organization = _org_name()
    email = unique_email()
    page.goto("/signup")
    _wait_for_htmx(page)
    # Past the browser's own minlength check, so the server's rule is what the user sees.
    page.evaluate("document.getElementById('signup-password').removeAttribute('minlength')")

    _fill_signup(page, email, "short", organization)

    expect(page.get_by_text("Password must be at least 8 characters.")).to_be_visible()
    assert page.url.endswith("/signup")
    expect(page.locator("header")).to_have_count(1)  # the form was swapped, not a page nested in it
    expect(page.get_by_label("Email")).to_have_value(email)
    expect(page.get_by_label("Organization name")).to_have_value(organization)

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", name=organization)).to_be_visible()
    js_page.assert_clean()


def test_it_signs_up_with_javascript_disabled(no_js_page: Watched) -> None:
    page = no_js_page.page
    organization = _org_name()
    page.goto("/signup")

    _fill_signup(page, unique_email(), PASSWORD, organization)

    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", name=organization)).to_be_visible()
    no_js_page.assert_clean()


def test_it_logs_out_from_the_header_and_logs_back_in(live_server: LiveServer, js_page: Watched) -> None:
    page = js_page.page
    email = unique_email()
    organization = _org_name()
    page.goto("/signup")
    _wait_for_htmx(page)
    _fill_signup(page, email, PASSWORD, organization)
    page.wait_for_url("**/dashboard")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/dashboard")
    page.wait_for_url("**/login?next=%2Fdashboard")

    _wait_for_htmx(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", name=organization)).to_be_visible()
    js_page.assert_clean()


def test_it_renders_the_public_status_page_without_javascript(
    live_server: LiveServer, no_js_page: Watched
) -> None:
    organization = _org_name()
    with httpx.Client(base_url=live_server.url) as client:
        response = client.post(
            "/api/v1/auth/signup",
            json={"email": unique_email(), "password": PASSWORD, "organization": organization},
        )
        assert response.status_code == 201, response.text
        slug = client.get("/api/v1/me").json()["organization"]["slug"]

    page = no_js_page.page
    page.goto(f"/s/{slug}")

    expect(page.get_by_role("heading", name=organization)).to_be_visible()
    expect(page.get_by_text("All systems operational")).to_be_visible()
    no_js_page.assert_clean()


def test_it_renders_the_api_docs_with_swagger_ui_without_csp_violations(js_page: Watched) -> None:
    page = js_page.page
    page.goto("/api/docs")

    expect(page.get_by_text("/api/v1/auth/signup", exact=True).first).to_be_visible(timeout=15_000)
    expect(page.locator("#swagger-ui").get_by_text("StatusPing").first).to_be_visible()
    js_page.assert_clean()
