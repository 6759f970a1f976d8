"""Plan limits hold when a client fires its creates all at once.

Each request goes through the real app on its own connection and transaction (one httpx client per
request over the ASGI transport, gathered), so on PostgreSQL the count-then-insert of every request
overlaps the others'; the organization row lock makes them take turns.
"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from statusping.services.channels import MAX_CHANNELS
from tests.conftest import make_client
from tests.support import login, signup, unique_email

PARALLEL = 20


async def signed_in_clients(app: FastAPI, email: str, count: int) -> list[httpx.AsyncClient]:
    clients = [make_client(app) for _ in range(count)]
    for c in clients:
        assert (await login(c, email)).status_code == 200
    return clients


async def test_twenty_parallel_monitor_creates_on_a_free_plan_leave_exactly_five(app: FastAPI) -> None:
    email = unique_email()
    async with make_client(app) as owner:
        await signup(owner, email=email)
        clients = await signed_in_clients(app, email, PARALLEL)
        try:
            responses = await asyncio.gather(
                *(
                    c.post(
                        "/api/v1/monitors",
                        json={
                            "name": f"M{i}",
                            "type": "http",
                            "url": "https://example.com",
                            "interval_seconds": 300,
                        },
                    )
                    for i, c in enumerate(clients)
                )
            )
        finally:
            for c in clients:
                await c.aclose()
        codes = sorted(r.status_code for r in responses)
        assert codes == [201] * 5 + [403] * (PARALLEL - 5)
        refused = next(r for r in responses if r.status_code == 403)
        assert refused.json()["detail"] == "the Free plan allows 5 monitors; the Pro plan lifts it"
        listed = await owner.get("/api/v1/monitors")
        assert listed.headers["X-Total-Count"] == "5"


async def test_parallel_channel_creates_stop_at_the_channel_limit(app: FastAPI) -> None:
    email = unique_email()
    async with make_client(app) as owner:
        await signup(owner, email=email)
        existing = len((await owner.get("/api/v1/channels")).json())
        # Fill up to just under the limit one by one, then race for the last places.
        for i in range(MAX_CHANNELS - existing - 3):
            created = await owner.post(
                "/api/v1/channels",
                json={"name": f"C{i}", "kind": "email", "config": {"to": ["a@example.com"]}},
            )
            assert created.status_code == 201, created.text
        clients = await signed_in_clients(app, email, 10)
        try:
            responses = await asyncio.gather(
                *(
                    c.post(
                        "/api/v1/channels",
                        json={"name": f"R{i}", "kind": "email", "config": {"to": ["b@example.com"]}},
                    )
                    for i, c in enumerate(clients)
                )
            )
        finally:
            for c in clients:
                await c.aclose()
        codes = sorted(r.status_code for r in responses)
        assert codes == [201] * 3 + [403] * 7
        assert len((await owner.get("/api/v1/channels")).json()) == MAX_CHANNELS
