"""The status page and its JSON come from the render cache: the same bytes until something changes,
fresh bytes at once when it does (on this node, and within a second when another node made the
change), and the last bytes rather than an error when the database is gone."""

from __future__ import annotations

import gzip

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from statusping.app import create_app
from statusping.config import Settings
from statusping.web.public.render_cache import cache_of
from tests.conftest import free_port, make_client
from tests.support import eventually, signup


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"allow_private_targets": True}


async def _setup(client: httpx.AsyncClient) -> tuple[str, str]:
    await signup(client, organization="Cached Co")
    slug: str = (await client.get("/api/v1/me")).json()["organization"]["slug"]
    response = await client.post(
        "/api/v1/monitors",
        json={"name": "API", "type": "tcp", "host": "127.0.0.1", "port": free_port(), "interval_seconds": 300,
              "failure_threshold": 1, "public": True},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    monitor_id: str = response.json()["id"]
    return slug, monitor_id


async def _fail(client: httpx.AsyncClient, monitor_id: str) -> None:
    response = await client.post(f"/api/v1/monitors/{monitor_id}/check")
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is False


@pytest.mark.parametrize("path", ["", "/api", "/api/v2/summary.json"])
async def test_a_second_request_is_served_from_the_cache_until_the_state_changes(
    client: httpx.AsyncClient, path: str
) -> None:
    slug, monitor_id = await _setup(client)
    first = await client.get(f"/s/{slug}{path}")
    second = await client.get(f"/s/{slug}{path}")
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Cache"] == "MISS"
    assert second.headers["X-Cache"] == "HIT"
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.content == first.content

    await _fail(client, monitor_id)
    after = await client.get(f"/s/{slug}{path}")

    assert after.headers["X-Cache"] == "MISS"
    assert after.headers["ETag"] != first.headers["ETag"]
    assert "major_outage" in after.text


async def test_a_change_made_through_another_app_instance_reaches_this_one(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    slug, monitor_id = await _setup(client)
    cached = await client.get(f"/s/{slug}/api/v2/status.json")
    assert cached.json()["status"]["indicator"] == "none"

    other = create_app(settings, migrate=False, engine=False)  # a second web node, same database
    async with other.router.lifespan_context(other), make_client(other) as other_client:
        other_client.cookies.update(client.cookies)
        other_client.headers["X-CSRF-Token"] = client.headers["X-CSRF-Token"]
        await _fail(other_client, monitor_id)

    async def indicator() -> str | None:
        answer = await client.get(f"/s/{slug}/api/v2/status.json")
        found: str = answer.json()["status"]["indicator"]
        return found if found != "none" else None

    assert await eventually(indicator, within=10) == "critical"


async def test_the_last_rendered_page_is_served_when_the_database_is_unreachable(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    slug, _ = await _setup(client)
    good = await client.get(f"/s/{slug}")
    cache_of(app.state).check_interval = 0  # ask the database at every request
    working = app.state.sessionmaker
    dead = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/gone")
    app.state.sessionmaker = async_sessionmaker(dead)
    try:
        page = await client.get(f"/s/{slug}")
        summary = await client.get(f"/s/{slug}/api/v2/summary.json")
    finally:
        app.state.sessionmaker = working
        await dead.dispose()

    assert page.status_code == 200
    assert page.headers["X-Cache"] == "STALE"
    assert page.content == good.content
    assert summary.status_code == 503  # never rendered here: nothing to fall back on
    assert summary.json()["detail"]
    assert (await client.get(f"/s/{slug}")).headers["X-Cache"] in {"HIT", "MISS"}


async def test_head_gzip_and_if_none_match(client: httpx.AsyncClient) -> None:
    slug, _ = await _setup(client)
    plain = await client.get(f"/s/{slug}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers

    head = await client.head(f"/s/{slug}", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == str(len(plain.content))
    assert head.headers["ETag"] == plain.headers["ETag"]

    raw = await client.get(f"/s/{slug}", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["Content-Encoding"] == "gzip"
    assert raw.headers["Vary"] == "Accept-Encoding"
    assert raw.content == plain.content  # httpx decodes it
    assert int(raw.headers["Content-Length"]) < len(plain.content) / 3
    assert gzip.decompress(gzip.compress(plain.content)) == raw.content

    again = await client.get(f"/s/{slug}", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_a_plan_change_re_renders_the_cached_page(app: FastAPI, client: httpx.AsyncClient) -> None:
    """A downgrade brings "Powered by" back at once: the plan is part of what the page shows."""
    from datetime import UTC, datetime

    from statusping.domain.plans import PlanKey, get_plan
    from statusping.services.plans import set_plan_by_slug

    slug, _ = await _setup(client)

    async def set_plan(plan: PlanKey) -> None:
        async with app.state.sessionmaker() as db, db.begin():
            await set_plan_by_slug(db, slug=slug, plan=get_plan(plan).key.value, now=datetime.now(UTC))

    await set_plan(PlanKey.PRO)
    page_id = (await client.get("/api/v1/status-pages")).json()[0]["id"]
    hidden = await client.patch(f"/api/v1/status-pages/{page_id}", json={"show_powered_by": False})
    assert hidden.status_code == 200, hidden.text
    await client.get(f"/s/{slug}")
    cached = await client.get(f"/s/{slug}")
    assert cached.headers["X-Cache"] == "HIT"
    assert "Powered by" not in cached.text

    await set_plan(PlanKey.FREE)
    after = await client.get(f"/s/{slug}")
    assert after.headers["X-Cache"] == "MISS"
    assert "Powered by" in after.text
