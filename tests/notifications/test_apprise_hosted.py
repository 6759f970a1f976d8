"""In saas mode no Apprise URL can make StatusPing connect to loopback or a private address.

A real listener on 127.0.0.1 (and ::1) records every connection it accepts; each URL form is
refused when saved, refused again when sent (a test send and the dispatcher's own send), and the
listener never sees a connection. Self-hosted installs keep reaching local services.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from statusping.notifications.apprise.channel import AppriseChannel, _notify
from statusping.notifications.apprise.library import apprise
from statusping.notifications.base import DeliveryError
from statusping.outbound.http import TargetPolicy
from statusping.storage.models import Channel, Organization
from tests.notifications.test_channels import KEY, down_message
from tests.support import eventually, signup

SAAS = TargetPolicy(allow_private=False)


class ConnectionLog:
    """Listens on 127.0.0.1 and, where the machine has it, ::1 on the same port; keeps every
    accepted connection's peer address."""

    def __init__(self) -> None:
        self.accepted: list[tuple[str, int]] = []
        self.port = 0
        self.hosts: list[str] = []
        self._servers: list[asyncio.Server] = []

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        self.accepted.append((str(peer[0]), int(peer[1])))
        writer.close()

    async def start(self) -> None:
        server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._servers, self.hosts = [server], ["127.0.0.1"]
        with contextlib.suppress(OSError):
            self._servers.append(await asyncio.start_server(self._on_connect, "::1", self.port))
            self.hosts.append("::1")

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
            await server.wait_closed()

    async def others_than_canaries(self) -> list[tuple[str, int]]:
        """Every connection but our own canaries, once the listener has taken in everything that
        reached it before them (accepts are handled in order, so no sleep is needed)."""
        canaries = []
        for host in self.hosts:
            _, writer = await asyncio.open_connection(host, self.port)
            local = writer.get_extra_info("sockname")
            canaries.append((str(local[0]), int(local[1])))
            writer.close()

        async def seen() -> bool:
            return all(c in self.accepted for c in canaries)

        await eventually(seen)
        return [peer for peer in self.accepted if peer not in canaries]


@pytest.fixture
async def listener() -> AsyncIterator[ConnectionLog]:
    log = ConnectionLog()
    await log.start()
    try:
        yield log
    finally:
        await log.stop()


def private_forms(port: int) -> list[str]:
    return [
        f"json://127.0.0.1:{port}/hook",
        f"json://0x7f000001:{port}/hook",  # hexadecimal
        f"json://2130706433:{port}/hook",  # one decimal number
        f"json://017700000001:{port}/hook",  # octal
        f"json://0177.0.0.1:{port}/hook",  # dotted octal
        f"json://127.1:{port}/hook",  # short form
        f"json://0:{port}/hook",
        f"json://localhost:{port}/hook",  # a name that resolves to loopback
        f"jsons://localhost:{port}/hook",
        f"json://[::1]:{port}/hook",
        f"json://[::ffff:127.0.0.1]:{port}/hook",
        f"xml://127.0.0.1:{port}/hook",
        f"form://127.0.0.1:{port}/hook",
        # the metadata-service request: method, path and header chosen by the customer
        f"json://127.0.0.1:{port}/computeMetadata/v1/?-method=GET&+Metadata-Flavor=Google",
        f"ntfy://127.0.0.1:{port}/topic",
        f"ntfy://localhost:{port}/topic",
        f"ntfys://localhost:{port}/topic",
        "ntfy://localhost/topic?mode=private",
        f"mailto://user:pass@example.com?smtp=127.0.0.1&port={port}",
        f"mailto://user:pass@localhost:{port}",
        f"mailtos://user:pass@example.com?smtp=localhost&port={port}&to=ops@example.com",
        f"workflows://127.0.0.1:{port}/abc/sig",
        f"workflows://prod-1.westeurope.logic.azure.com.localhost:{port}/abc/sig",
        f"gotify://127.0.0.1:{port}/token",
        f"mmost://127.0.0.1:{port}/token",
        f"apprise://127.0.0.1:{port}/token",
        f"http://127.0.0.1:{port}/hooks/abc",
    ]


FIXED_HOST_URLS = [
    "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
    "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
    "discord://417429632418316298/JHZ7lQml277CDHmQKMHI8qBe7bk2ZwO5UKjCiOAF7711o33MyqU344Qpgv7YTpadV_js",
    "tgram://123456789:abcdefg_hijklmnop/12315544/",
    "pagerduty://myroutekey@myapikey?region=eu",
    "opsgenie://apikey/@user",
    "pover://ujpbbs3qg9hv6brbdy7xtj44fvfn8f@a6x3dar4k5uq9xgc7xhwwrdjhbrgrt/",
    "ntfy://ops-alerts",
    "https://ntfy.sh/ops-alerts",
    "ntfys://ntfy.sh/ops-alerts",
    "workflows://prod-161.westeurope.logic.azure.com/abcdef0123/sigsigsig",
]


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "saas"}


async def business_account(app: FastAPI, client: httpx.AsyncClient) -> uuid.UUID:
    body = await signup(client)
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(
            update(Organization)
            .where(Organization.slug == body["organization"]["slug"])
            .values(plan="business")
        )
    return uuid.UUID(body["organization"]["id"])


async def test_every_private_form_is_refused_when_saved_and_nothing_connects(
    app: FastAPI, client: httpx.AsyncClient, listener: ConnectionLog
) -> None:
    await business_account(app, client)
    for url in private_forms(listener.port):
        response = await client.post(
            "/api/v1/channels", json={"name": "Chat", "kind": "apprise", "config": {"url": url}}
        )
        assert response.status_code == 422, (url, response.text)
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", "config.url"], url
    assert await listener.others_than_canaries() == []
    assert [c["kind"] for c in (await client.get("/api/v1/channels")).json()] == ["email"]


async def test_services_at_a_fixed_address_are_accepted(app: FastAPI, client: httpx.AsyncClient) -> None:
    await business_account(app, client)
    for url in FIXED_HOST_URLS:
        response = await client.post(
            "/api/v1/channels", json={"name": "Chat", "kind": "apprise", "config": {"url": url}}
        )
        assert response.status_code == 201, (url, response.text)


async def test_the_refusal_says_why_and_what_to_use_instead(app: FastAPI, client: httpx.AsyncClient) -> None:
    await business_account(app, client)
    response = await client.post(
        "/api/v1/channels",
        json={"name": "Chat", "kind": "apprise", "config": {"url": "json://0x7f000001:8799/x"}},
    )
    message = response.json()["detail"][0]["msg"]
    assert "address taken from the URL" in message
    assert "slack://" in message
    assert "webhook channel" in message


async def saved_anyway(app: FastAPI, org_id: uuid.UUID, url: str) -> str:
    """A channel stored without today's check (saved before it, or while self-hosted)."""
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as db, db.begin():
        channel = Channel(
            organization_id=org_id,
            name="Old",
            kind="apprise",
            config={"url": url},
            is_default=False,
            created_at=now,
            updated_at=now,
        )
        db.add(channel)
        await db.flush()
        return str(channel.id)


async def test_a_stored_private_url_is_refused_again_when_tested_with_the_same_answer_shape(
    app: FastAPI, client: httpx.AsyncClient, listener: ConnectionLog
) -> None:
    org_id = await business_account(app, client)
    allowed = await client.post(
        "/api/v1/channels", json={"name": "ntfy", "kind": "apprise", "config": {"url": "ntfy://x"}}
    )
    forms = [u for u in private_forms(listener.port) if apprise.Apprise.instantiate(u) is not None]
    assert len(forms) >= 15
    answers = []
    for url in forms:
        channel_id = await saved_anyway(app, org_id, url)
        response = await client.post(f"/api/v1/channels/{channel_id}/test")
        assert response.status_code == 200, (url, response.text)
        answer = response.json()
        assert answer["status"] == "failed", url
        assert answer["last_error"].startswith("refused: "), (url, answer)
        answers.append(answer)
    assert await listener.others_than_canaries() == []
    # Same shape as any other test answer: nothing tells a refused target apart but the text.
    assert allowed.status_code == 201
    keys = {tuple(sorted(a)) for a in answers}
    assert keys == {("attempts", "delivery_id", "duration_ms", "last_error", "status")}
    logged = (await client.get("/api/v1/notifications")).json()
    assert {n["status"] for n in logged} == {"failed"}


async def test_the_dispatchers_send_refuses_before_connecting(listener: ConnectionLog) -> None:
    channel = AppriseChannel(SAAS)
    for url in private_forms(listener.port):
        if apprise.Apprise.instantiate(url) is None:
            continue
        with pytest.raises(DeliveryError) as caught:
            await channel.send(down_message(), {"url": url}, KEY)
        assert caught.value.permanent, url
        assert caught.value.message.startswith("refused: "), url
    assert await listener.others_than_canaries() == []


async def test_the_connect_guard_stops_apprise_itself_at_a_private_address(listener: ConnectionLog) -> None:
    """The second line: even a service let through would be stopped at connect (DNS included)."""
    for url in (f"json://127.0.0.1:{listener.port}/x", f"json://localhost:{listener.port}/x"):
        plugin = apprise.Apprise.instantiate(url)
        assert plugin is not None
        ok, _, blocked = await asyncio.to_thread(_notify, plugin, down_message(), SAAS)
        assert not ok
        assert blocked is not None
        assert "loopback" in blocked
    assert await listener.others_than_canaries() == []


async def test_self_hosted_installs_still_reach_local_apprise_services(listener: ConnectionLog) -> None:
    url = f"json://127.0.0.1:{listener.port}/x"
    with pytest.raises(DeliveryError):  # the listener hangs up without answering
        await AppriseChannel(TargetPolicy(allow_private=True)).send(down_message(), {"url": url}, KEY)
    assert len(await listener.others_than_canaries()) >= 1


def test_localhost_resolves_here() -> None:
    """The name forms above only prove something if the name really points at the listener."""
    addresses = {info[4][0] for info in socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)}
    assert addresses & {"127.0.0.1", "::1"}
