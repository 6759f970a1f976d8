from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import make_client
from tests.support import PASSWORD, SmtpSink, login, signup, unique_email

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink) -> dict[str, object]:
    return {"smtp_host": "127.0.0.1", "smtp_port": smtp_sink.port, "smtp_starttls": False}


def _reset_token(text: str) -> str:
    match = re.search(r"http://testserver/reset-password\?token=([A-Za-z0-9_\-]+)", text)
    assert match, text
    return match.group(1)


async def test_a_password_reset_link_arrives_by_email_and_works(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    email = unique_email()
    await signup(client, email=email)
    response = await client.post("/api/v1/auth/password-reset", json={"email": email})
    assert response.status_code == 202

    (message,) = await smtp_sink.wait_for(1)
    assert message["To"] == email
    assert "Reset your StatusPing password" in message["Subject"]
    token = _reset_token(message.get_content())

    async with make_client(app) as stranger:
        confirm = await stranger.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
        )
        assert confirm.status_code == 200
        # The reset ended every session, including the one that asked for it.
        assert (await client.get("/api/v1/me")).status_code == 401
        assert (await login(stranger, email, PASSWORD)).status_code == 401
        assert (await login(stranger, email, NEW_PASSWORD)).status_code == 200
        # A link works once.
        again = await stranger.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "yet another one"}
        )
        assert again.status_code == 422
        assert "invalid or has expired" in again.text


async def test_a_reset_for_an_unknown_email_is_accepted_and_sends_nothing(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    response = await client.post("/api/v1/auth/password-reset", json={"email": unique_email()})
    assert response.status_code == 202
    with pytest.raises(AssertionError):
        await smtp_sink.wait_for(1, within=0.5)


async def test_a_made_up_reset_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": "made-up", "password": NEW_PASSWORD}
    )
    assert response.status_code == 422


async def test_a_reset_with_a_too_short_password_keeps_the_link_usable(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    email = unique_email()
    await signup(client, email=email)
    await client.post("/api/v1/auth/password-reset", json={"email": email})
    token = _reset_token((await smtp_sink.wait_for(1))[0].get_content())
    short = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "short"}
    )
    assert short.status_code == 422
    ok = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert ok.status_code == 200


async def test_changing_the_password_ends_every_other_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    email = unique_email()
    await signup(client, email=email)
    async with make_client(app) as laptop:
        assert (await login(laptop, email)).status_code == 200
        response = await client.post(
            "/api/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        )
        assert response.status_code == 200
        client.headers["X-CSRF-Token"] = client.cookies["statusping_csrf"]
        assert (await laptop.get("/api/v1/me")).status_code == 401
        assert (await client.get("/api/v1/me")).status_code == 200  # the changer got a new session
        assert (await login(laptop, email, NEW_PASSWORD)).status_code == 200


async def test_changing_the_password_needs_the_current_one(client: httpx.AsyncClient) -> None:
    await signup(client)
    response = await client.post(
        "/api/v1/auth/password",
        json={"current_password": "guess", "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert (await client.get("/api/v1/me")).status_code == 200


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][-1] in {"password", "new_password"}
    message: str = error["msg"]
    return message


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "too easy to guess: this is a top-10 common password"),
        ("password", "too easy to guess: this is a top-10 common password"),
        ("{email}", "must not be your email address or organization name"),
        ("{local}", "must not be your email address or organization name"),
        ("Globex Corporation", "must not be your email address or organization name"),
    ],
)
async def test_signup_refuses_common_passwords_and_the_users_own_email_saying_why(
    client: httpx.AsyncClient, password: str, reason: str
) -> None:
    email = unique_email("fox.mulder")
    response = await client.post(
        "/api/v1/auth/signup",
        json={
            "email": email,
            "password": password.format(email=email, local=email.split("@")[0]),
            "organization": "Globex Corporation",
        },
    )
    assert reason in _refusal(response)
    assert "statusping_session" not in client.cookies


async def test_changing_and_resetting_refuse_a_guessable_password_too(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    email = unique_email()
    await signup(client, email=email, organization="Initech")
    changed = await client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": email}
    )
    assert "your email address" in _refusal(changed)
    await client.post("/api/v1/auth/password-reset", json={"email": email})
    token = _reset_token((await smtp_sink.wait_for(1))[0].get_content())
    reset = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "12345678"}
    )
    assert "top-10 common password" in _refusal(reset)
    assert (await login(client, email, PASSWORD)).status_code == 200  # nothing changed


async def test_a_reset_link_issued_before_a_password_change_is_void_after_it(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    email = unique_email()
    await signup(client, email=email)
    # Someone who read the mailbox asks for a link; the owner then changes the password.
    await client.post("/api/v1/auth/password-reset", json={"email": email})
    token = _reset_token((await smtp_sink.wait_for(1))[0].get_content())
    changed = await client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 200
    stale = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "attacker's choice 42"}
    )
    assert stale.status_code == 422
    assert "invalid or has expired" in stale.text
    assert (await login(client, email, NEW_PASSWORD)).status_code == 200


async def test_the_sign_up_page_says_why_a_password_is_refused(client: httpx.AsyncClient) -> None:
    page = await client.get("/signup")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    response = await client.post(
        "/signup",
        data={
            "csrf_token": csrf.group(1),
            "email": unique_email(),
            "password": "password",
            "organization": "Acme",
        },
    )
    assert response.status_code == 422
    assert "Password is too easy to guess: this is a top-10 common password." in response.text
