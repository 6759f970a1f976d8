"""The team through the API: invitations by email (real SMTP), accept as a new or an existing user,
roles, removing, leaving, transferring ownership, the plan's member limit and switching organizations."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from statusping.storage.models import Invitation
from tests.conftest import make_client
from tests.support import SmtpSink, login, signup, unique_email
from tests.web.team_helpers import accept_as_new_user, invite, join, link_in, set_plan


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink) -> dict[str, object]:
    return {"smtp_host": "127.0.0.1", "smtp_port": smtp_sink.port, "smtp_starttls": False}


async def business(app: FastAPI, client: httpx.AsyncClient, organization: str = "Acme Inc") -> dict:
    me = await signup(client, organization=organization)
    await set_plan(app, me["organization"]["id"], "business")
    return me


async def test_an_invitation_arrives_by_email_and_makes_a_new_user_a_viewer(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    owner = await business(app, client)
    email = unique_email("sam")
    invitation, path = await invite(client, smtp_sink, "viewer", email)
    message = smtp_sink.messages[-1]
    assert message["Subject"] == "Join Acme Inc on StatusPing"
    assert owner["user"]["email"] in message.get_content()
    assert invitation["state"] == "pending"
    pending = (await client.get("/api/v1/invitations")).json()
    assert [(i["email"], i["role"], i["state"]) for i in pending] == [(email, "viewer", "pending")]

    sam = await accept_as_new_user(app, path)
    me = (await sam.get("/api/v1/me")).json()
    assert (me["user"]["email"], me["organization"]["id"], me["role"]) == (
        email,
        owner["organization"]["id"],
        "viewer",
    )
    members = (await client.get("/api/v1/members")).json()
    assert [(m["email"], m["role"]) for m in members] == [
        (owner["user"]["email"], "owner"),
        (email, "viewer"),
    ]
    assert (await client.get("/api/v1/invitations")).json() == []
    # The link is spent: a second use says so instead of making a second account.
    again = await make_client(app).get(path)
    assert again.status_code == 410
    assert "already been used" in again.text
    await sam.aclose()


async def test_an_existing_user_accepts_and_then_switches_between_organizations(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    owner = await business(app, client)
    async with make_client(app) as pat:
        pat_me = await signup(pat, organization="Pat's Shop")
        _, path = await invite(client, smtp_sink, "admin", pat_me["user"]["email"])
        # Signed out, the link asks an existing user to log in (and come back), not for a password.
        async with make_client(app) as stranger:
            page = await stranger.get(path)
            assert page.status_code == 200
            assert f"/login?next={path}" in page.text
            refused = await stranger.post(path, data={"password": "another horse battery"})
            assert refused.status_code == 422
            assert "sign in to accept" in refused.text

        accepted = await pat.post(path, headers={"X-CSRF-Token": pat.cookies["statusping_csrf"]})
        assert accepted.status_code == 303
        me = (await pat.get("/api/v1/me")).json()
        assert (me["organization"]["id"], me["role"]) == (owner["organization"]["id"], "admin")
        orgs = (await pat.get("/api/v1/me/organizations")).json()
        assert {(o["name"], o["role"], o["active"]) for o in orgs} == {
            ("Acme Inc", "admin", True),
            ("Pat's Shop", "owner", False),
        }
        switched = await pat.post(
            "/api/v1/me/organization", json={"organization_id": pat_me["organization"]["id"]}
        )
        assert switched.status_code == 200, switched.text
        assert switched.json()["organization"]["name"] == "Pat's Shop"
        assert (await pat.get("/api/v1/me")).json()["role"] == "owner"
        # A session's choice is its own: another browser of Pat's starts in the first organization.
        async with make_client(app) as pat_phone:
            await login(pat_phone, pat_me["user"]["email"])
            assert (await pat_phone.get("/api/v1/me")).json()["organization"]["name"] == "Pat's Shop"
        # An organization one is not a member of is not found, like any other stranger's object.
        other = await pat.post("/api/v1/me/organization", json={"organization_id": "not-an-id"})
        assert other.status_code == 404
        # An API key acts in its own organization only.
        key = await client.post("/api/v1/api-keys", json={"name": "CI", "scope": "read-write"})
        async with make_client(app) as script:
            keyed = await script.post(
                "/api/v1/me/organization",
                json={"organization_id": pat_me["organization"]["id"]},
                headers={"Authorization": f"Bearer {key.json()['key']}"},
            )
        assert keyed.status_code == 403
        assert "API key" in keyed.json()["detail"]


async def test_the_link_works_only_for_the_invited_address(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await business(app, client)
    _, path = await invite(client, smtp_sink, "viewer")
    async with make_client(app) as someone_else:
        await signup(someone_else, organization="Elsewhere")
        refused = await someone_else.post(
            path, headers={"X-CSRF-Token": someone_else.cookies["statusping_csrf"]}
        )
        assert refused.status_code == 422
        assert "this invitation is for" in refused.text
        assert (await someone_else.get("/api/v1/me")).json()["organization"]["name"] == "Elsewhere"
    assert len((await client.get("/api/v1/members")).json()) == 1


async def test_resend_makes_a_new_link_and_revoke_kills_it(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await business(app, client)
    invitation, first = await invite(client, smtp_sink, "viewer")
    resent = await client.post(f"/api/v1/invitations/{invitation['id']}/resend")
    assert resent.status_code == 200, resent.text
    messages = await smtp_sink.wait_for(2)
    second = link_in(messages[-1])
    assert second != first
    async with make_client(app) as browser:
        assert (await browser.get(first)).status_code == 404  # the old link is gone, not merely spent
        assert (await browser.get(second)).status_code == 200
        assert (await client.delete(f"/api/v1/invitations/{invitation['id']}")).status_code == 204
        revoked = await browser.get(second)
        assert revoked.status_code == 410
        assert "withdrawn" in revoked.text
        refused = await browser.post(second, data={"password": "correct horse battery"})
        assert refused.status_code == 410
    assert (await client.get("/api/v1/invitations")).json() == []
    assert (await client.delete(f"/api/v1/invitations/{invitation['id']}")).status_code == 404


async def test_bad_invitations_are_refused_with_reasons(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    owner = await business(app, client)
    cases = [
        ({"email": "not an email", "role": "viewer"}, 422),
        ({"email": unique_email(), "role": "owner"}, 422),
        ({"email": unique_email(), "role": "superuser"}, 422),
        ({"email": owner["user"]["email"], "role": "admin"}, 409),
    ]
    for body, expected in cases:
        response = await client.post("/api/v1/invitations", json=body)
        assert response.status_code == expected, (body, response.text)
        assert "detail" in response.json()
    invitation, _ = await invite(client, smtp_sink, "viewer")
    twice = await client.post("/api/v1/invitations", json={"email": invitation["email"], "role": "admin"})
    assert twice.status_code == 409
    assert "already invited" in twice.json()["detail"]
    assert (await client.post("/api/v1/invitations/nope/resend")).status_code == 404


async def test_the_free_and_pro_plans_have_room_for_one_member(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    me = await signup(client)
    for plan in ("free", "pro"):
        await set_plan(app, me["organization"]["id"], plan)
        refused = await client.post("/api/v1/invitations", json={"email": unique_email(), "role": "viewer"})
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            f"team members: the {plan.title()} plan includes 1 member; the Business plan lifts it"
        )
    assert smtp_sink.messages == []
    # An invitation sent on Business cannot be accepted after a downgrade: the team is full again.
    await set_plan(app, me["organization"]["id"], "business")
    _, path = await invite(client, smtp_sink, "viewer")
    await set_plan(app, me["organization"]["id"], "free")
    async with make_client(app) as browser:
        refused_join = await browser.post(path, data={"password": "correct horse battery"})
        assert refused_join.status_code == 422
        assert "the Free plan includes 1 member" in refused_join.text
    assert len((await client.get("/api/v1/members")).json()) == 1


async def test_a_new_member_must_choose_a_good_password(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await business(app, client, organization="Globex")
    invitation, path = await invite(client, smtp_sink, "viewer")
    async with make_client(app) as browser:
        for weak in ("short", "password123", invitation["email"]):
            refused = await browser.post(path, data={"password": weak})
            assert refused.status_code == 422, weak
            assert 'aria-invalid="true"' in refused.text
    assert [i["email"] for i in (await client.get("/api/v1/invitations")).json()] == [invitation["email"]]


async def test_an_admin_manages_the_team_but_cannot_touch_the_owner(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    owner = await business(app, client)
    admin, admin_me = await join(app, client, smtp_sink, "admin")
    viewer, viewer_me = await join(app, client, smtp_sink, "viewer")
    members = {m["email"]: m for m in (await client.get("/api/v1/members")).json()}
    owner_member = members[owner["user"]["email"]]
    viewer_member = members[viewer_me["user"]["email"]]

    removed_owner = await admin.delete(f"/api/v1/members/{owner_member['id']}")
    assert removed_owner.status_code == 403
    assert "owner cannot be removed" in removed_owner.json()["detail"]
    demoted = await admin.patch(f"/api/v1/members/{owner_member['id']}", json={"role": "viewer"})
    assert demoted.status_code == 403
    took = await admin.post(f"/api/v1/members/{owner_member['id']}/transfer-ownership")
    assert took.status_code == 403
    # An admin may invite, promote and remove the others.
    promoted = await admin.patch(f"/api/v1/members/{viewer_member['id']}", json={"role": "admin"})
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "admin"
    assert (
        await admin.patch(f"/api/v1/members/{viewer_member['id']}", json={"role": "owner"})
    ).status_code == 422
    assert (await admin.delete(f"/api/v1/members/{viewer_member['id']}")).status_code == 204
    # The removed member's session no longer reaches anything; their account went with it.
    assert (await viewer.get("/api/v1/me")).status_code in (401, 404)
    # The owner cannot leave without handing ownership over.
    leave = await client.delete(f"/api/v1/members/{owner_member['id']}")
    assert leave.status_code == 409
    assert "transfer ownership" in leave.json()["detail"]
    emails = [m["email"] for m in (await client.get("/api/v1/members")).json()]
    assert emails == [owner["user"]["email"], admin_me["user"]["email"]]
    # Another organization's member id is simply not found.
    async with make_client(app) as outsider:
        await signup(outsider, organization="Outsiders")
        assert (await outsider.delete(f"/api/v1/members/{owner_member['id']}")).status_code == 404
    await admin.aclose()
    await viewer.aclose()


async def test_transferring_ownership_makes_the_old_owner_an_admin(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    owner = await business(app, client)
    admin, admin_me = await join(app, client, smtp_sink, "admin")
    members = {m["email"]: m for m in (await client.get("/api/v1/members")).json()}
    new_owner = members[admin_me["user"]["email"]]
    moved = await client.post(f"/api/v1/members/{new_owner['id']}/transfer-ownership")
    assert moved.status_code == 200, moved.text
    assert moved.json()["role"] == "owner"
    roles = {m["email"]: m["role"] for m in (await client.get("/api/v1/members")).json()}
    assert roles == {owner["user"]["email"]: "admin", admin_me["user"]["email"]: "owner"}
    # The old owner is an admin now: no second transfer, and they may leave.
    me = members[owner["user"]["email"]]
    assert (await client.post(f"/api/v1/members/{new_owner['id']}/transfer-ownership")).status_code == 403
    assert (await client.delete(f"/api/v1/members/{me['id']}")).status_code == 204
    left = await admin.get("/api/v1/members")
    assert [(m["email"], m["role"]) for m in left.json()] == [(admin_me["user"]["email"], "owner")]
    await admin.aclose()


async def test_a_viewer_may_leave_and_the_owner_still_has_the_team(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await business(app, client)
    viewer, viewer_me = await join(app, client, smtp_sink, "viewer")
    mine = next(m for m in (await viewer.get("/api/v1/members")).json() if m["you"])
    assert (await viewer.delete(f"/api/v1/members/{mine['id']}")).status_code == 204
    assert [m["role"] for m in (await client.get("/api/v1/members")).json()] == ["owner"]
    # It was their only organization: the account is gone and the address can be invited again.
    assert (await login(viewer, viewer_me["user"]["email"])).status_code == 401
    await invite(client, smtp_sink, "viewer", viewer_me["user"]["email"])
    await viewer.aclose()


async def test_invitations_are_stored_hashed_and_scoped_to_their_organization(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await business(app, client)
    invitation, path = await invite(client, smtp_sink, "viewer")
    token = path.rsplit("/", 1)[1]
    async with app.state.sessionmaker() as db:
        stored = (await db.execute(select(Invitation))).scalars().all()
    assert [i.email for i in stored] == [invitation["email"]]
    assert token not in stored[0].token_hash
    assert len(stored[0].token_hash) == 64  # a keyed SHA-256, not the token
    async with make_client(app) as outsider:
        other = await business(app, outsider, organization="Outsiders")
        assert other["organization"]["id"] != invitation["id"]
        assert (await outsider.post(f"/api/v1/invitations/{invitation['id']}/resend")).status_code == 404
        assert (await outsider.delete(f"/api/v1/invitations/{invitation['id']}")).status_code == 404
        assert (await outsider.get("/api/v1/invitations")).json() == []
        owner_member = (await client.get("/api/v1/members")).json()[0]
        assert (
            await outsider.patch(f"/api/v1/members/{owner_member['id']}", json={"role": "viewer"})
        ).status_code == 404
    assert (await client.get("/api/v1/invitations")).json()[0]["id"] == invitation["id"]


async def test_two_clicks_on_the_same_link_make_one_account(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await business(app, client)
    invitation, path = await invite(client, smtp_sink, "viewer")
    async with make_client(app) as first, make_client(app) as second:
        answers = await asyncio.gather(
            first.post(path, data={"password": "correct horse battery"}),
            second.post(path, data={"password": "correct horse battery"}),
        )
    assert sorted(a.status_code for a in answers) == [303, 410]
    members = (await client.get("/api/v1/members")).json()
    assert [m["email"] for m in members].count(invitation["email"]) == 1


async def test_an_organization_sends_at_most_thirty_invitations_an_hour(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await business(app, client)
    first = (
        await client.post("/api/v1/invitations", json={"email": unique_email(), "role": "viewer"})
    ).json()
    for _ in range(28):
        sent = await client.post("/api/v1/invitations", json={"email": unique_email(), "role": "viewer"})
        assert sent.status_code == 201, sent.text
    resent = await client.post(f"/api/v1/invitations/{first['id']}/resend")  # a resend counts too
    assert resent.status_code == 200
    refused = await client.post("/api/v1/invitations", json={"email": unique_email(), "role": "viewer"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many invitations" in refused.json()["detail"]
    assert (await client.post(f"/api/v1/invitations/{first['id']}/resend")).status_code == 429
    await smtp_sink.wait_for(30)
    assert len((await client.get("/api/v1/invitations")).json()) == 29
