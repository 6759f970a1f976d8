"""Headless Chromium through two-factor sign-in and the post-downgrade choice (issue 11): set it up
from the settings page by scanning (here: reading) the secret, sign out, sign in with password then
code; and after a downgrade, follow the dashboard's notice to swap which monitors stay active. At
1280 and 390 px, light and dark, without sideways scrolling, console errors or CSP violations.

The session's web-only server in SaaS mode (plans enforced), plans changed with the CLI.
"""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_monitor_ui import (
    CHROMIUM,
    REQUIRE_BROWSER,
    SHOTS,
    _no_sideways_scroll,
    _watch,
    browser,  # noqa: F401 - the module-scoped Chromium fixture
)
from tests.support import PASSWORD, unique_email
from tests.test_cli import run_cli

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER, reason="Chromium not installed"),
]


def _sign_up(page: Page, organization: str) -> str:
    email = unique_email("ui2fa")
    page.goto("/signup")
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organization name").fill(organization)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/dashboard")
    return email


def _code(secret: str, steps_from_now: int) -> str:
    """What the app shows; waits out the last 2 s of a step so the code is still good on arrival."""
    left = 30 - time.time() % 30
    if left < 2:
        time.sleep(left + 0.05)
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_from_now)


def test_set_up_two_factor_then_sign_in_with_password_and_code(
    browser: Browser,  # noqa: F811
    live_server: LiveServer,
) -> None:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    watched = _watch(context.new_page())
    page = watched.page
    try:
        email = _sign_up(page, f"2FA Org {uuid.uuid4().hex[:6]}")
        page.goto("/settings")
        page.get_by_role("link", name="Manage two-factor sign-in").click()
        page.wait_for_url("**/settings/security")
        page.get_by_role("button", name="Set up two-factor sign-in").click()
        expect(page.locator("#setup svg")).to_be_visible()
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "two-factor-setup-1280.png"), full_page=True)
        _no_sideways_scroll(page)

        page.get_by_label("Code", exact=True).fill("000000")
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.locator("#confirm-code-error")).to_contain_text("does not match")
        watched.console.clear()  # the refused code answered 422 on purpose; Chromium logs that
        page.get_by_label("Code", exact=True).fill(_code(secret, 0))
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        codes = page.locator("#recovery-codes li")
        expect(codes).to_have_count(10)
        page.screenshot(path=str(SHOTS / "two-factor-recovery-codes-1280.png"), full_page=True)
        page.get_by_role("link", name="I have saved them").click()
        expect(page.locator("#two-factor")).to_contain_text("10 of 10 recovery codes left")

        page.get_by_role("button", name="Log out").click()
        page.goto("/login?next=/settings/security")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/login/code?next=*")
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        _no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "login-code-1280.png"))
        page.get_by_label("Code from your authenticator app").fill(_code(secret, 1))
        page.keyboard.press("Enter")
        page.wait_for_url("**/settings/security")
        expect(page.locator("#two-factor")).to_contain_text("On since")

        # The same page on a phone, dark.
        page.set_viewport_size({"width": 390, "height": 844})
        page.emulate_media(color_scheme="dark")
        page.reload()
        _no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "two-factor-on-390-dark.png"), full_page=True)
        watched.assert_clean()
    finally:
        context.close()


def test_choose_which_monitors_stay_active_after_a_downgrade(
    browser: Browser,  # noqa: F811
    live_server: LiveServer,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cwd = tmp_path_factory.mktemp("cli")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    watched = _watch(context.new_page())
    page = watched.page
    try:
        organization = f"Keep UI {uuid.uuid4().hex[:6]}"
        _sign_up(page, organization)
        slug = page.request.get("/api/v1/me").json()["organization"]["slug"]
        assert (
            run_cli("org", "set-plan", slug, "business", database_url=database_url, cwd=cwd).returncode == 0
        )
        csrf = next(c["value"] for c in context.cookies() if c["name"] == "statusping_csrf")
        for i in range(7):
            body = {
                "name": f"Backup job {i}",
                "type": "heartbeat",
                "interval_seconds": 3600,
                "grace_seconds": 60,
            }
            made = page.request.post("/api/v1/monitors", data=body, headers={"X-CSRF-Token": csrf})
            assert made.status == 201, made.text()
            time.sleep(0.01)  # distinct creation times: the newest are paused first
        downgrade = run_cli("org", "set-plan", slug, "free", database_url=database_url, cwd=cwd)
        assert downgrade.returncode == 0, downgrade.stderr

        page.goto("/dashboard")
        notice = page.locator("#plan-notice")
        expect(notice).to_contain_text("2 monitors are paused")
        notice.get_by_role("link", name="Choose which to keep").click()
        page.wait_for_url("**/settings/plan/keep")
        counter = page.locator("[data-keep-count]")
        expect(counter).to_have_text("5 of 5 chosen (the plan's limit)")
        newest = page.get_by_label("Backup job 6")
        expect(newest).to_be_disabled()  # the limit is held while 5 are ticked
        page.get_by_label("Backup job 0").uncheck()
        expect(counter).to_have_text("4 of 5 chosen")
        newest.check()
        expect(counter).to_have_text("5 of 5 chosen (the plan's limit)")
        page.screenshot(path=str(SHOTS / "plan-keep-1280.png"), full_page=True)
        page.get_by_role("button", name="Keep these active").click()
        expect(page.get_by_role("status")).to_contain_text("1 monitor resumed, 1 paused by the plan")
        expect(page.get_by_label("Backup job 6")).to_be_checked()
        expect(page.get_by_label("Backup job 0")).not_to_be_checked()

        page.set_viewport_size({"width": 390, "height": 844})
        page.emulate_media(color_scheme="dark")
        page.goto("/dashboard")
        expect(page.locator("#plan-notice")).to_contain_text("2 monitors are paused")
        _no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "plan-notice-390-dark.png"))
        page.goto("/settings/plan/keep")
        _no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "plan-keep-390-dark.png"), full_page=True)
        watched.assert_clean()
    finally:
        context.close()
