from __future__ import annotations

import httpx

from tests.support import PASSWORD, login, signup, unique_email


async def test_login_is_rate_limited_after_ten_failures(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await signup(client, email=email)
    client.cookies.clear()
    for _ in range(10):
        assert (await login(client, email, "wrong password")).status_code == 401
    blocked = await login(client, email, PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert "Too many" in blocked.json()["detail"]


async def test_failures_from_one_address_block_other_emails_from_it(
    client: httpx.AsyncClient,
) -> None:
    for _ in range(10):
        assert (await login(client, unique_email(), "wrong password")).status_code == 401
    assert (await login(client, unique_email(), "wrong password")).status_code == 429


async def test_password_reset_requests_are_rate_limited(client: httpx.AsyncClient) -> None:
    email = unique_email()
    for _ in range(10):
        response = await client.post("/api/v1/auth/password-reset", json={"email": email})
        assert response.status_code == 202
    response = await client.post("/api/v1/auth/password-reset", json={"email": email})
    assert response.status_code == 429
