"""The alert channel API as a client uses it: plans, scoping, validation, masking, test sends."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from tests.alerting import Receiver, create_channel, notifications, receiver
from tests.conftest import make_client
from tests.support import SmtpSink, signup

__all__ = ["receiver"]


async def set_plan(app: FastAPI, slug: str, plan: str) -> None:
    from sqlalchemy import update

    from statusping.storage.models import Organization

    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(update(Organization).where(Organization.slug == slug).values(plan=plan))


EMAIL = {"name": "Ops mail", "kind": "email", "config": {"to": ["ops@example.com"]}}


class TestPlansInSaasMode:
    async def test_a_free_organization_may_create_email_channels(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        created = await create_channel(client, **EMAIL)
        assert created["kind"] == "email"
        assert created["config"] == {"to": ["ops@example.com"]}
        listed = [c["id"] for c in (await client.get("/api/v1/channels")).json()]
        assert listed[1:] == [created["id"]]  # after the default channel that signup created

    async def test_a_free_organization_creating_a_webhook_is_told_pro_lifts_it(
        self, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        response = await client.post(
            "/api/v1/channels",
            json={"name": "Hook", "kind": "webhook", "config": {"url": "https://hooks.example.com/x"}},
        )
        assert response.status_code == 403
        assert (
            response.json()["detail"]
            == "webhook channels are not included in the Free plan; the Pro plan lifts it"
        )

    async def test_apprise_needs_business_and_pro_is_told_so(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        body = await signup(client)
        await set_plan(app, body["organization"]["slug"], "pro")
        hook = {"name": "Hook", "kind": "webhook", "config": {"url": "https://hooks.example.com/x"}}
        assert (await client.post("/api/v1/channels", json=hook)).status_code == 201
        response = await client.post(
            "/api/v1/channels",
            json={"name": "Chat", "kind": "apprise", "config": {"url": "ntfy://ntfy.sh/ops"}},
        )
        assert response.status_code == 403
        assert "the Business plan lifts it" in response.json()["detail"]

    async def test_a_webhook_to_the_metadata_address_is_refused_when_saved(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        body = await signup(client)
        await set_plan(app, body["organization"]["slug"], "business")
        for url in (
            "http://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:8080/hook",
            "http://localhost/x",
        ):
            response = await client.post(
                "/api/v1/channels", json={"name": "Hook", "kind": "webhook", "config": {"url": url}}
            )
            assert response.status_code == 422, url
            assert response.json()["detail"][0]["loc"] == ["body", "config.url"]

    async def test_secrets_are_masked_in_every_answer_and_kept_when_sent_back_masked(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        body = await signup(client)
        await set_plan(app, body["organization"]["slug"], "business")
        hook = await create_channel(
            client,
            name="Hook",
            kind="webhook",
            config={
                "url": "https://hooks.example.com/in?token=abcdef1234567890",
                "secret": "whsec-0123456789abcdef",
                "headers": {"Authorization": "Bearer tok-0123456789abcdef"},
            },
        )
        assert hook["config"]["secret"] == "****cdef"
        assert hook["config"]["headers"] == {"Authorization": "****cdef"}
        assert "abcdef1234567890" not in hook["config"]["url"]
        chat = await create_channel(
            client,
            name="Slack",
            kind="apprise",
            config={"url": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"},
        )
        assert "TIiajkdnlazkcOXrIdevi7FQ" not in chat["config"]["url"]
        listed = (await client.get("/api/v1/channels")).text
        assert "whsec-0123456789abcdef" not in listed
        assert "TIiajkdnlazkcOXrIdevi7FQ" not in listed
        # A client that PATCHes back what it read keeps the secrets it could not see.
        renamed = await client.patch(
            f"/api/v1/channels/{hook['id']}", json={"name": "Renamed", "config": hook["config"]}
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["config"]["secret"] == "****cdef"
        from statusping.storage.models import Channel

        async with app.state.sessionmaker() as db:
            stored = await db.get(Channel, uuid.UUID(hook["id"]))
            assert stored is not None
            assert stored.config["secret"] == "whsec-0123456789abcdef"
            assert stored.config["headers"] == {"Authorization": "Bearer tok-0123456789abcdef"}
            assert stored.config["url"] == "https://hooks.example.com/in?token=abcdef1234567890"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "x", "kind": "apprise", "config": {"url": "notaservice://nothing"}}, "config.url"),
            ({"name": "x", "kind": "apprise", "config": {"url": ""}}, "config.url"),
            ({"name": "x", "kind": "webhook", "config": {"url": "ftp://example.com/x"}}, "config.url"),
            (
                {
                    "name": "x",
                    "kind": "webhook",
                    "config": {"url": "https://e.com", "headers": {"Content-Type": "x"}},
                },
                "config.headers",
            ),
            ({"name": "x", "kind": "email", "config": {"to": ["not-an-address"]}}, "config.to"),
            ({"name": "x", "kind": "email", "config": {"to": []}}, "config.to"),
            ({"name": "x", "kind": "email", "config": {"to": ["a@example.com"], "cc": "b"}}, "config.cc"),
            ({"name": "", "kind": "email", "config": {"to": ["a@example.com"]}}, "name"),
            ({"name": "x", "kind": "pager", "config": {}}, "kind"),
        ],
    )
    async def test_bad_channel_input_is_a_422_naming_the_field(
        self, app: FastAPI, client: httpx.AsyncClient, body: dict[str, object], field: str
    ) -> None:
        created = await signup(client)
        await set_plan(app, created["organization"]["slug"], "business")
        response = await client.post("/api/v1/channels", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"][-1] == field

    async def test_another_organizations_channel_is_not_found(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        mine = await create_channel(client, **EMAIL)
        async with make_client(app) as other:
            await signup(other, organization="Other Co")
            for method in ("GET", "PATCH", "DELETE"):
                response = await other.request(
                    method,
                    f"/api/v1/channels/{mine['id']}",
                    json={"name": "x"} if method == "PATCH" else None,
                )
                assert response.status_code == 404, method
            assert (await other.post(f"/api/v1/channels/{mine['id']}/test")).status_code == 404
            assert (await other.get("/api/v1/channels/not-a-uuid")).status_code == 404
            monitor = await other.post(
                "/api/v1/monitors",
                json={"name": "M", "type": "http", "url": "https://example.com", "interval_seconds": 300},
            )
            put = await other.put(
                f"/api/v1/monitors/{monitor.json()['id']}/alerts", json={"channel_ids": [mine["id"]]}
            )
            assert put.status_code == 422
            assert put.json()["detail"][0]["loc"] == ["body", "channel_ids"]

    async def test_a_channel_is_renamed_and_deleted(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        created = await create_channel(client, **EMAIL)
        patched = await client.patch(
            f"/api/v1/channels/{created['id']}",
            json={"name": "On call", "config": {"to": ["oncall@example.com"]}},
        )
        assert patched.json()["name"] == "On call"
        assert patched.json()["config"] == {"to": ["oncall@example.com"]}
        kind = await client.patch(f"/api/v1/channels/{created['id']}", json={"kind": "webhook"})
        assert kind.status_code == 422
        assert (await client.delete(f"/api/v1/channels/{created['id']}")).status_code == 204
        assert (await client.get(f"/api/v1/channels/{created['id']}")).status_code == 404


class TestSelfHosted:
    @pytest.fixture
    def settings_overrides(self, smtp_sink: SmtpSink) -> dict[str, object]:
        return {
            "mode": "selfhosted",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_sink.port,
            "smtp_starttls": False,
        }

    async def test_every_kind_is_allowed_and_private_webhooks_too(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        await create_channel(client, name="Hook", kind="webhook", config={"url": "http://10.0.0.5/hook"})
        await create_channel(client, name="Chat", kind="apprise", config={"url": "json://127.0.0.1:9/x"})

    async def test_the_test_endpoint_delivers_a_test_email_and_logs_it(
        self, client: httpx.AsyncClient, smtp_sink: SmtpSink
    ) -> None:
        await signup(client)
        channel = await create_channel(client, **EMAIL)
        response = await client.post(f"/api/v1/channels/{channel['id']}/test")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "sent"
        assert response.json()["attempts"] == 1
        (mail,) = await smtp_sink.wait_for(1)
        assert mail["Subject"] == "[TEST] StatusPing — test message"
        (logged,) = await notifications(client)
        assert logged["status"] == "sent"
        assert logged["event"]["kind"] == "test"
        assert logged["channel"]["name"] == "Ops mail"

    async def test_the_test_endpoint_reports_a_failing_hook(
        self, client: httpx.AsyncClient, receiver: Receiver
    ) -> None:
        receiver.statuses = [404]
        await signup(client)
        channel = await create_channel(client, name="Hook", kind="webhook", config={"url": receiver.url()})
        result = (await client.post(f"/api/v1/channels/{channel['id']}/test")).json()
        assert result["status"] == "failed"
        assert result["last_error"] == "HTTP 404 Not Found"
        detail = await client.get(f"/api/v1/notifications/{result['delivery_id']}")
        assert detail.json()["attempt_log"][0]["permanent"] is True

    async def test_a_monitor_takes_its_channels_and_new_monitors_get_the_default_ones(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        (welcome,) = (await client.get("/api/v1/channels")).json()  # signup's default channel
        assert (
            await client.patch(f"/api/v1/channels/{welcome['id']}", json={"is_default": False})
        ).is_success
        default = await create_channel(client, **EMAIL, is_default=True)
        other = await create_channel(client, name="Other", kind="email", config={"to": ["b@example.com"]})
        monitor = (
            await client.post(
                "/api/v1/monitors",
                json={"name": "M", "type": "http", "url": "https://example.com", "interval_seconds": 60},
            )
        ).json()
        from statusping.services import channels as service
        from statusping.storage.models import Monitor, Organization

        async with app.state.sessionmaker() as db, db.begin():
            row = await db.get(Monitor, uuid.UUID(monitor["id"]))
            assert row is not None
            org = await db.get(Organization, row.organization_id)
            assert org is not None
            assert await service.attach_default_channels(db, org, row) == [default["id"]]
        alerts = f"/api/v1/monitors/{monitor['id']}/alerts"
        assert (await client.get(alerts)).json() == {"channel_ids": [default["id"]], "reminder_minutes": None}
        put = await client.put(
            alerts, json={"channel_ids": [other["id"], default["id"]], "reminder_minutes": 30}
        )
        assert put.status_code == 200, put.text
        assert sorted(put.json()["channel_ids"]) == sorted([other["id"], default["id"]])
        assert put.json()["reminder_minutes"] == 30
        bad = await client.put(alerts, json={"reminder_minutes": 1})
        assert bad.status_code == 422
        assert (await client.put(alerts, json={"channel_ids": ["nope"]})).status_code == 422


class TestChannelTestsAreRateLimited:
    @pytest.fixture
    def settings_overrides(self, smtp_sink: SmtpSink) -> dict[str, object]:
        return {
            "mode": "selfhosted",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_sink.port,
            "smtp_starttls": False,
        }

    async def test_the_11th_test_in_ten_minutes_is_a_429_and_sends_nothing(
        self, client: httpx.AsyncClient, smtp_sink: SmtpSink
    ) -> None:
        await signup(client)
        channel = await create_channel(client, **EMAIL)
        for _ in range(10):
            sent = await client.post(f"/api/v1/channels/{channel['id']}/test")
            assert sent.json()["status"] == "sent"
        await smtp_sink.wait_for(10)
        refused = await client.post(f"/api/v1/channels/{channel['id']}/test")
        assert refused.status_code == 429
        assert refused.json()["detail"] == "Too many test messages to this channel. Try again later."
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        assert len(await notifications(client)) == 10
        other = await create_channel(client, name="Other", kind="email", config={"to": ["b@example.com"]})
        assert (await client.post(f"/api/v1/channels/{other['id']}/test")).json()["status"] == "sent"
        await smtp_sink.wait_for(11)
        assert len(smtp_sink.messages) == 11
