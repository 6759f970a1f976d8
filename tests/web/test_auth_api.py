from __future__ import annotations

import httpx
import pytest

from tests.support import PASSWORD, login, signup, unique_email


async def test_signup_sets_an_httponly_session_cookie(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/signup",
        json={"email": unique_email(), "password": PASSWORD, "organization": "Acme Inc"},
    )
    assert response.status_code == 201
    session_cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("statusping_session=")
    )
    assert "httponly" in session_cookie.lower()
    assert "samesite=lax" in session_cookie.lower()
    csrf_cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("statusping_csrf="))
    assert "httponly" not in csrf_cookie.lower()  # scripts must read it to send the header


async def test_me_returns_the_user_and_the_organization_slug(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await signup(client, email=email, organization="Acme Inc")
    me = (await client.get("/api/v1/me")).json()
    assert me["user"]["email"] == email
    assert me["organization"]["slug"] == "acme-inc"
    assert me["organization"]["plan"] == "free"
    assert me["role"] == "owner"


async def test_a_state_change_without_the_csrf_header_is_refused(client: httpx.AsyncClient) -> None:
    await signup(client)
    del client.headers["X-CSRF-Token"]
    response = await client.post("/api/v1/auth/logout")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert (await client.get("/api/v1/me")).status_code == 200  # still signed in


async def test_a_wrong_csrf_header_is_refused(client: httpx.AsyncClient) -> None:
    await signup(client)
    client.headers["X-CSRF-Token"] = "forged"
    assert (await client.post("/api/v1/auth/logout")).status_code == 403


async def test_after_logout_me_is_401(client: httpx.AsyncClient) -> None:
    await signup(client)
    assert (await client.post("/api/v1/auth/logout")).status_code == 204
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_logout_ends_only_that_session(app: object, client: httpx.AsyncClient) -> None:
    from tests.conftest import make_client

    email = unique_email()
    await signup(client, email=email)
    async with make_client(app) as other:  # type: ignore[arg-type]
        assert (await login(other, email)).status_code == 200
        await client.post("/api/v1/auth/logout")
        assert (await other.get("/api/v1/me")).status_code == 200


async def test_a_stolen_cookie_is_useless_after_logout(client: httpx.AsyncClient) -> None:
    await signup(client)
    token = client.cookies["statusping_session"]
    await client.post("/api/v1/auth/logout")
    client.cookies.set("statusping_session", token)
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_me_without_a_session_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/me")).status_code == 401
    client.cookies.set("statusping_session", "nonsense")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_login_with_the_right_password_signs_in(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await signup(client, email=email)
    client.cookies.clear()
    response = await login(client, email.upper())  # emails are case-insensitive
    assert response.status_code == 200
    assert response.json()["user"]["email"] == email
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_a_wrong_password_is_401(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await signup(client, email=email)
    client.cookies.clear()
    response = await login(client, email, "not the password")
    assert response.status_code == 401
    assert response.json() == {"detail": "wrong email or password"}
    assert "statusping_session" not in client.cookies


async def test_an_unknown_email_gets_the_same_401(client: httpx.AsyncClient) -> None:
    response = await login(client, unique_email(), PASSWORD)
    assert response.status_code == 401
    assert response.json() == {"detail": "wrong email or password"}


async def test_a_duplicate_email_is_refused(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await signup(client, email=email)
    again = await client.post(
        "/api/v1/auth/signup",
        json={"email": email.upper(), "password": PASSWORD, "organization": "Other"},
    )
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD, "organization": "Acme"}, "email"),
        ({"email": "not-an-email", "password": PASSWORD, "organization": "Acme"}, "email"),
        ({"email": "a@example.com", "password": "short", "organization": "Acme"}, "password"),
        ({"email": "a@example.com", "password": "x" * 300, "organization": "Acme"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "organization": "   "}, "organization"),
        ({"email": "a@example.com", "password": PASSWORD, "organization": "A" * 150}, "organization"),
        ({"email": "a@example.com", "password": 12345678, "organization": "Acme"}, "password"),
        ({"email": ["a@example.com"], "password": PASSWORD, "organization": "Acme"}, "email"),
    ],
)
async def test_malformed_signup_is_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await client.post("/api/v1/auth/signup", json=body)
    assert response.status_code == 422, response.text
    fields = [e["loc"][-1] for e in response.json()["detail"]]
    assert field in fields
    assert "statusping_session" not in client.cookies


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"[]", b'"a string"', b"null", '{"email": "\u0000"}'.encode()],
)
async def test_garbage_bodies_are_422_not_500(client: httpx.AsyncClient, content: bytes) -> None:
    for path in ("/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/password-reset"):
        response = await client.post(path, content=content, headers={"content-type": "application/json"})
        assert response.status_code == 422, (path, response.text)


async def test_validation_errors_never_echo_the_password(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/signup",
        json={"email": "nope", "password": "hunter2-secret", "organization": "Acme"},
    )
    assert response.status_code == 422
    assert "hunter2-secret" not in response.text


async def test_the_status_page_answers_right_after_signup(client: httpx.AsyncClient) -> None:
    me = await signup(client, organization="Globex Corporation")
    slug = me["organization"]["slug"]
    client.cookies.clear()
    page = await client.get(f"/s/{slug}")
    assert page.status_code == 200
    assert "Globex Corporation" in page.text
    assert "All systems operational" in page.text


async def test_an_unknown_status_page_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/s/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


async def test_slugs_are_unique_and_derived_from_the_name(client: httpx.AsyncClient) -> None:
    from tests.conftest import make_client

    slugs = []
    for name in ["Acme Inc", "ACME inc.", "Café Ünïcode & Co", "日本語"]:
        async with make_client(client._transport.app) as c:  # type: ignore[attr-defined]
            slugs.append((await signup(c, organization=name))["organization"]["slug"])
    assert slugs[0] == "acme-inc"
    assert slugs[1] == "acme-inc-2"
    assert slugs[2] == "cafe-unicode-co"
    assert slugs[3].startswith("org-")
    for slug in slugs:
        assert slug.replace("-", "").isalnum()
        assert slug == slug.lower()


async def test_signup_from_a_foreign_origin_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/signup",
        json={"email": unique_email(), "password": PASSWORD, "organization": "Acme"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "statusping_session" not in client.cookies
    same = await client.post(
        "/api/v1/auth/signup",
        json={"email": unique_email(), "password": PASSWORD, "organization": "Acme"},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 201


async def test_login_from_a_foreign_origin_is_refused(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await signup(client, email=email)
    client.cookies.clear()
    response = await client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"Origin": "null"},
    )
    assert response.status_code == 403


async def test_health_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


async def test_a_csrf_token_planted_as_a_cookie_is_refused(client: httpx.AsyncClient) -> None:
    # A sibling subdomain can set cookies for us; it cannot compute the token of our session.
    await signup(client)
    client.cookies.set("statusping_csrf", "planted-by-a-sibling", domain="testserver")
    client.headers["X-CSRF-Token"] = "planted-by-a-sibling"
    response = await client.post("/api/v1/auth/logout")
    assert response.status_code == 403
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_the_csrf_token_belongs_to_one_session(app: object, client: httpx.AsyncClient) -> None:
    from tests.conftest import make_client

    email = unique_email()
    await signup(client, email=email)
    async with make_client(app) as laptop:  # type: ignore[arg-type]
        assert (await login(laptop, email)).status_code == 200
        assert laptop.cookies["statusping_csrf"] != client.cookies["statusping_csrf"]
        # The laptop's own token works for the laptop, and the phone's does not.
        laptop.headers["X-CSRF-Token"] = client.cookies["statusping_csrf"]
        laptop.cookies.set("statusping_csrf", client.cookies["statusping_csrf"], domain="testserver")
        assert (await laptop.post("/api/v1/auth/logout")).status_code == 403
    assert (await client.post("/api/v1/auth/logout")).status_code == 204


async def test_login_and_signup_set_a_known_device_cookie_scripts_cannot_read(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    response = await client.post(
        "/api/v1/auth/signup", json={"email": email, "password": PASSWORD, "organization": "Acme"}
    )
    device = next(h for h in response.headers.get_list("set-cookie") if h.startswith("statusping_device="))
    assert "httponly" in device.lower()
    client.cookies.clear()
    logged_in = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert any(h.startswith("statusping_device=") for h in logged_in.headers.get_list("set-cookie"))


async def test_no_hsts_on_an_http_install(client: httpx.AsyncClient) -> None:
    assert "strict-transport-security" not in (await client.get("/api/health")).headers


class TestOnHttps:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"base_url": "https://status.example.com"}

    async def test_every_answer_carries_hsts(self, client: httpx.AsyncClient) -> None:
        for path in ("/api/health", "/", "/login", "/api/v1/me"):
            response = await client.get(path)
            assert response.headers["strict-transport-security"] == "max-age=31536000", path


async def test_a_client_with_a_foreign_csrf_cookie_gets_its_sessions_token_on_the_next_read(
    client: httpx.AsyncClient,
) -> None:
    await signup(client)
    own = client.cookies["statusping_csrf"]
    client.cookies.delete("statusping_csrf")
    client.cookies.set("statusping_csrf", "issued-before-binding", domain="testserver.local")
    read = await client.get("/api/v1/me")
    assert read.status_code == 200
    assert client.cookies["statusping_csrf"] == own
    client.headers["X-CSRF-Token"] = client.cookies["statusping_csrf"]
    assert (await client.post("/api/v1/auth/logout")).status_code == 204
