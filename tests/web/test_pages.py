"""The server-rendered pages, as a browser without JavaScript and as htmx use them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from statusping.domain.plans import PLANS
from tests.conftest import make_client
from tests.support import PASSWORD, SmtpSink, signup, unique_email

HTMX = {"HX-Request": "true"}
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink) -> dict[str, object]:
    # Every test here gets a real SMTP server, so the forgot-password pages really send mail.
    return {"smtp_host": "127.0.0.1", "smtp_port": smtp_sink.port, "smtp_starttls": False}


def _csrf_field(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _links(html: str) -> list[str]:
    return re.findall(r'\b(?:src|href|action)="([^"]*)"', html)


def _external_links(html: str) -> list[str]:
    """Every src/href/action that leaves the app (its own base URL http://testserver is fine)."""
    return [
        link
        for link in _links(html)
        if not (link.startswith(("/", "#")) and not link.startswith("//"))
        and not link.startswith("http://testserver/")
    ]


async def _signup_page(
    client: httpx.AsyncClient,
    email: str,
    password: str = PASSWORD,
    organization: str = "Globex Corporation",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    form = await client.get("/signup")
    assert form.status_code == 200
    return await client.post(
        "/signup",
        data={
            "csrf_token": _csrf_field(form.text),
            "email": email,
            "password": password,
            "organization": organization,
        },
        headers=headers,
    )


async def _login_page(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, next: str | None = None
) -> httpx.Response:
    data = {"email": email, "password": password}
    if next is not None:
        data["next"] = next
    return await client.post("/login", data=data)


# Landing page


async def test_it_lists_every_plan_with_its_price_on_the_landing_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    table = re.search(r'<table id="plans".*?</table>', response.text, re.DOTALL)
    assert table, response.text
    for plan in PLANS.values():
        assert plan.title in table.group(0)
        assert f"${plan.price_usd_month}" in table.group(0)
    assert "$14" in table.group(0)


async def test_it_serves_the_landing_page_without_third_party_urls_and_with_a_strict_csp(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert _links(response.text)  # the check below would be empty otherwise
    assert _external_links(response.text) == []
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


# Sign-up


async def test_it_signs_up_without_javascript_and_lands_on_the_dashboard(
    client: httpx.AsyncClient,
) -> None:
    form = await client.get("/signup")
    assert form.status_code == 200
    assert 'name="csrf_token"' in form.text
    response = await client.post(
        "/signup",
        data={
            "csrf_token": _csrf_field(form.text),
            "email": unique_email(),
            "password": PASSWORD,
            "organization": "Globex Corporation",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert any(h.startswith("statusping_session=") for h in response.headers.get_list("set-cookie"))

    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Globex Corporation" in dashboard.text
    slug = (await client.get("/api/v1/me")).json()["organization"]["slug"]
    assert f"/s/{slug}" in dashboard.text
    assert (await client.get(f"/s/{slug}")).status_code == 200


async def test_it_signs_up_with_htmx_and_redirects_through_hx_redirect(
    client: httpx.AsyncClient,
) -> None:
    response = await _signup_page(client, unique_email(), headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/dashboard"
    assert (await client.get("/dashboard")).status_code == 200


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", PASSWORD, "Enter a valid email address."),
        (None, "short", "Password must be at least 8 characters."),
    ],
    ids=["bad email", "short password"],
)
async def test_it_shows_a_sign_up_error_in_place_with_htmx(
    client: httpx.AsyncClient, email: str | None, password: str, message: str
) -> None:
    response = await _signup_page(client, email or unique_email(), password=password, headers=HTMX)
    assert response.status_code == 200  # htmx swaps 2xx responses
    assert "<html" not in response.text
    assert 'id="signup-form"' in response.text
    assert message in response.text
    assert "statusping_session" not in client.cookies


async def test_it_says_in_place_that_an_email_is_taken_with_htmx(app: FastAPI) -> None:
    email = unique_email()
    async with make_client(app) as first:
        await signup(first, email=email)
    async with make_client(app) as second:
        response = await _signup_page(second, email, headers=HTMX)
        assert response.status_code == 200
        assert "<html" not in response.text
        assert "An account with this email already exists." in response.text
        assert "statusping_session" not in second.cookies


async def test_it_rerenders_an_invalid_sign_up_as_a_full_page_keeping_all_but_the_password(
    client: httpx.AsyncClient,
) -> None:
    typed_password = "tiny7"
    response = await _signup_page(
        client, "someone@example.com", password=typed_password, organization="Initech"
    )
    assert response.status_code == 422
    assert "<html" in response.text
    assert "Password must be at least 8 characters." in response.text
    assert 'value="someone@example.com"' in response.text
    assert 'value="Initech"' in response.text
    assert typed_password not in response.text
    assert "statusping_session" not in client.cookies


# Log-in and log-out


async def test_it_refuses_a_wrong_password_on_the_login_page(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await signup(client, email=email)
    client.cookies.clear()
    response = await _login_page(client, email, "not the password")
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert "statusping_session" not in client.cookies


async def test_it_logs_in_and_goes_to_the_local_page_it_was_sent_from(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    await signup(client, email=email)
    client.cookies.clear()
    response = await _login_page(client, email, next="/api/docs")
    assert response.status_code == 303
    assert response.headers["location"] == "/api/docs"
    assert (await client.get("/api/v1/me")).status_code == 200


@pytest.mark.parametrize(
    "next_url", ["https://evil.example", "https://evil.example/dashboard", "//evil.example"]
)
async def test_it_never_redirects_off_site_after_login(client: httpx.AsyncClient, next_url: str) -> None:
    email = unique_email()
    await signup(client, email=email)
    client.cookies.clear()
    response = await _login_page(client, email, next=next_url)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"


async def test_it_sends_a_signed_out_visitor_from_the_dashboard_to_login(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdashboard"
    login = await client.get(response.headers["location"])
    assert login.status_code == 200
    assert 'name="next" value="/dashboard"' in login.text


async def test_it_logs_out_with_the_header_form(client: httpx.AsyncClient) -> None:
    assert (await _signup_page(client, unique_email())).status_code == 303
    dashboard = await client.get("/dashboard")
    assert 'action="/logout"' in dashboard.text
    token = _csrf_field(dashboard.text)
    assert token == client.cookies["statusping_csrf"]

    response = await client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_it_refuses_a_logout_form_without_the_csrf_token(client: httpx.AsyncClient) -> None:
    assert (await _signup_page(client, unique_email())).status_code == 303
    response = await client.post("/logout", data={})
    assert response.status_code == 403
    assert (await client.get("/api/v1/me")).status_code == 200  # still signed in


# Passwords


@pytest.mark.parametrize("known", [True, False], ids=["known email", "unknown email"])
async def test_it_answers_a_forgotten_password_the_same_whether_the_account_exists(
    client: httpx.AsyncClient, known: bool
) -> None:
    email = unique_email()
    if known:
        await signup(client, email=email)
        client.cookies.clear()
    form = await client.get("/forgot-password")
    assert form.status_code == 200
    response = await client.post(
        "/forgot-password", data={"csrf_token": _csrf_field(form.text), "email": email}
    )
    assert response.status_code == 200
    assert "If an account exists" in response.text


async def test_it_says_a_bad_reset_link_is_invalid(client: httpx.AsyncClient) -> None:
    page = await client.get("/reset-password", params={"token": "not-a-real-token"})
    assert page.status_code == 200
    response = await client.post(
        "/reset-password",
        data={"csrf_token": _csrf_field(page.text), "token": "not-a-real-token", "password": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert "This password reset link is invalid or has expired" in response.text
    assert 'href="/forgot-password"' in response.text


async def test_it_resets_a_password_through_the_pages_end_to_end(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    email = unique_email()
    await signup(client, email=email)
    client.cookies.clear()

    form = await client.get("/forgot-password")
    sent = await client.post("/forgot-password", data={"csrf_token": _csrf_field(form.text), "email": email})
    assert "If an account exists" in sent.text
    (message,) = await smtp_sink.wait_for(1)
    assert message["To"] == email
    match = re.search(r"http://testserver/reset-password\?token=[A-Za-z0-9_\-]+", message.get_content())
    assert match, message.get_content()
    link = urlsplit(match.group(0))

    async with make_client(app) as browser:
        page = await browser.get(f"{link.path}?{link.query}")
        assert page.status_code == 200
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token
        done = await browser.post(
            "/reset-password",
            data={"csrf_token": _csrf_field(page.text), "token": token.group(1), "password": NEW_PASSWORD},
        )
        assert done.status_code == 200
        assert "Your password was changed." in done.text

        assert (await _login_page(browser, email, PASSWORD)).status_code == 401
        logged_in = await _login_page(browser, email, NEW_PASSWORD)
        assert logged_in.status_code == 303
        assert logged_in.headers["location"] == "/dashboard"
        assert (await browser.get("/dashboard")).status_code == 200


# API docs, static files and errors


async def test_it_serves_the_api_docs_from_its_own_static_files(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/docs")
    assert response.status_code == 200
    assert "/static/vendor/swagger-ui/" in response.text
    assert _external_links(response.text) == []
    for asset in _links(response.text):
        if asset.startswith("/static/"):
            assert (await client.get(asset)).status_code == 200, asset
    schema = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/auth/signup" in schema["paths"]


@pytest.mark.parametrize("path", ["/static/app.css", "/static/vendor/htmx.min.js"])
async def test_it_serves_the_static_assets(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.content


async def test_it_shows_a_friendly_page_for_an_unknown_address(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text
    assert "Page not found" in response.text
    assert 'href="/"' in response.text


async def test_it_shows_a_friendly_page_for_an_unknown_status_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/s/nobody-here")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "no status page at this address" in response.text


async def test_it_answers_json_for_an_unknown_api_address(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()


async def test_the_dashboard_lists_the_organizations_monitors_with_their_status(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client, organization="Dash Org")
    empty = await client.get("/dashboard")
    assert "No monitors yet" in empty.text
    created = await client.post(
        "/api/v1/monitors",
        json={
            "name": "Checkout API",
            "type": "http",
            "url": "https://example.com/health",
            "interval_seconds": 300,
        },
    )
    assert created.status_code == 201
    await client.post(f"/api/v1/monitors/{created.json()['id']}/pause")
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert "No monitors yet" not in page.text
    table = page.text[page.text.index('<table id="monitors"') :]
    assert "Checkout API" in table
    assert "GET https://example.com/health" in table
    assert 'data-status="paused"' in table
    async with make_client(app) as other:
        await signup(other, organization="Other Org")
        assert "Checkout API" not in (await other.get("/dashboard")).text


class TestSelfHostedDashboard:
    @pytest.fixture
    def settings_overrides(self, smtp_sink: SmtpSink) -> dict[str, object]:
        return {"mode": "selfhosted"}

    async def test_it_shows_self_hosted_instead_of_a_plan(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        page = (await client.get("/dashboard")).text
        assert "self-hosted" in page
        assert "free plan" not in page
