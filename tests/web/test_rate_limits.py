from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

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
    for _ in range(30):
        assert (await login(client, unique_email(), "wrong password")).status_code == 401
    assert (await login(client, unique_email(), "wrong password")).status_code == 429


async def test_password_reset_requests_are_rate_limited(client: httpx.AsyncClient) -> None:
    email = unique_email()
    for _ in range(10):
        response = await client.post("/api/v1/auth/password-reset", json={"email": email})
        assert response.status_code == 202
    response = await client.post("/api/v1/auth/password-reset", json={"email": email})
    assert response.status_code == 429


@asynccontextmanager
async def from_address(app: FastAPI, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser at another client address (the app sees it as ``request.client.host``)."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        yield browser


async def test_an_attacker_failing_fifty_times_from_one_address_does_not_lock_out_the_owner(
    app: FastAPI,
) -> None:
    email = unique_email()
    async with from_address(app, "198.51.100.10") as owner:
        await signup(owner, email=email)  # this browser is now known to the account
        device = owner.cookies["statusping_device"]
        async with from_address(app, "203.0.113.66") as attacker:
            answers = [(await login(attacker, email, f"guess {n}")) for n in range(50)]
            assert [a.status_code for a in answers[:10]] == [401] * 10
            assert {a.status_code for a in answers[10:]} == {429}
            assert 0 < int(answers[-1].headers["Retry-After"]) <= 15 * 60
            # Even the right password waits, from the attacker's address and without the cookie.
            assert (await login(attacker, email, PASSWORD)).status_code == 429

    async with from_address(app, "198.51.100.77") as elsewhere:  # the owner on another network
        assert (await login(elsewhere, email, PASSWORD)).status_code == 200
        assert (await elsewhere.get("/api/v1/me")).json()["user"]["email"] == email
    async with from_address(app, "203.0.113.66") as same_network:  # behind the attacker's NAT
        same_network.cookies.set("statusping_device", device)
        assert (await login(same_network, email, PASSWORD)).status_code == 200


async def test_a_distributed_attack_on_one_email_stops_strangers_but_not_the_owners_browser(
    app: FastAPI,
) -> None:
    email = unique_email()
    async with from_address(app, "198.51.100.10") as owner:
        await signup(owner, email=email)
        device = owner.cookies["statusping_device"]
    async with from_address(app, "198.51.100.11") as neighbour:
        await signup(neighbour, email=unique_email())
        other_accounts_device = neighbour.cookies["statusping_device"]
    for n in range(5):  # 5 addresses x 10 failures: the per-email cap of 50
        async with from_address(app, f"203.0.113.{n + 1}") as bot:
            for _ in range(10):
                assert (await login(bot, email, "wrong password")).status_code == 401
    forged = device.rsplit(".", 1)[0] + ".0000"
    for cookie in (None, forged, other_accounts_device):  # no, a forged, another account's cookie
        async with from_address(app, "192.0.2.99") as stranger:
            if cookie:
                stranger.cookies.set("statusping_device", cookie)
            refused = await login(stranger, email, PASSWORD)
            assert refused.status_code == 429
            assert int(refused.headers["Retry-After"]) > 0
    async with from_address(app, "192.0.2.99") as owners_laptop:
        owners_laptop.cookies.set("statusping_device", device)
        assert (await login(owners_laptop, email, PASSWORD)).status_code == 200


async def test_a_browser_with_a_stolen_device_cookie_is_throttled_on_its_own(app: FastAPI) -> None:
    email = unique_email()
    async with from_address(app, "198.51.100.10") as owner:
        await signup(owner, email=email)
        device = owner.cookies["statusping_device"]
    async with from_address(app, "203.0.113.9") as thief:
        thief.cookies.set("statusping_device", device)
        for _ in range(10):
            assert (await login(thief, email, "wrong password")).status_code == 401
        assert (await login(thief, email, "wrong password")).status_code == 429


async def test_signups_are_rate_limited_per_address(app: FastAPI) -> None:
    async with from_address(app, "198.51.100.20") as busy:
        for _ in range(19):
            await signup(busy)
            busy.cookies.clear()
        # A refused attempt counts too: probing which emails have accounts costs the same.
        taken = await busy.post(
            "/api/v1/auth/signup",
            json={"email": "nobody@example.com", "password": "12345678", "organization": "X"},
        )
        assert taken.status_code == 422
        refused = await busy.post(
            "/api/v1/auth/signup",
            json={"email": unique_email(), "password": PASSWORD, "organization": "Acme"},
        )
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 3600
        assert "Too many sign-ups" in refused.json()["detail"]
    async with from_address(app, "198.51.100.21") as other:
        await signup(other)


async def test_password_changes_are_rate_limited_per_user(client: httpx.AsyncClient) -> None:
    await signup(client)
    for _ in range(10):
        response = await client.post(
            "/api/v1/auth/password",
            json={"current_password": "not my password", "new_password": "a brand new passphrase"},
        )
        assert response.status_code == 422
    refused = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
