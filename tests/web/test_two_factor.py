"""Two-factor sign-in as a person uses it (issue 11): enrol from the security page with a code an
authenticator app computes from the secret shown, then sign in with password and code, in the
browser's HTML flow and through the API; recovery codes work once; used codes cannot be replayed;
wrong codes are throttled like wrong passwords; turning it off needs the password and a code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from statusping.config import Settings
from statusping.services.two_factor_secrets import pending_login_token
from statusping.storage.repositories.accounts import AccountRepository
from tests.conftest import make_client
from tests.support import PASSWORD, signup
from tests.test_cli import run_cli
from tests.web.two_factor_support import enrol, shown_recovery_codes, steady

PENDING = "statusping_2fa_pending"


async def _api_login(client: httpx.AsyncClient, email: str, code: str | None = None) -> httpx.Response:
    body = {"email": email, "password": PASSWORD} | ({"code": code} if code is not None else {})
    return await client.post("/api/v1/auth/login", json=body)


async def test_enrolment_turns_on_only_with_a_code_from_the_secret_shown(
    client: httpx.AsyncClient,
) -> None:
    await signup(client)
    page = await client.get("/settings/security")
    assert page.status_code == 200
    assert "Set up two-factor sign-in" in page.text
    await client.post("/settings/security/setup")
    shown = await client.get("/settings/security")
    assert shown.headers["cache-control"] == "no-store"
    assert "<svg" in shown.text
    assert "style=" not in shown.text.split("<svg", 1)[1].split("</svg>")[0]
    wrong = await client.post("/settings/security/confirm", data={"code": "000000"})
    assert wrong.status_code == 422
    assert "does not match" in wrong.text
    assert "Set up two-factor sign-in" not in wrong.text  # still pending, not on

    enrolled = await enrol(client)  # "start over" with a new key, then the right code
    assert len(set(enrolled.recovery_codes)) == 10
    after = await client.get("/settings/security")
    assert "10 of 10 recovery codes left" in after.text
    assert shown_recovery_codes(after.text) == []  # shown once


async def test_html_login_needs_the_code_after_the_password(app: FastAPI, client: httpx.AsyncClient) -> None:
    me = await signup(client)
    enrolled = await enrol(client)
    email = me["user"]["email"]
    async with make_client(app) as browser:
        step_one = await browser.post(
            "/login", data={"email": email, "password": PASSWORD, "next": "/monitors/new"}
        )
        assert step_one.status_code == 303
        assert step_one.headers["location"] == "/login/code?next=%2Fmonitors%2Fnew"
        assert "statusping_session" not in browser.cookies  # the password alone makes no session
        assert (await browser.get("/dashboard")).status_code == 303
        form = await browser.get(step_one.headers["location"])
        assert 'autocomplete="one-time-code"' in form.text

        wrong = await browser.post("/login/code", data={"code": "123456", "next": "/monitors/new"})
        assert wrong.status_code == 401
        assert "wrong or was already used" in wrong.text
        await steady()
        done = await browser.post("/login/code", data={"code": enrolled.code(), "next": "/monitors/new"})
        assert done.status_code == 303
        assert done.headers["location"] == "/monitors/new"
        assert "statusping_session" in browser.cookies
        assert "statusping_device" in browser.cookies  # the known-device cookie still comes
        assert PENDING not in browser.cookies
        assert (await browser.get("/dashboard")).status_code == 200


async def test_a_used_code_is_refused_within_its_window(app: FastAPI, client: httpx.AsyncClient) -> None:
    me = await signup(client)
    enrolled = await enrol(client)
    email = me["user"]["email"]
    await steady()
    code = enrolled.code()
    async with make_client(app) as first:
        assert (await _api_login(first, email, code)).status_code == 200
    async with make_client(app) as replay:
        again = await _api_login(replay, email, code)
        assert again.status_code == 401
        assert again.json() == {
            "detail": "wrong or already used two-factor code",
            "two_factor_required": True,
        }
        # An older code of the window is refused too once a newer one was used.
        assert (await _api_login(replay, email, enrolled.code(-1))).status_code == 401
        assert (await _api_login(replay, email, enrolled.code(1))).status_code == 200


async def test_api_login_answers_that_a_code_is_required(app: FastAPI, client: httpx.AsyncClient) -> None:
    me = await signup(client)
    await enrol(client)
    async with make_client(app) as api:
        asked = await _api_login(api, me["user"]["email"])
        assert asked.status_code == 401
        assert asked.json() == {"detail": "two-factor code required", "two_factor_required": True}
        assert "statusping_session" not in api.cookies
        wrong_password = await api.post(
            "/api/v1/auth/login", json={"email": me["user"]["email"], "password": "nope-nope-nope"}
        )
        assert wrong_password.status_code == 401
        assert "two_factor_required" not in wrong_password.json()


async def test_a_recovery_code_signs_in_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    me = await signup(client)
    enrolled = await enrol(client)
    email, recovery = me["user"]["email"], enrolled.recovery_codes[3]
    async with make_client(app) as api:
        assert (await _api_login(api, email, recovery.upper().replace("-", " "))).status_code == 200
    async with make_client(app) as api:
        assert (await _api_login(api, email, recovery)).status_code == 401
        assert (await _api_login(api, email, enrolled.recovery_codes[4])).status_code == 200
    page = await client.get("/settings/security")
    assert "8 of 10 recovery codes left" in page.text


async def test_wrong_codes_count_toward_the_login_throttle(app: FastAPI, client: httpx.AsyncClient) -> None:
    me = await signup(client)
    enrolled = await enrol(client)
    async with make_client(app) as attacker:
        for _ in range(10):
            assert (await _api_login(attacker, me["user"]["email"], "111111")).status_code == 401
        await steady()
        limited = await _api_login(attacker, me["user"]["email"], enrolled.code())
        assert limited.status_code == 429
        assert "Retry-After" in limited.headers


async def test_regenerated_recovery_codes_replace_the_old_ones(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await signup(client)
    enrolled = await enrol(client)
    await steady()
    fresh = await client.post("/settings/security/recovery-codes", data={"code": enrolled.code()})
    assert fresh.status_code == 200
    assert fresh.headers["cache-control"] == "no-store"
    new_codes = shown_recovery_codes(fresh.text)
    assert len(new_codes) == 10
    assert not set(new_codes) & set(enrolled.recovery_codes)
    async with make_client(app) as api:
        assert (await _api_login(api, me["user"]["email"], enrolled.recovery_codes[0])).status_code == 401
        assert (await _api_login(api, me["user"]["email"], new_codes[0])).status_code == 200


async def test_turning_it_off_needs_the_password_and_a_code(app: FastAPI, client: httpx.AsyncClient) -> None:
    me = await signup(client)
    enrolled = await enrol(client)
    recovery = enrolled.recovery_codes[0]
    no_password = await client.post(
        "/settings/security/disable", data={"password": "wrong-password", "code": recovery}
    )
    assert no_password.status_code == 422
    assert "Wrong password" in no_password.text
    no_code = await client.post("/settings/security/disable", data={"password": PASSWORD, "code": "999999"})
    assert no_code.status_code == 422
    off = await client.post("/settings/security/disable", data={"password": PASSWORD, "code": recovery})
    assert off.status_code == 303
    assert "Set up two-factor sign-in" in (await client.get("/settings/security")).text
    async with make_client(app) as api:
        assert (await _api_login(api, me["user"]["email"])).status_code == 200


async def test_a_pending_login_expires_after_five_minutes(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    me = await signup(client)
    enrolled = await enrol(client)
    async with app.state.sessionmaker() as db:
        user = await AccountRepository(db).user_by_email(me["user"]["email"])
    assert user is not None
    old = pending_login_token(
        settings.resolved_secret_key, user.id, user.password_hash, datetime.now(UTC) - timedelta(minutes=6)
    )
    forged = pending_login_token("not-our-key", user.id, user.password_hash, datetime.now(UTC))
    for token in (old, forged):
        async with make_client(app) as browser:
            browser.cookies.set(PENDING, token, path="/login")
            await steady()
            answer = await browser.post("/login/code", data={"code": enrolled.code(1)})
            assert answer.status_code == 401
            assert "Enter your password again" in answer.text
            assert "statusping_session" not in browser.cookies


async def test_an_operator_can_turn_it_off_for_someone_who_lost_everything(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    me = await signup(client)
    await enrol(client)
    email = me["user"]["email"]
    reset = run_cli(
        "user", "reset-two-factor", "--email", email.upper(), database_url=database_url, cwd=tmp_path
    )
    assert reset.returncode == 0, reset.stderr
    assert "is off for" in reset.stdout
    async with make_client(app) as api:
        assert (await _api_login(api, email)).status_code == 200  # the password alone again
    missing = run_cli(
        "user", "reset-two-factor", "--email", "nobody@example.com", database_url=database_url, cwd=tmp_path
    )
    assert missing.returncode != 0
    assert "no user with email" in missing.stderr
