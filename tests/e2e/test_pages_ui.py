"""Headless Chromium through the header, the alerting, maintenance, incidents and settings pages
(issue 9): the phone menu by keyboard with visible focus, dark mode that survives a reload, forms
with errors beside their fields, and every page at 1280 and 390 px, light and dark, without
sideways scrolling, console errors or CSP violations. Screenshots go to $STATUSPING_SCREENSHOTS.

A self-hosted server of its own (every feature, no plan gates), web only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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
    browser,  # noqa: F401 - the module-scoped Chromium fixture
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER, reason="Chromium not installed"),
]

PAGES = (
    "/dashboard",
    "/incidents",
    "/maintenance",
    "/maintenance/new",
    "/alerting",
    "/alerting/new?type=slack",
    "/settings",
    "/no-such-page",
)


@pytest.fixture(scope="module")
def pages_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[LiveServer]:
    env = {"STATUSPING_MODE": "selfhosted"}
    if database_url.startswith("postgresql"):
        env["STATUSPING_DATABASE_URL"] = database_url
    server = start_server(tmp_path_factory.mktemp("pages-ui"), env, "--no-engine")
    try:
        yield server
    finally:
        stop_server(server)


def _focus_is_visible(page: Page) -> bool:
    return bool(
        page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body || !el.matches(":focus-visible")) return false;
                const style = getComputedStyle(el);
                return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
            }"""
        )
    )


def _body_is_dark(page: Page) -> bool:
    """Whether the body's background is dark (Tailwind 4 colours are oklch(L C H); L below 0.5)."""
    colour = str(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert colour.startswith("oklch("), colour
    return float(colour[6:].split()[0]) < 0.5


def _tab_to(page: Page, selector: str, limit: int = 20) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            assert _focus_is_visible(page), selector
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_phone_menu_by_keyboard_and_dark_mode_that_survives_a_reload(
    browser: Browser,  # noqa: F811
    pages_server: LiveServer,
) -> None:
    context = browser.new_context(base_url=pages_server.url, viewport={"width": 390, "height": 844})
    watched = _watch(context.new_page())
    page = watched.page
    try:
        _sign_up(page)
        page.emulate_media(color_scheme="light")
        page.goto("/dashboard")
        page.wait_for_function("() => window.htmx !== undefined")
        _no_sideways_scroll(page)

        # Tab first reaches the skip link, then the menu; Enter opens it, Tab walks its links.
        _tab_to(page, "a[href='#main']")
        _tab_to(page, "details[data-menu] > summary")
        page.keyboard.press("Enter")
        expect(page.locator("details[data-menu]")).to_have_attribute("open", "")
        _tab_to(page, "details[data-menu] a[href='/incidents']")
        page.keyboard.press("Enter")
        page.wait_for_url("**/incidents")
        expect(page.get_by_role("heading", name="Incidents", level=1)).to_be_visible()
        expect(page.locator("details[data-menu] a[aria-current='page']")).to_have_text("Incidents")

        # Escape closes the menu and gives focus back to its button.
        page.locator("details[data-menu] > summary").click()
        page.keyboard.press("Escape")
        expect(page.locator("details[data-menu]")).not_to_have_attribute("open", "")

        # The toggle switches to dark; a reload renders dark from the cookie, before any script.
        assert page.evaluate("document.documentElement.classList.contains('dark')") is False
        page.locator("[data-theme-toggle]").click()
        assert page.evaluate("document.documentElement.classList.contains('dark')") is True
        expect(page.locator("[data-theme-toggle]")).to_have_attribute("aria-pressed", "true")
        page.reload()
        assert page.evaluate("document.documentElement.classList.contains('dark')") is True
        assert _body_is_dark(page)
        with_js_off = browser.new_context(
            base_url=pages_server.url, java_script_enabled=False, storage_state=context.storage_state()
        )
        try:
            plain = with_js_off.new_page()
            plain.goto("/incidents")
            assert "dark" in (plain.locator("html").get_attribute("class") or "")
        finally:
            with_js_off.close()
        # Existing pages follow the choice; the public status page keeps the system's (light here).
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("details[data-menu] > summary").click()
        page.screenshot(path=str(SHOTS / "pages-menu-390-dark.png"))
        for path, name in (("/", "landing"), ("/monitors/new", "monitor-form")):
            page.goto(path)
            assert page.evaluate("document.documentElement.classList.contains('dark')") is True
            _no_sideways_scroll(page)
            page.screenshot(path=str(SHOTS / f"pages-{name}-390-chosen-dark.png"), full_page=True)
        page.goto("/status-page")
        page.locator("#preview-link").click()
        page.wait_for_url("**/s/*")
        assert page.evaluate("document.documentElement.className") == "h-full"
        assert not _body_is_dark(page)
        page.screenshot(path=str(SHOTS / "pages-status-page-390-system-light.png"), full_page=True)

        page.goto("/incidents")
        page.locator("[data-theme-toggle]").click()
        page.reload()
        assert page.evaluate("document.documentElement.classList.contains('light')") is True
        page.emulate_media(color_scheme="dark")  # an explicit light choice beats a dark system
        page.locator("details[data-menu] > summary").click()
        page.screenshot(path=str(SHOTS / "pages-menu-390-chosen-light.png"))
        assert not _body_is_dark(page)
        watched.assert_clean()
    finally:
        context.close()


def test_channels_and_maintenance_through_the_forms_and_every_page_in_both_schemes(
    browser: Browser,  # noqa: F811
    pages_server: LiveServer,
) -> None:
    context = browser.new_context(base_url=pages_server.url, viewport={"width": 1280, "height": 900})
    watched = _watch(context.new_page())
    page = watched.page
    try:
        _sign_up(page)

        # A Slack channel from its webhook URL; a malformed one is explained beside the field.
        page.goto("/alerting/new?type=slack")
        page.wait_for_function("() => window.htmx !== undefined")
        page.get_by_label("Name").fill("Team Slack")
        page.get_by_label("Incoming webhook URL").fill("https://example.com/not-slack")
        page.get_by_role("button", name="Add channel").click()
        expect(page.locator("#mf-webhook_url-error")).to_contain_text("not a webhook URL of this service")
        page.get_by_label("Incoming webhook URL").fill(
            f"https://hooks.slack.com/services/T0/B0/{uuid.uuid4().hex}"
        )
        page.get_by_role("button", name="Add channel").click()
        page.wait_for_url("**/alerting")
        expect(page.locator("#channels")).to_contain_text("Team Slack")
        expect(page.locator("#channels")).to_contain_text("slack://****")

        # The sign-up email channel's Test button (no SMTP: logged and counted as sent).
        email_row = page.locator("#channels li").filter(has_text="Email to")
        email_row.get_by_role("button", name="Test").click()
        expect(email_row.locator("[data-test-result]")).to_have_attribute("data-test-result", "sent")
        page.reload()
        expect(page.locator("#delivery-log")).to_contain_text("Sent")

        # A weekly maintenance window; a custom rule the rules refuse shows beside its field.
        page.goto("/maintenance/new")
        page.wait_for_function("() => window.htmx !== undefined")
        page.get_by_label("Title").fill("Patch night")
        page.get_by_label("Starts").fill(_soon())
        page.get_by_label("Ends").fill(_soon(hours=2))
        page.get_by_label("Custom rule (RRULE)").check()
        page.locator("#mf-rrule").fill("FREQ=MINUTELY")
        page.get_by_role("button", name="Schedule").click()
        expect(page.locator("#mf-rrule-error")).to_contain_text(
            "must repeat DAILY, WEEKLY, MONTHLY or YEARLY"
        )
        page.get_by_label("Every week, on the days below").check()
        page.get_by_label("Sat", exact=True).check()
        page.locator("#mf-rrule").fill("")
        page.get_by_role("button", name="Schedule").click()
        page.wait_for_url("**/maintenance")
        expect(page.locator("main")).to_contain_text("Patch night")
        expect(page.locator("main")).to_contain_text("Every week on Sat")
        watched.assert_clean()

        # Every page at both widths in both schemes (system preference, no explicit choice).
        SHOTS.mkdir(parents=True, exist_ok=True)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                for path in PAGES:
                    page.goto(path)
                    assert _body_is_dark(page) is (scheme == "dark"), (path, scheme)
                    _no_sideways_scroll(page)
                    name = path.strip("/").replace("/", "-").replace("?type=", "-") or "home"
                    page.screenshot(path=str(SHOTS / f"pages-{name}-{width}-{scheme}.png"), full_page=True)
        # The 404 answer is logged by Chromium as a failed resource load; nothing else may be.
        watched.console = [m for m in watched.console if "404" not in m]
        watched.assert_clean()
    finally:
        context.close()


def _soon(hours: int = 0) -> str:
    moment = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2, hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M")
