"""Webhook subscribers of a status page: a URL instead of an email, confirmed by opening the
confirm_url its first POST carries, then signed JSON for incidents and maintenance through the
outbox, and unsubscribed with the unsubscribe_url every POST carries — against a real HTTP
receiver on 127.0.0.1 and the real dispatcher."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from statusping.storage.models import Delivery, Organization
from tests.alerting import Receiver, receiver, running_dispatcher
from tests.support import signup
from tests.targets import SwitchableTarget

__all__ = ["receiver"]  # the fixture
BASE = "http://testserver"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"allow_private_targets": True}


async def _business(app: FastAPI, client: httpx.AsyncClient) -> None:
    org_id = (await client.get("/api/v1/me")).json()["organization"]["id"]
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(org_id))
        assert org is not None
        org.plan = "business"


def _verified(request: Any, secret: str) -> dict[str, Any]:
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-StatusPing-Signature"] == expected
    assert request.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = request.json()
    return body


async def _pending(app: FastAPI) -> int:
    async with app.state.sessionmaker() as db:
        found = await db.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == "pending")
        )
        return int(found or 0)


async def test_a_webhook_confirms_receives_incidents_and_maintenance_and_unsubscribes(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, target: SwitchableTarget
) -> None:
    await signup(client, organization="Hooked Co")
    await _business(app, client)
    slug = (await client.get("/api/v1/me")).json()["organization"]["slug"]
    (page,) = (await client.get("/api/v1/status-pages")).json()
    monitor = await client.post(
        "/api/v1/monitors",
        json={"name": "API", "type": "tcp", "host": "127.0.0.1", "port": target.port, "interval_seconds": 300,
              "public": True},
    )  # fmt: skip
    assert monitor.status_code == 201, monitor.text
    url = receiver.url("/status-hook")

    async with running_dispatcher(app):
        answer = await client.post(f"/s/{slug}/subscribe", json={"webhook_url": url})
        assert answer.status_code == 202, answer.text
        assert "confirm_url" in answer.json()["detail"]
        (confirmation,) = await receiver.wait_for(1)
        assert confirmation.method == "POST"
        assert confirmation.path == "/status-hook"
        assert confirmation.headers["X-StatusPing-Event"] == "subscription_confirmation"
        first = confirmation.json()
        secret = first["signing_secret"]
        _verified(confirmation, secret)
        assert first["type"] == "subscription_confirmation"
        assert first["page"] == {
            "id": page["id"],
            "slug": slug,
            "title": "Hooked Co",
            "url": f"{BASE}/s/{slug}",
        }
        assert first["confirm_url"].startswith(f"{BASE}/s/{slug}/subscribe/confirm?token=")

        # Not confirmed yet: an incident reaches nobody.
        opened = await client.post(
            f"/api/v1/status-pages/{page['id']}/incidents",
            json={"title": "Slow API", "status": "investigating", "impact": "minor", "message": "Looking.",
                  "monitor_ids": [monitor.json()["id"]]},
        )  # fmt: skip
        assert opened.status_code == 201, opened.text
        assert await _pending(app) == 0

        confirmed = await client.get(first["confirm_url"].removeprefix(BASE))
        assert confirmed.status_code == 200
        assert url in confirmed.text

        update = await client.post(
            f"/api/v1/status-pages/{page['id']}/incidents/{opened.json()['id']}/updates",
            json={"status": "resolved", "message": "Fast again."},
        )
        assert update.status_code == 201
        resolved = (await receiver.wait_for(2))[1]
        body = _verified(resolved, secret)
        assert body["type"] == "incident_resolved"
        assert resolved.headers["X-StatusPing-Event"] == "incident_resolved"
        assert resolved.headers["Idempotency-Key"] != confirmation.headers["Idempotency-Key"]
        assert body["notice"]["subject"] == "[Hooked Co] Resolved: Slow API"
        assert "Fast again." in body["notice"]["text"]
        assert body["unsubscribe_url"].startswith(f"{BASE}/s/{slug}/unsubscribe?token=")
        assert "confirm_url" not in body
        assert "signing_secret" not in body

        starts = datetime.now(UTC) + timedelta(days=1)
        planned = await client.post(
            "/api/v1/maintenances",
            json={"title": "Upgrade", "starts_at": starts.isoformat(),
                  "ends_at": (starts + timedelta(hours=1)).isoformat(), "monitor_ids": None},
        )  # fmt: skip
        assert planned.status_code == 201, planned.text
        maintenance = _verified((await receiver.wait_for(3))[2], secret)
        assert maintenance["type"] == "maintenance_scheduled"
        assert maintenance["notice"]["maintenance_id"] == planned.json()["id"]
        assert maintenance["notice"]["starts_at"].startswith(f"{starts:%Y-%m-%dT%H:%M}")

        # The unsubscribe_url, POSTed: no more notices (nor the maintenance's start notice).
        gone = await client.post(body["unsubscribe_url"].removeprefix(BASE))
        assert gone.status_code == 200
        assert "You are unsubscribed" in gone.text
        again = await client.post(
            f"/api/v1/status-pages/{page['id']}/incidents",
            json={"title": "Another", "status": "investigating", "impact": "minor", "message": "Hm."},
        )
        assert again.status_code == 201
        assert await _pending(app) == 0
    assert len(receiver.requests) == 3


async def test_the_page_offers_a_webhook_form_and_bad_input_is_a_422(client: httpx.AsyncClient) -> None:
    await signup(client, organization="Form Hooks")
    slug = (await client.get("/api/v1/me")).json()["organization"]["slug"]
    html = (await client.get(f"/s/{slug}")).text
    assert 'name="webhook_url" type="url"' in html

    sent = await client.post(f"/s/{slug}/subscribe", data={"webhook_url": "http://127.0.0.1:9/hook"})
    assert sent.status_code == 200
    assert "Check your webhook" in sent.text

    for body in (
        {"webhook_url": "ftp://example.com/x"},
        {"webhook_url": "https://user:pw@example.com/x"},
        {"email": "a@example.com", "webhook_url": "https://example.com/x"},
        {},
    ):
        refused = await client.post(f"/s/{slug}/subscribe", json=body)
        assert refused.status_code == 422, (body, refused.text)


async def test_one_url_is_rate_limited(client: httpx.AsyncClient) -> None:
    await signup(client, organization="Limited Hooks")
    slug = (await client.get("/api/v1/me")).json()["organization"]["slug"]
    for _ in range(5):
        ok = await client.post(f"/s/{slug}/subscribe", json={"webhook_url": "https://hooks.example.com/a"})
        assert ok.status_code == 202
    limited = await client.post(f"/s/{slug}/subscribe", json={"webhook_url": "https://hooks.example.com/a"})
    assert limited.status_code == 429
    assert "this URL" in limited.json()["detail"]


class TestSaasRefusesPrivateAddresses:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"allow_private_targets": False}

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8080/hook",
            "http://10.0.0.5/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/",
        ],
    )
    async def test_a_private_address_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, url: str
    ) -> None:
        await signup(client, organization="Guarded Hooks")
        slug = (await client.get("/api/v1/me")).json()["organization"]["slug"]
        refused = await client.post(f"/s/{slug}/subscribe", json={"webhook_url": url})
        assert refused.status_code == 422, refused.text
        assert "webhook_url" in str(refused.json()["detail"])
        assert await _pending(app) == 0
