"""An owner can require two-factor sign-in for the organization (issue 11): only with it on
themselves; members without it are then sent to set it up before they can use the dashboard or the
API with their session, while API keys keep working; and they cannot turn it off again.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from statusping.services import accounts
from tests.conftest import make_client
from tests.support import PASSWORD, login, signup, unique_email
from tests.web.test_api_keys import set_plan
from tests.web.two_factor_support import enrol


async def _member(app: FastAPI, org_name: str) -> str:
    """A second person in the organization (the CLI's way of adding one: an admin)."""
    email = unique_email("member")
    async with app.state.sessionmaker() as db, db.begin():
        await accounts.create_user(db, email=email, password=PASSWORD, org_name=org_name)
    return email


async def test_only_an_owner_with_two_factor_can_require_it(app: FastAPI, client: httpx.AsyncClient) -> None:
    me = await signup(client, organization="Strict Co")
    member_email = await _member(app, me["organization"]["name"])
    async with make_client(app) as member:
        assert (await login(member, member_email)).status_code == 200
        await enrol(member)
        admin_try = await member.patch("/api/v1/organization", json={"require_two_factor": True})
        assert admin_try.status_code == 403
        assert "only the owner" in admin_try.json()["detail"]

    refused = await client.patch("/api/v1/organization", json={"require_two_factor": True})
    assert refused.status_code == 403
    assert "for yourself first" in refused.json()["detail"]
    await enrol(client)
    allowed = await client.patch("/api/v1/organization", json={"require_two_factor": True})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["require_two_factor"] is True
    assert allowed.json()["timezone"] == "UTC"  # fields not sent are left alone
    off = await client.patch(
        "/api/v1/organization", json={"require_two_factor": False, "timezone": "Europe/Berlin"}
    )
    assert off.json()["require_two_factor"] is False
    assert off.json()["timezone"] == "Europe/Berlin"


async def test_a_member_without_two_factor_is_sent_to_set_it_up(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await signup(client, organization="Careful Ltd")
    await set_plan(app, me["organization"]["slug"], "business")
    await enrol(client)
    member_email = await _member(app, me["organization"]["name"])
    async with make_client(app) as member:
        assert (await login(member, member_email)).status_code == 200
        key = await member.post("/api/v1/api-keys", json={"name": "CI", "scope": "read"})
        assert key.status_code == 201, key.text

    form = await client.post("/settings/security/organization", data={"require_two_factor": "on"})
    assert form.status_code == 303
    assert "Every member now needs" in (await client.get(form.headers["location"])).text
    assert (await client.get("/dashboard")).status_code == 200  # the owner has it on

    async with make_client(app) as member:
        assert (await login(member, member_email)).status_code == 200  # may still sign in
        dashboard = await member.get("/dashboard")
        assert dashboard.status_code == 303
        assert dashboard.headers["location"] == "/settings/security"
        api = await member.get("/api/v1/monitors")
        assert api.status_code == 403
        assert "requires two-factor sign-in" in api.json()["detail"]
        # Switching to another of their organizations stays possible (here there is only this one).
        assert (await member.get("/api/v1/me/organizations")).status_code == 200
        page = await member.get("/settings/security")
        assert page.status_code == 200
        assert "Careful Ltd</strong> requires two-factor sign-in" in page.text
        async with make_client(app) as script:  # the member's API key is not a session
            listed = await script.get(
                "/api/v1/monitors", headers={"Authorization": f"Bearer {key.json()['key']}"}
            )
            assert listed.status_code == 200

        enrolled = await enrol(member)
        assert (await member.get("/dashboard")).status_code == 200
        assert (await member.get("/api/v1/monitors")).status_code == 200
        kept = await member.post(
            "/settings/security/disable", data={"password": PASSWORD, "code": enrolled.recovery_codes[0]}
        )
        assert kept.status_code == 422
        assert "cannot be turned off" in kept.text


async def test_an_admin_sees_no_organization_switch(app: FastAPI, client: httpx.AsyncClient) -> None:
    me = await signup(client, organization="Plain Org")
    member_email = await _member(app, me["organization"]["name"])
    async with make_client(app) as member:
        assert (await login(member, member_email)).status_code == 200
        page = await member.get("/settings/security")
        assert "Require it in" not in page.text
        refused = await member.post("/settings/security/organization", data={"require_two_factor": "on"})
        assert refused.status_code == 422
        assert "only the owner" in refused.text.lower()
    assert "Require it in Plain Org" in (await client.get("/settings/security")).text
