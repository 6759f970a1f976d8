"""How the team tests build a team: the owner invites by email (a real SMTP server catches the
mail) and the invitee follows the link in it, as a person would."""

from __future__ import annotations

import re
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from statusping.storage.models import Organization
from tests.conftest import make_client
from tests.support import PASSWORD, SmtpSink, unique_email

LINK = re.compile(r"http://testserver(/invitations/[A-Za-z0-9_-]+)")


async def set_plan(app: FastAPI, org_id: str, plan: str) -> None:
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(update(Organization).where(Organization.id == uuid.UUID(org_id)).values(plan=plan))


def link_in(message: EmailMessage) -> str:
    found = LINK.search(message.get_content())
    assert found, message.get_content()
    return found.group(1)


async def invite(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, role: str, email: str | None = None
) -> tuple[dict[str, Any], str]:
    """Invite through the API; the invitation as listed and the link path from its email."""
    before = len(smtp_sink.messages)
    response = await client.post(
        "/api/v1/invitations", json={"email": email or unique_email(role), "role": role}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    messages = await smtp_sink.wait_for(before + 1)
    mine = [m for m in messages[before:] if body["email"] in str(m["To"])]
    assert mine, [m["To"] for m in messages]
    return body, link_in(mine[-1])


async def accept_as_new_user(app: FastAPI, path: str, password: str = PASSWORD) -> httpx.AsyncClient:
    """Follow the link in a fresh browser and choose a password; the client is signed in after."""
    client = make_client(app)
    page = await client.get(path)
    assert page.status_code == 200, page.text
    response = await client.post(
        path, data={"password": password, "csrf_token": client.cookies.get("statusping_csrf", "")}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"
    client.headers["X-CSRF-Token"] = client.cookies["statusping_csrf"]
    return client


async def join(
    app: FastAPI, owner: httpx.AsyncClient, smtp_sink: SmtpSink, role: str
) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    """A new member with ``role``, signed in in a client of their own, and their /me."""
    _, path = await invite(owner, smtp_sink, role)
    client = await accept_as_new_user(app, path)
    me = (await client.get("/api/v1/me")).json()
    assert me["role"] == role, me
    return client, me
