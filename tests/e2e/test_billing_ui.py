"""Headless Chromium through billing: "Choose Pro" on the landing page, sign-up, the one-click
confirmation on /settings, on to Stripe Checkout; Stripe's event makes it Pro; "Manage billing"
opens the portal; a failed payment shows its warning. Stripe's pages are stood in for at their
addresses (the browser never leaves the machine) and its API by tests/stripe_fake.py. No console
errors and no CSP violations: a form cannot be redirected off-site under form-action 'self', which
is why the buttons answer a page that moves on. Screenshots go to $STATUSPING_SCREENSHOTS.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect

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
from tests.stripe_fake import (
    FakeStripe,
    billing_settings,
    checkout_completed,
    event,
    failed_invoice,
    post_event,
    threaded_fake_stripe,
)
from tests.support import PASSWORD, unique_email

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER, reason="Chromium not installed"),
]
STRIPE_PAGES = ("https://checkout.stripe.test/**", "https://billing.stripe.test/**")


@pytest.fixture(scope="module")
def fake_stripe() -> Iterator[FakeStripe]:
    with threaded_fake_stripe() as fake:
        yield fake


@pytest.fixture(scope="module")
def billing_server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, fake_stripe: FakeStripe
) -> Iterator[LiveServer]:
    env = {f"STATUSPING_{k.upper()}": str(v) for k, v in billing_settings(fake_stripe).items()}
    if database_url.startswith("postgresql"):
        env["STATUSPING_DATABASE_URL"] = database_url
    server = start_server(tmp_path_factory.mktemp("billing-ui"), env, "--no-engine")
    try:
        yield server
    finally:
        stop_server(server)


def _stand_in(route: Route) -> None:
    route.fulfill(status=200, content_type="text/html", body="<h1>Stripe (stand-in)</h1>")


@pytest.fixture(params=[(1280, "light"), (390, "dark")], ids=["desktop-light", "phone-dark"])
def watched(
    request: pytest.FixtureRequest,
    browser: Browser,  # noqa: F811 - the imported fixture
    billing_server: LiveServer,
) -> Iterator[Watched]:
    width, scheme = request.param
    context = browser.new_context(
        base_url=billing_server.url, viewport={"width": width, "height": 900}, color_scheme=scheme
    )
    for pattern in STRIPE_PAGES:
        context.route(pattern, _stand_in)
    try:
        yield _watch(context.new_page())
    finally:
        context.close()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"billing-{name}.png"), full_page=True)


def test_choose_pro_signs_up_checks_out_and_manages_billing(
    watched: Watched, billing_server: LiveServer, fake_stripe: FakeStripe, request: pytest.FixtureRequest
) -> None:
    page, label = watched.page, request.node.callspec.id
    page.goto("/")
    page.locator('a[href="/signup?plan=pro"]').click()
    page.get_by_label("Email").fill(unique_email("billing"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organization name").fill(f"Billing {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url("**/settings?checkout=pro*")
    confirm = page.get_by_role("button", name="Continue to secure checkout")
    expect(confirm).to_be_visible()
    _no_sideways_scroll(page)
    _shot(page, f"chosen-{label}")
    confirm.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("https://checkout.stripe.test/c/pay/**")
    assert fake_stripe.calls[-1].params["line_items[0][price]"] == "price_test_pro"

    org_id = page.request.get(f"{billing_server.url}/api/v1/me").json()["organization"]["id"]
    customer, sub = f"cus_{uuid.uuid4().hex[:8]}", f"sub_{uuid.uuid4().hex[:8]}"
    t = int(time.time())
    paid = checkout_completed(org_id, customer=customer, sub_id=sub, plan="pro")
    assert (
        post_event(billing_server.url, event("checkout.session.completed", paid, created=t)).status_code
        == 200
    )
    page.goto(f"{billing_server.url}/settings?billing=success")
    expect(page.locator("#plan")).to_contain_text("You are on the Pro plan")
    expect(page.locator("#plan")).to_contain_text("Thank you!")

    unpaid = failed_invoice(customer=customer, sub_id=sub)
    assert (
        post_event(billing_server.url, event("invoice.payment_failed", unpaid, created=t + 1)).status_code
        == 200
    )
    page.reload()
    expect(page.locator("#billing-warning")).to_contain_text("Your last payment failed.")
    _no_sideways_scroll(page)
    _shot(page, f"grace-{label}")
    page.get_by_role("button", name="Manage billing").click()
    page.wait_for_url("https://billing.stripe.test/p/session/**")
    assert fake_stripe.calls[-1].params["customer"] == customer
    watched.assert_clean()
