"""Atom/RSS feeds of a status page's incidents and SVG badges of public monitors."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from typing import Any

import feedparser
import httpx
import pytest

from tests.conftest import free_port
from tests.support import signup
from tests.targets import SwitchableTarget

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"allow_private_targets": True, "base_url": "http://status.example.com"}


async def _page(client: httpx.AsyncClient) -> dict[str, Any]:
    (page,) = (await client.get("/api/v1/status-pages")).json()
    assert isinstance(page, dict)
    return page


async def _monitor(client: httpx.AsyncClient, name: str, *, public: bool, port: int) -> str:
    response = await client.post(
        "/api/v1/monitors",
        json={"name": name, "type": "tcp", "host": "127.0.0.1", "port": port, "interval_seconds": 300,
              "failure_threshold": 1, "public": public},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    monitor_id: str = response.json()["id"]
    assert (await client.post(f"/api/v1/monitors/{monitor_id}/check")).status_code == 200
    return monitor_id


def _badge_text(body: bytes) -> tuple[str, list[str]]:
    """The badge's accessible title and its visible texts; fails unless it is well-formed SVG."""
    root = ET.fromstring(body)  # noqa: S314 - our own answer, parsed to prove it is well-formed
    assert root.tag == f"{SVG}svg"
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    return title.text, texts


class TestFeeds:
    async def test_atom_and_rss_parse_cleanly_with_both_kinds_of_incidents_and_absolute_links(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client, organization="Feed & Co <Ltd>")
        shop = await _monitor(client, "Shop", public=True, port=target.port)
        await _monitor(client, "Search", public=True, port=free_port())  # down: an automatic incident
        await _monitor(client, "Secret ledger", public=False, port=free_port())  # down, private
        page = await _page(client)
        posted = await client.post(
            f"/api/v1/status-pages/{page['id']}/incidents",
            json={"title": "Payments <fail> & retry", "status": "identified", "impact": "major",
                  "message": "The **card** processor is down. <script>x()</script>", "monitor_ids": [shop]},
        )  # fmt: skip
        assert posted.status_code == 201, posted.text
        incident = posted.json()
        base = f"http://status.example.com/s/{page['slug']}"

        for kind, media in (("atom", "application/atom+xml"), ("rss", "application/rss+xml")):
            response = await client.get(f"/s/{page['slug']}/feed.{kind}")
            assert response.status_code == 200, kind
            assert response.headers["content-type"].startswith(media)
            assert "set-cookie" not in response.headers
            assert "max-age=" in response.headers["cache-control"]
            assert b"<script>" not in response.content
            assert b"Secret ledger" not in response.content
            feed = feedparser.parse(response.content)
            assert feed.bozo == 0, (kind, feed.get("bozo_exception"))
            assert feed.feed.title == "Feed & Co <Ltd> status: incidents"
            titles = [e.title for e in feed.entries]
            assert titles[0] == "Payments <fail> & retry [Identified]"  # the newest first
            assert "Search is unavailable [Investigating]" in titles
            assert len(titles) == 2
            entry = feed.entries[0]
            assert (
                entry.link == f"{base}/history?month={incident['created_at'][:7]}#incident-{incident['id']}"
            )
            assert entry.id == f"urn:uuid:{incident['id']}"
            html = entry.content[0].value if kind == "atom" else entry.description
            assert "<strong>card</strong>" in html
            assert "&lt;script&gt;" in html
            assert all(
                link.startswith("http://status.example.com/") for e in feed.entries for link in [e.link]
            )

        # An update changes the same entry rather than adding one.
        await client.post(
            f"/api/v1/status-pages/{page['id']}/incidents/{incident['id']}/updates",
            json={"status": "resolved", "message": "Fixed."},
        )
        atom = feedparser.parse((await client.get(f"/s/{page['slug']}/feed.atom")).content)
        assert atom.entries[0].title == "Payments <fail> & retry [Resolved]"
        assert len(atom.entries) == 2

    async def test_an_empty_page_has_valid_empty_feeds_and_unknown_slugs_are_404(
        self, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        page = await _page(client)
        for kind in ("atom", "rss"):
            feed = feedparser.parse((await client.get(f"/s/{page['slug']}/feed.{kind}")).content)
            assert feed.bozo == 0
            assert feed.entries == []
            assert (await client.get(f"/s/nobody-here/feed.{kind}")).status_code == 404


class TestBadges:
    async def test_status_uptime_and_response_badges_of_a_public_monitor(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        up = await _monitor(client, "Shop", public=True, port=target.port)
        down = await _monitor(client, "Search", public=True, port=free_port())

        response = await client.get(f"/badge/{up}/status.svg")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert "max-age=30" in response.headers["cache-control"]
        assert "set-cookie" not in response.headers
        title, texts = _badge_text(response.content)
        assert title == "status: up"
        assert "up" in texts
        assert b'fill="#4c1"' in response.content
        title, _ = _badge_text((await client.get(f"/badge/{down}/status.svg")).content)
        assert title == "status: down"
        assert b'fill="#e05d44"' in (await client.get(f"/badge/{down}/status.svg")).content

        title, _ = _badge_text((await client.get(f"/badge/{up}/uptime.svg")).content)
        assert title == "uptime 24h: 100%"
        title, _ = _badge_text((await client.get(f"/badge/{down}/uptime.svg?window=24h")).content)
        assert title.startswith("uptime 24h: ")
        assert title != "uptime 24h: 100%"
        # The free plan keeps one day of history: longer windows have no data.
        title, _ = _badge_text((await client.get(f"/badge/{up}/uptime.svg?window=30d")).content)
        assert title == "uptime 30d: no data"

        title, _ = _badge_text((await client.get(f"/badge/{up}/response.svg")).content)
        assert title.startswith("response: ")
        assert title.endswith(" ms")

        etag = response.headers["etag"]
        again = await client.get(f"/badge/{up}/status.svg", headers={"If-None-Match": etag})
        assert again.status_code == 304

    async def test_private_unknown_and_malformed_monitors_have_no_badges(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        private = await _monitor(client, "Internal", public=False, port=target.port)
        public = await _monitor(client, "Shop", public=True, port=target.port)
        for monitor_id in (private, str(uuid.uuid4()), "not-a-uuid", "1"):
            for badge in ("status.svg", "uptime.svg", "uptime.svg?window=7d", "response.svg"):
                response = await client.get(f"/badge/{monitor_id}/{badge}")
                assert response.status_code == 404, (monitor_id, badge)
                assert response.json() == {"detail": "there is no public monitor with this id"}
        for window in ("1y", "365d", "", "24H"):
            response = await client.get(f"/badge/{public}/uptime.svg?window={window}")
            assert response.status_code == 422, window
            assert "window must be one of" in response.json()["detail"]

        # A monitor made private loses its badges at once.
        await client.patch(f"/api/v1/monitors/{public}", json={"public": False})
        assert (await client.get(f"/badge/{public}/status.svg")).status_code == 404
