"""Secrets are masked in every answer and survive a client sending back what it was shown."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import pytest

from tests.alerting import Receiver, create_channel, receiver
from tests.support import signup

__all__ = ["receiver"]

TOKEN = "Bearer tok-0123456789abcdef"
SELFHOSTED = {"mode": "selfhosted", "min_interval_seconds": 1}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return SELFHOSTED  # every feature, and targets on 127.0.0.1


async def _monitor(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/monitors",
        json={
            "name": "API",
            "type": "http",
            "url": url,
            "interval_seconds": 60,
            "headers": {"Authorization": TOKEN, "X-Api-Key": "k-42"},
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_monitor_header_values_are_masked_in_every_answer(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await signup(client)
    created = await _monitor(client, receiver.url("/health"))
    assert created["headers"] == {"Authorization": "****cdef", "X-Api-Key": "****"}
    assert created["url"] == receiver.url("/health")
    answers = [
        (await client.get(f"/api/v1/monitors/{created['id']}")).text,
        (await client.get("/api/v1/monitors")).text,
        (await client.patch(f"/api/v1/monitors/{created['id']}", json={"name": "Renamed"})).text,
        (await client.post(f"/api/v1/monitors/{created['id']}/pause")).text,
    ]
    for text in answers:
        assert "tok-0123456789abcdef" not in text
        assert "k-42" not in text


async def test_a_monitor_sent_back_as_shown_still_sends_its_real_secrets(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await signup(client)
    created = await _monitor(client, receiver.url("/health"))
    shown = (await client.get(f"/api/v1/monitors/{created['id']}")).json()
    edited = {"headers": {**shown["headers"], "X-Team": "ops"}, "url": shown["url"], "name": "API v2"}
    response = await client.patch(f"/api/v1/monitors/{created['id']}", json=edited)
    assert response.status_code == 200, response.text
    assert response.json()["headers"] == {"Authorization": "****cdef", "X-Api-Key": "****", "X-Team": "****"}

    result = await client.post(f"/api/v1/monitors/{created['id']}/check")
    assert result.json()["ok"] is True, result.text
    (request,) = await receiver.wait_for(1)
    assert request.headers["Authorization"] == TOKEN
    assert request.headers["X-Api-Key"] == "k-42"
    assert request.headers["X-Team"] == "ops"


async def test_a_mask_that_cannot_be_restored_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await signup(client)
    created = await _monitor(client, receiver.url("/health"))
    copied = await client.patch(
        f"/api/v1/monitors/{created['id']}", json={"headers": {"X-Other": "****cdef"}}
    )
    assert copied.status_code == 422
    assert copied.json()["detail"][0]["loc"] == ["body", "headers.X-Other"]
    assert "send the full value" in copied.json()["detail"][0]["msg"]
    fresh = await client.post(
        "/api/v1/monitors",
        json={"name": "Copy", "type": "http", "url": receiver.url(), "headers": {"Authorization": "****"}},
    )
    assert fresh.status_code == 422
    await client.post(f"/api/v1/monitors/{created['id']}/check")
    (request,) = await receiver.wait_for(1)
    assert request.headers["Authorization"] == TOKEN  # the refused edit changed nothing


async def test_webhook_tokens_in_the_path_and_query_the_secret_and_headers_are_masked_and_kept(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await signup(client)
    secret = "whsec-0123456789abcdef"
    url = receiver.url("/services/T0001/B0002/XXXXSECRETXXXX?token=abc")
    hook = await create_channel(
        client,
        name="Hook",
        kind="webhook",
        config={"url": url, "secret": secret, "headers": {"X-Auth": TOKEN}},
    )
    port = receiver.port
    assert hook["config"] == {
        "url": f"http://127.0.0.1:{port}/****/****/****/****?token=****",
        "secret": "****cdef",
        "headers": {"X-Auth": "****cdef"},
    }
    listed = (await client.get("/api/v1/channels")).text
    for leaked in ("XXXXSECRETXXXX", "T0001", "abc", secret, "tok-0123456789abcdef"):
        assert leaked not in listed

    renamed = await client.patch(
        f"/api/v1/channels/{hook['id']}", json={"name": "Ops", "config": hook["config"]}
    )
    assert renamed.status_code == 200, renamed.text
    sent = await client.post(f"/api/v1/channels/{hook['id']}/test")
    assert sent.json()["status"] == "sent", sent.text
    (request,) = await receiver.wait_for(1)
    assert request.path == "/services/T0001/B0002/XXXXSECRETXXXX"
    assert request.headers["X-Auth"] == TOKEN
    signature = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-StatusPing-Signature"] == f"sha256={signature}"

    half_edited = await client.patch(
        f"/api/v1/channels/{hook['id']}",
        json={"config": {"url": f"http://127.0.0.1:{port}/****/other"}},
    )
    assert half_edited.status_code == 422
    assert half_edited.json()["detail"][0]["loc"] == ["body", "config.url"]


async def test_apprise_urls_show_only_the_service(client: httpx.AsyncClient) -> None:
    await signup(client)
    chat = await create_channel(
        client,
        name="Slack",
        kind="apprise",
        config={"url": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"},
    )
    assert chat["config"] == {"url": "slack://****"}
    kept = await client.patch(f"/api/v1/channels/{chat['id']}", json={"config": chat["config"]})
    assert kept.status_code == 200
    assert "T1JJ3T3L2" not in (await client.get(f"/api/v1/channels/{chat['id']}")).text
