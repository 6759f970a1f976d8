"""A posted incident on the public page and the history in Chromium: 1280 and 390 px, light and dark."""

from __future__ import annotations

import os
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
    _watch,
    browser,
    playwright,
)
from tests.support import PASSWORD, unique_email

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRE_BROWSER, reason=MISSING_BROWSER),
]
SHOTS = Path(os.environ.get("STATUSPING_SCREENSHOTS", "/tmp/statusping-shots"))
MESSAGE = (
    "Card payments fail for **some customers** since 14:05.\n\n"
    "- Orders are kept and retried\n- PayPal works\n\n"
    "Follow [our provider's status](https://provider.example/status). <script>alert(1)</script>"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[LiveServer]:
    workdir: Path = tmp_path_factory.mktemp("status-incidents-ui")
    env = {"STATUSPING_DATABASE_URL": database_url, "STATUSPING_ALLOW_PRIVATE_TARGETS": "true"}
    live = start_server(workdir, env, "--no-engine")
    try:
        yield live
    finally:
        stop_server(live)


@pytest.fixture(scope="module")
def slug(server: LiveServer) -> str:
    """A page with two public components and an open incident with two updates."""
    with httpx.Client(base_url=server.url) as client:
        response = client.post(
            "/api/v1/auth/signup",
            json={"email": unique_email(), "password": PASSWORD, "organization": "Incident Shop"},
        )
        assert response.status_code == 201, response.text
        client.headers["X-CSRF-Token"] = client.cookies["statusping_csrf"]
        ids = []
        for name in ("Checkout", "Storefront"):
            created = client.post(
                "/api/v1/monitors",
                json={"name": name, "type": "tcp", "host": "127.0.0.1", "port": free_port(),
                      "interval_seconds": 300, "public": True},
            )  # fmt: skip
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        (page,) = client.get("/api/v1/status-pages").json()
        incident = client.post(
            f"/api/v1/status-pages/{page['id']}/incidents",
            json={"title": "Card payments failing at checkout", "status": "investigating",
                  "impact": "major", "message": MESSAGE, "monitor_ids": [ids[0]]},
        )  # fmt: skip
        assert incident.status_code == 201, incident.text
        update = client.post(
            f"/api/v1/status-pages/{page['id']}/incidents/{incident.json()['id']}/updates",
            json={"status": "identified", "message": "Our card processor has an outage; we are switching."},
        )
        assert update.status_code == 201, update.text
        found: str = page["slug"]
        return found


@pytest.mark.parametrize(
    ("width", "scheme"), [(1280, "light"), (1280, "dark"), (390, "light"), (390, "dark")]
)
def test_the_incident_and_its_timeline_read_well_everywhere(
    browser: Browser,  # noqa: F811
    server: LiveServer,
    slug: str,
    width: int,
    scheme: str,
) -> None:
    context = browser.new_context(
        base_url=server.url,
        color_scheme=scheme,  # type: ignore[arg-type]
        viewport={"width": width, "height": 900},
    )
    try:
        watched = _watch(context.new_page())
        page = watched.page
        page.goto(f"/s/{slug}")

        expect(page.locator("#overall-status")).to_have_attribute("data-status", "partial_outage")
        card = page.locator("[data-posted-incident-id]")
        expect(card.get_by_role("heading", name="Card payments failing at checkout")).to_be_visible()
        expect(card).to_contain_text("Affects Checkout")
        expect(card.locator("[data-update-status]")).to_have_count(2)
        expect(card.locator("strong", has_text="some customers")).to_be_visible()
        link = card.get_by_role("link", name="our provider's status")
        expect(link).to_have_attribute("rel", "nofollow noopener noreferrer")
        expect(card).to_contain_text("<script>alert(1)</script>")  # shown as text, never run
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"status-incident-{width}-{scheme}.png"), full_page=True)

        page.get_by_role("link", name="Incident history").click()
        expect(page.get_by_role("heading", name="Incident history")).to_be_visible()
        expect(page.locator("[data-posted-incident-id]")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"status-history-{width}-{scheme}.png"), full_page=True)
        watched.assert_clean()
    finally:
        context.close()
