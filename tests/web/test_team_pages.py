"""The team pages as a browser without JavaScript uses them: /settings/team's forms, the invitation
link in its every state, logging in to accept, and the header's organization switcher."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from statusping.storage.models import Invitation
from tests.conftest import make_client
from tests.support import PASSWORD, SmtpSink, signup, unique_email
from tests.web.team_helpers import invite, join, link_in, set_plan


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink) -> dict[str, object]:
    return {"smtp_host": "127.0.0.1", "smtp_port": smtp_sink.port, "smtp_starttls": False}


def form(client: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    return {"csrf_token": client.cookies["statusping_csrf"], **fields}


async def business(app: FastAPI, client: httpx.AsyncClient, organization: str = "Acme Inc") -> dict:
    me = await signup(client, organization=organization)
    await set_plan(app, me["organization"]["id"], "business")
    return me


async def test_the_owner_invites_from_the_page_and_errors_stand_beside_the_field(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await business(app, client)
    page = await client.get("/settings/team")
    assert page.status_code == 200
    assert "Invite someone" in page.text
    assert "No invitations waiting for an answer." in page.text
    assert 'href="/settings/team"' in (await client.get("/settings")).text

    bad = await client.post("/settings/team/invitations", data=form(client, email="nobody", role="viewer"))
    assert bad.status_code == 422
    assert 'id="invite-email-error"' in bad.text
    assert "Enter a valid email address." in bad.text

    email = unique_email("sam")
    sent = await client.post("/settings/team/invitations", data=form(client, email=email, role="admin"))
    assert sent.status_code == 303
    assert sent.headers["location"] == "/settings/team?saved=invited"
    (message,) = await smtp_sink.wait_for(1)
    assert message["To"] == email
    listed = await client.get("/settings/team?saved=invited")
    assert "Invitation sent." in listed.text
    assert f'data-invitation="{email}"' in listed.text

    twice = await client.post("/settings/team/invitations", data=form(client, email=email, role="viewer"))
    assert twice.status_code == 422
    assert "already invited" in twice.text


async def test_a_free_plan_is_told_before_inviting_which_plan_has_room(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await signup(client)
    page = await client.get("/settings/team")
    assert 'id="team-limit"' in page.text
    assert "Team members: the Free plan includes 1 member; the Business plan lifts it." in page.text
    assert "Send invitation" not in page.text
    assert (
        "the Free plan includes 1 member, the Business plan any number"
        in (await client.get("/settings")).text
    )
    refused = await client.post(
        "/settings/team/invitations", data=form(client, email=unique_email(), role="viewer")
    )
    assert refused.status_code == 422
    assert "the Business plan lifts it" in refused.text
    assert smtp_sink.messages == []


async def test_a_viewer_sees_the_team_but_no_forms_and_posts_are_refused(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    owner = await business(app, client)
    invitation, _ = await invite(client, smtp_sink, "admin")
    viewer, _ = await join(app, client, smtp_sink, "viewer")
    page = await viewer.get("/settings/team")
    assert page.status_code == 200
    assert owner["user"]["email"] in page.text
    assert "Invite someone" not in page.text
    assert "You have read-only access" in page.text
    assert invitation["email"] not in page.text  # pending invitations are for those who manage
    assert "Change role" not in page.text
    assert "Leave" in page.text  # leaving is the one thing a viewer may do here
    refused = await viewer.post(
        "/settings/team/invitations", data=form(viewer, email=unique_email(), role="admin")
    )
    assert refused.status_code == 403
    assert "only the owner and admins can manage the team" in refused.text
    await viewer.aclose()


async def test_roles_removal_and_transfer_through_the_forms(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    owner = await business(app, client)
    admin, admin_me = await join(app, client, smtp_sink, "admin")
    viewer, viewer_me = await join(app, client, smtp_sink, "viewer")
    ids = {m["email"]: m["id"] for m in (await client.get("/api/v1/members")).json()}

    changed = await client.post(
        f"/settings/team/members/{ids[viewer_me['user']['email']]}/role", data=form(client, role="admin")
    )
    assert changed.status_code == 303
    assert (await viewer.get("/api/v1/me")).json()["role"] == "admin"
    # The admin cannot remove the owner from the page either.
    refused = await admin.post(
        f"/settings/team/members/{ids[owner['user']['email']]}/remove", data=form(admin)
    )
    assert refused.status_code == 403
    assert "the owner cannot be removed" in refused.text
    removed = await admin.post(
        f"/settings/team/members/{ids[viewer_me['user']['email']]}/remove", data=form(admin)
    )
    assert removed.headers["location"] == "/settings/team?saved=removed"
    assert "Member removed." in (await admin.get("/settings/team?saved=removed")).text

    moved = await client.post(
        f"/settings/team/members/{ids[admin_me['user']['email']]}/transfer", data=form(client)
    )
    assert moved.headers["location"] == "/settings/team?saved=transferred"
    page = await client.get("/settings/team?saved=transferred")
    assert "Ownership transferred. You are now an admin." in page.text
    assert "Make owner" not in page.text
    assert (await admin.get("/api/v1/me")).json()["role"] == "owner"
    await admin.aclose()
    await viewer.aclose()


async def test_the_invitation_link_says_clearly_when_it_cannot_be_used(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await business(app, client)
    invitation, path = await invite(client, smtp_sink, "viewer")
    async with make_client(app) as browser:
        unknown = await browser.get("/invitations/not-a-real-token")
        assert unknown.status_code == 404
        assert "This invitation cannot be used" in unknown.text
        assert "not valid" in unknown.text
        fresh = await browser.get(path)
        assert fresh.headers["referrer-policy"] == "same-origin"
        assert "Choose a password" in fresh.text

        # A week later (the row says so; the clock is not faked) the link has expired...
        async with app.state.sessionmaker() as db, db.begin():
            await db.execute(
                update(Invitation)
                .where(Invitation.id == uuid.UUID(invitation["id"]))
                .values(expires_at=Invitation.sent_at)
            )
        expired = await browser.get(path)
        assert expired.status_code == 410
        assert "has expired" in expired.text
        assert (await browser.post(path, data={"password": PASSWORD})).status_code == 410
        listed = (await client.get("/api/v1/invitations")).json()
        assert [i["state"] for i in listed] == ["expired"]
        assert "Expired" in (await client.get("/settings/team")).text

        # ...and a resend from the page renews it with a new link.
        resent = await client.post(f"/settings/team/invitations/{invitation['id']}/resend", data=form(client))
        assert resent.headers["location"] == "/settings/team?saved=resent"
        renewed = link_in((await smtp_sink.wait_for(2))[-1])
        assert (await browser.get(renewed)).status_code == 200
        revoked = await client.post(
            f"/settings/team/invitations/{invitation['id']}/revoke", data=form(client)
        )
        assert revoked.headers["location"] == "/settings/team?saved=revoked"
        gone = await browser.get(renewed)
        assert gone.status_code == 410
        assert "withdrawn" in gone.text


async def test_an_existing_user_logs_in_from_the_link_and_joins(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await business(app, client)
    async with make_client(app) as pat:
        pat_me = await signup(pat, organization="Pat's Shop")
        await pat.post("/api/v1/auth/logout")
        del pat.headers["X-CSRF-Token"]  # a browser form sends the field only
        _, path = await invite(client, smtp_sink, "viewer", pat_me["user"]["email"])
        page = await pat.get(path)
        assert "Log in to accept" in page.text
        logged_in = await pat.post(
            "/login", data={"email": pat_me["user"]["email"], "password": PASSWORD, "next": path}
        )
        assert logged_in.status_code == 303
        assert logged_in.headers["location"] == path
        signed_in = await pat.get(path)
        assert "Join Acme Inc" in signed_in.text
        joined = await pat.post(path, data=form(pat))
        assert joined.status_code == 303, joined.text[-3000:]
        assert joined.headers["location"] == "/dashboard"
        dashboard = await pat.get("/dashboard")
        # Now in two organizations: the header offers the switch, and it works without JavaScript.
        assert "data-org-switcher" in dashboard.text
        assert "Acme Inc" in dashboard.text
        switched = await pat.post(
            "/organization/switch", data=form(pat, organization_id=pat_me["organization"]["id"])
        )
        assert switched.headers["location"] == "/dashboard"
        assert (await pat.get("/api/v1/me")).json()["organization"]["name"] == "Pat's Shop"
        foreign = await pat.post("/organization/switch", data=form(pat, organization_id=str(uuid.uuid4())))
        assert foreign.status_code == 404
    assert "data-org-switcher" not in (await client.get("/dashboard")).text  # one organization: no switcher


async def test_leaving_from_the_page(app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink) -> None:
    await business(app, client)
    viewer, viewer_me = await join(app, client, smtp_sink, "viewer")
    mine = next(m for m in (await viewer.get("/api/v1/members")).json() if m["you"])
    page = await viewer.get("/settings/team")
    assert "It is your only organization, so your StatusPing account is deleted too." in page.text
    left = await viewer.post(f"/settings/team/members/{mine['id']}/remove", data=form(viewer))
    assert left.headers["location"] == "/dashboard"
    assert (await viewer.get("/dashboard")).status_code == 303  # signed out: the account is gone
    assert [m["email"] for m in (await client.get("/api/v1/members")).json()] != [viewer_me["user"]["email"]]
    assert len((await client.get("/api/v1/members")).json()) == 1
    await viewer.aclose()
