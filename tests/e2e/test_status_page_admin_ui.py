"""Headless Chromium through the status page editor: components, a brand colour and a custom domain
with the forms alone, then the branded public page — at 1280 and 390 px, light and dark, without
sideways scrolling, console errors or CSP violations. Screenshots go to $STATUSPING_SCREENSHOTS.

A self-hosted server of its own (every feature, so branding and domains are open), web only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

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


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[LiveServer]:
    env = {"STATUSPING_MODE": "selfhosted"}
    if database_url.startswith("postgresql"):
        env["STATUSPING_DATABASE_URL"] = database_url
    server = start_server(tmp_path_factory.mktemp("status-admin-ui"), env, "--no-engine")
    try:
        yield server
    finally:
        stop_server(server)


def test_the_editor_shapes_the_public_page_in_both_schemes_and_sizes(
    browser: Browser,  # noqa: F811
    admin_server: LiveServer,
) -> None:
    context = browser.new_context(base_url=admin_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watched = _watch(page)
    try:
        _sign_up(page)
        csrf = next(c["value"] for c in context.cookies() if c["name"] == "statusping_csrf")
        for name, public in (("Checkout API", True), ("Marketing site", True), ("Billing worker", False)):
            created = page.request.post(
                "/api/v1/monitors",
                headers={"X-CSRF-Token": csrf},
                data={"name": name, "type": "heartbeat", "interval_seconds": 3600, "public": public},
            )
            assert created.status == 201, created.text()

        page.goto("/status-page")
        checkout = page.locator("li[data-choice]", has_text="Checkout API")
        checkout.get_by_role("checkbox").check()
        checkout.get_by_label("Display name").fill("Checkout")
        checkout.get_by_label("Group").fill("Shop")
        checkout.get_by_label("Order").fill("2")
        site = page.locator("li[data-choice]", has_text="Marketing site")
        site.get_by_role("checkbox").check()
        site.get_by_label("Order").fill("1")
        page.get_by_role("button", name="Save components").click()
        expect(page.get_by_role("status")).to_have_text("Components saved.")

        page.get_by_label("Brand colour").fill("#0f766e")
        page.get_by_role("button", name="Save branding").click()
        expect(page.get_by_role("status")).to_have_text("Branding saved.")
        page.get_by_role("textbox", name="Domain").fill("status.example.org")
        page.get_by_role("button", name="Save domain").click()
        expect(page.locator("#domain-token")).to_be_visible()
        page.get_by_label("Address (slug)").fill("Not A Slug")
        page.get_by_role("button", name="Save details").click()
        expect(page.locator("#mf-slug-error")).to_contain_text("lowercase letters")
        # A refused plain post answers 422, which Chromium logs; that one was meant.
        assert [m for m in watched.console if "422" not in m] == []
        watched.console.clear()

        SHOTS.mkdir(parents=True, exist_ok=True)
        page.goto("/status-page")
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                page.reload()
                _no_sideways_scroll(page)
                page.screenshot(path=str(SHOTS / f"status-page-admin-{width}-{scheme}.png"), full_page=True)

        page.set_viewport_size({"width": 390, "height": 900})
        page.emulate_media(color_scheme="light")
        page.locator("#preview-link").click()
        page.wait_for_url("**/s/*")
        names = page.locator("[data-component-id] h3, [data-component-id]").all_inner_texts()
        text = " ".join(names)
        assert text.index("Marketing site") < text.index("Checkout")
        assert "Billing worker" not in page.content()
        header = page.locator("header.brand-header")
        expect(header).to_be_visible()
        assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(15, 118, 110)"
        _no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "status-page-branded-390-light.png"), full_page=True)
        watched.assert_clean()
    finally:
        context.close()


def test_custom_css_and_a_password_through_the_editor_then_the_door_of_the_private_page(
    browser: Browser,  # noqa: F811
    admin_server: LiveServer,
) -> None:
    owner = browser.new_context(base_url=admin_server.url, viewport={"width": 1280, "height": 900})
    visitor = browser.new_context(base_url=admin_server.url, viewport={"width": 390, "height": 800})
    page = owner.new_page()
    watched = _watch(page)
    try:
        _sign_up(page)
        page.goto("/status-page")
        page.get_by_label("Stylesheet").fill("h1 { text-decoration: underline }")
        page.get_by_role("button", name="Save CSS").click()
        expect(page.get_by_role("status")).to_have_text("Custom CSS saved.")
        # Shown inside the section saved, where the redirect scrolls, not at the top out of sight.
        expect(page.locator("#css").get_by_role("status")).to_be_in_viewport()
        page.locator("#mf-password").fill("open sesame 42")
        page.get_by_role("button", name="Make private").click()
        expect(page.get_by_role("status")).to_have_text("Privacy saved.")
        expect(page.locator("#privacy").get_by_role("status")).to_be_in_viewport()
        expect(page.locator("#privacy-state")).to_contain_text("Private.")
        slug = page.locator("#preview-link").get_attribute("href")
        assert slug is not None
        watched.assert_clean()

        door = visitor.new_page()
        outside = _watch(door)
        response = door.goto(slug)
        assert response is not None
        assert response.status == 403
        expect(door.get_by_role("heading", name="This status page is private")).to_be_visible()
        # The owner's stylesheet dresses the door too, from its own file under the strict CSP.
        heading = door.get_by_role("heading", name="This status page is private")
        assert heading.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"
        door.get_by_label("Password").fill("wrong guess")
        door.get_by_role("button", name="View status").click()
        expect(door.locator("#page-password-error")).to_contain_text("not the password")
        door.get_by_label("Password").fill("open sesame 42")
        door.get_by_label("Password").press("Enter")
        door.wait_for_url(f"**{slug}")
        expect(door.locator("#overall-status")).to_be_visible()
        _no_sideways_scroll(door)
        SHOTS.mkdir(parents=True, exist_ok=True)
        door.screenshot(path=str(SHOTS / "status-page-private-opened-390.png"), full_page=True)
        # Chromium logs the meant 403s of the door and the wrong password.
        assert [m for m in outside.console if "403" not in m] == []
        assert outside.errors == []
    finally:
        owner.close()
        visitor.close()
