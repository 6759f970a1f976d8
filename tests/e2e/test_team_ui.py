"""Headless Chromium through the team: the owner invites a viewer from /settings/team with the
keyboard, the invitation arrives by real SMTP, the viewer follows the link on a phone, chooses a
password and lands on a read-only dashboard; then a member of two organizations switches between
them from the header. Both widths and both colour schemes, without sideways scrolling, console
errors or CSP violations. Screenshots go to $STATUSPING_SCREENSHOTS.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.conftest import free_port
from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.e2e.test_monitor_ui import (
    CHROMIUM,
    REQUIRE_BROWSER,
    SHOTS,
    Watched,
    _no_sideways_scroll,
    _watch,
    browser,  # noqa: F401 - the module-scoped Chromium fixture
)
from tests.support import PASSWORD, SmtpSink

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER, reason="Chromium not installed"),
]


@pytest.fixture(scope="module")
def mail() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="module")
def team_server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, mail: SmtpSink
) -> Iterator[LiveServer]:
    env = {
        "STATUSPING_MODE": "selfhosted",  # every feature: the team limit is the API tests' business
        "STATUSPING_SMTP_HOST": "127.0.0.1",
        "STATUSPING_SMTP_PORT": str(mail.port),
        "STATUSPING_SMTP_STARTTLS": "false",
    }
    if database_url.startswith("postgresql"):
        env["STATUSPING_DATABASE_URL"] = database_url
    server = start_server(tmp_path_factory.mktemp("team-ui"), env, "--no-engine")
    try:
        yield server
    finally:
        stop_server(server)


def _invitation_link(sink: SmtpSink, address: str, page: Page) -> str:
    for _ in range(300):
        for message in sink.messages:
            if message["To"] and address in message["To"]:
                return _link_in(message)
        page.wait_for_timeout(100)
    raise AssertionError(f"no invitation to {address}; got {[m['To'] for m in sink.messages]}")


def _link_in(message: EmailMessage) -> str:
    found = re.search(r"https?://\S+/invitations/\S+", message.get_content())
    assert found, message.get_content()
    return found.group(0)


def _sign_up(page: Page, email: str, organization: str) -> None:
    page.goto("/signup")
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organization name").fill(organization)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/dashboard")


def _csrf(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "statusping_csrf")


def _shoot(watched: Watched, name: str) -> None:
    page = watched.page
    _no_sideways_scroll(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"team-{name}.png"), full_page=True)


def _clean(watched: Watched, *expected_statuses: int) -> None:
    """No script errors or CSP reports; a refused form's own status (the browser logs every 4xx)
    is expected where the test caused it."""
    assert not watched.errors, watched.errors
    expected = tuple(f"status of {code} " for code in expected_statuses)
    problems = [
        m
        for m in watched.console
        if (m.startswith("error") or "Content Security Policy" in m) and not any(e in m for e in expected)
    ]
    assert not problems, problems


def test_an_invited_viewer_joins_from_the_email_and_sees_a_read_only_dashboard(
    browser: Browser,  # noqa: F811
    team_server: LiveServer,
    mail: SmtpSink,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    org = f"Team {suffix}"
    viewer_email = f"viewer-{suffix}@example.com"
    owner_ctx = browser.new_context(base_url=team_server.url, viewport={"width": 1280, "height": 900})
    owner = _watch(owner_ctx.new_page())
    phone_ctx = browser.new_context(
        base_url=team_server.url, viewport={"width": 390, "height": 844}, color_scheme="dark"
    )
    viewer = _watch(phone_ctx.new_page())
    try:
        page = owner.page
        _sign_up(page, f"owner-{suffix}@example.com", org)
        made = page.request.post(
            "/api/v1/monitors",
            data={
                "name": "Nightly backup",
                "type": "heartbeat",
                "interval_seconds": 3600,
                "grace_seconds": 600,
            },
            headers={"X-CSRF-Token": _csrf(owner_ctx)},
        )
        assert made.status == 201, made.text()

        page.goto("/settings")
        page.get_by_role("link", name="Manage the team").click()
        page.wait_for_url("**/settings/team")
        # By keyboard: the address, the role (arrow keys in the radio group), Enter to send.
        page.get_by_label("Email").focus()
        page.keyboard.type(viewer_email)
        page.get_by_label("Admin: everything except billing and ownership").focus()
        page.keyboard.press("ArrowDown")
        expect(page.get_by_label("Viewer: can look, cannot change anything")).to_be_checked()
        page.get_by_label("Email").focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/settings/team?saved=invited")
        expect(page.get_by_role("status")).to_contain_text("Invitation sent")
        expect(page.locator(f'[data-invitation="{viewer_email}"]')).to_contain_text("Viewer")
        _shoot(owner, "owner-1280-light")

        link = _invitation_link(mail, viewer_email, page)
        phone = viewer.page
        phone.goto(link)
        expect(phone.get_by_role("heading", name=f"Join {org}")).to_be_visible()
        _shoot(viewer, "invitation-390-dark")
        phone.get_by_label("Choose a password").fill("short")
        phone.get_by_role("button", name="Create account and join").click()
        expect(phone.locator("#accept-password-error")).to_be_visible()
        phone.get_by_label("Choose a password").fill(PASSWORD)
        phone.get_by_role("button", name="Create account and join").click()
        phone.wait_for_url("**/dashboard")
        expect(phone.get_by_text("Nightly backup").first).to_be_visible()
        expect(phone.get_by_role("link", name="Add monitor")).to_have_count(0)
        _shoot(viewer, "viewer-dashboard-390-dark")

        phone.goto("/settings/team")
        expect(phone.get_by_role("heading", name="Invite someone")).to_have_count(0)
        expect(phone.locator(f'[data-member="{viewer_email}"]')).to_contain_text("(you)")
        _shoot(viewer, "viewer-team-390-dark")
        # The link is spent now: it says so instead of offering a second account.
        phone.goto(link)
        expect(phone.locator("#invitation-problem")).to_contain_text("already been used")

        page.reload()
        expect(page.locator(f'[data-member="{viewer_email}"]')).to_contain_text("Viewer")
        expect(page.locator("#invitations")).to_have_count(0)
        page.emulate_media(color_scheme="dark")
        # Removing asks first: the keyboard opens the confirmation in place.
        member = page.locator(f'[data-member="{viewer_email}"]')
        member.locator("summary", has_text="Remove").focus()
        page.keyboard.press("Enter")
        expect(member.get_by_role("button", name=f"Remove {viewer_email}")).to_be_visible()
        _shoot(owner, "owner-1280-dark")
        page.set_viewport_size({"width": 390, "height": 844})
        _shoot(owner, "owner-390-dark")
        _clean(owner)
        _clean(viewer, 422, 410)  # the short password, the spent link
    finally:
        owner_ctx.close()
        phone_ctx.close()


def test_a_member_of_two_organizations_switches_from_the_header(
    browser: Browser,  # noqa: F811
    team_server: LiveServer,
    mail: SmtpSink,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    pat_email = f"pat-{suffix}@example.com"
    pat_ctx = browser.new_context(base_url=team_server.url, viewport={"width": 1280, "height": 900})
    pat = _watch(pat_ctx.new_page())
    other_ctx = browser.new_context(base_url=team_server.url, viewport={"width": 1280, "height": 900})
    other = other_ctx.new_page()
    try:
        _sign_up(pat.page, pat_email, f"Pat's Shop {suffix}")
        _sign_up(other, f"sam-{suffix}@example.com", f"Globex {suffix}")
        sent = other.request.post(
            "/api/v1/invitations",
            data={"email": pat_email, "role": "admin"},
            headers={"X-CSRF-Token": _csrf(other_ctx)},
        )
        assert sent.status == 201, sent.text()

        page = pat.page
        page.goto(_invitation_link(mail, pat_email, page))
        page.get_by_role("button", name=f"Join Globex {suffix}").click()
        page.wait_for_url("**/dashboard")
        switcher = page.locator("[data-org-switcher] summary")
        expect(switcher).to_contain_text(f"Globex {suffix}")
        # By keyboard: open the switcher, Tab to the other organization (listed first: oldest
        # membership first), Enter.
        switcher.focus()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_contain_text(f"Pat's Shop {suffix}")
        _shoot(pat, "switcher-1280-light")
        page.keyboard.press("Enter")
        page.wait_for_url("**/dashboard")
        expect(switcher).to_contain_text(f"Pat's Shop {suffix}")
        page.set_viewport_size({"width": 390, "height": 844})
        _shoot(pat, "switcher-390-light")
        _clean(pat)
    finally:
        pat_ctx.close()
        other_ctx.close()
