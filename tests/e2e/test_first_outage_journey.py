"""The journey issue 9 names, in one browser session against a real `statusping serve` with its engine
and a real SMTP server: sign up → add an http monitor with the form → it turns up → the target fails →
the open dashboard's row turns down without a reload and the default channel's email arrives → the
alert's link opens the monitor page with the incident → recovery closes it.

No channel is set up by the test: the email reaching the new owner is the point (sign-up creates it).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import free_port
from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.e2e.test_dashboard_live import Switchable, target  # noqa: F401 (module fixture)
from tests.e2e.test_monitor_ui import (
    CHROMIUM,
    PASSWORD,
    REQUIRE_BROWSER,
    _watch,
    browser,  # noqa: F401 (the module-scoped Chromium fixture)
)
from tests.support import SmtpSink

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
def journey_server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, mail: SmtpSink
) -> Iterator[LiveServer]:
    env = {
        "STATUSPING_MODE": "selfhosted",
        "STATUSPING_MIN_INTERVAL_SECONDS": "1",
        "STATUSPING_SMTP_HOST": "127.0.0.1",
        "STATUSPING_SMTP_PORT": str(mail.port),
        "STATUSPING_SMTP_STARTTLS": "false",
    }
    if database_url.startswith("postgresql"):
        env["STATUSPING_DATABASE_URL"] = database_url
    server = start_server(tmp_path_factory.mktemp("journey"), env)
    try:
        yield server
    finally:
        stop_server(server)


def _mail_to(sink: SmtpSink, address: str, subject_part: str, page: Page) -> EmailMessage:
    for _ in range(300):
        for message in sink.messages:
            if message["To"] and address in message["To"] and subject_part in (message["Subject"] or ""):
                return message
        page.wait_for_timeout(100)
    subjects = [(m["To"], m["Subject"]) for m in sink.messages]
    raise AssertionError(f"no email to {address} with {subject_part!r}; got {subjects}")


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_new_owner_is_told_of_the_first_outage_and_follows_the_alert_to_the_incident(
    browser: Browser,  # noqa: F811
    journey_server: LiveServer,
    target: Switchable,  # noqa: F811
    mail: SmtpSink,
) -> None:
    context = browser.new_context(base_url=journey_server.url, viewport={"width": 1280, "height": 900})
    watched = _watch(context.new_page())
    page = watched.page
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    try:
        page.goto("/signup")
        page.wait_for_function("() => window.htmx !== undefined")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Organization name").fill(f"Journey {uuid.uuid4().hex[:6]}")
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url("**/dashboard")

        target.status = 200
        page.get_by_role("link", name="Add monitor").first.click()
        page.wait_for_url("**/monitors/new")
        page.get_by_label("Name").fill("Checkout")
        page.get_by_label("URL").fill(target.url + "?journey")
        page.get_by_label("Check every (seconds)").fill("2")
        page.get_by_label("Retry every (seconds) while failing").fill("1")
        page.get_by_label("Timeout (seconds)").fill("1")
        page.get_by_label("Failed checks before down").fill("2")
        page.get_by_role("button", name="Create monitor").click()
        page.wait_for_url(re.compile(r".*/monitors/[0-9a-f-]{36}$"), timeout=10000)
        monitor_path = "/monitors/" + page.url.rsplit("/", 1)[1]

        page.goto("/dashboard")
        row = page.locator(f'tr[data-monitor-id="{monitor_path.rsplit("/", 1)[1]}"]')
        expect(row).to_have_attribute("data-status", "up", timeout=15000)
        expect(page.locator("[data-dashboard]")).to_have_attribute("data-live", "open")
        page.evaluate("() => { window.notReloaded = true; }")

        target.status = 503
        expect(row).to_have_attribute("data-status", "down", timeout=15000)
        assert page.evaluate("() => window.notReloaded === true")

        alert = _mail_to(mail, email, "DOWN", page)
        links = re.findall(r"https?://\S+/monitors/[0-9a-f-]{36}", _text_of(alert))
        assert links, _text_of(alert)
        assert links[0].endswith(monitor_path)
        page.goto(links[0])
        expect(page.locator("#monitor-status")).to_have_attribute("data-status", "down")
        expect(page.locator("#incidents tbody tr")).to_have_count(1)
        expect(page.locator("#incidents tbody tr").first).to_contain_text("ongoing")

        target.status = 200
        _mail_to(mail, email, "UP", page)
        page.reload()
        expect(page.locator("#monitor-status")).to_have_attribute("data-status", "up")
        expect(page.locator("#incidents tbody tr").first).not_to_contain_text("ongoing")
        watched.assert_clean()
    finally:
        target.status = 200
        context.close()
