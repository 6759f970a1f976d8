"""Slug changes, branding and custom domains of a status page, through the API and the public surface."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import httpx
import pytest
from fastapi import FastAPI

from statusping.storage.models import Organization
from tests.conftest import free_port, make_client
from tests.support import signup

LOGO = "https://assets.example.com/brand/logo.png"


class _Zone(asyncio.DatagramProtocol):
    """A nameserver whose TXT records the test writes as it goes; NXDOMAIN for other names."""

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        response = dns.message.make_response(query)
        values = self.records.get(question.name.to_text().rstrip(".").lower())
        if values and question.rdtype == dns.rdatatype.TXT:
            quoted = [f'"{v}"' for v in values]
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", "TXT", quoted))
        elif not values:
            response.set_rcode(dns.rcode.NXDOMAIN)
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


@asynccontextmanager
async def nameserver(port: int, records: dict[str, list[str]]) -> AsyncIterator[None]:
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Zone(records), local_addr=("127.0.0.1", port)
    )
    try:
        yield
    finally:
        transport.close()


DNS_PORT = free_port()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"domain_nameserver": f"127.0.0.1:{DNS_PORT}"}


async def plan(app: FastAPI, client: httpx.AsyncClient, name: str) -> None:
    org_id = (await client.get("/api/v1/me")).json()["organization"]["id"]
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(org_id))
        assert org is not None
        org.plan = name


async def own_page(client: httpx.AsyncClient) -> dict[str, Any]:
    (page,) = (await client.get("/api/v1/status-pages")).json()
    found: dict[str, Any] = page
    return found


class TestSlug:
    async def test_a_new_slug_serves_the_page_and_the_old_one_redirects_everywhere(
        self, client: httpx.AsyncClient
    ) -> None:
        await signup(client, organization="Acme Slugs")
        page = await own_page(client)
        old = page["slug"]
        changed = await client.patch(f"/api/v1/status-pages/{page['id']}", json={"slug": "Acme-Status"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["slug"] == "acme-status"
        assert changed.json()["url"].endswith("/s/acme-status")
        assert (await client.get("/s/acme-status")).status_code == 200

        for path in ("", "/api/v2/summary.json", "/feed.atom", "/history?month=2026-01"):
            moved = await client.get(f"/s/{old}{path}")
            assert moved.status_code == 308, (path, moved.status_code)
            assert moved.headers["location"] == f"/s/acme-status{path}"
            assert "content-security-policy" in moved.headers
        assert (await client.get("/s/never-was-a-page")).status_code == 404

    async def test_bad_reserved_and_taken_slugs_are_refused(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await signup(client, organization="Taken Slug Co")
        taken = (await own_page(client))["slug"]
        async with make_client(app) as other:
            await signup(other, organization="Second Co")
            page = await own_page(other)
            url = f"/api/v1/status-pages/{page['id']}"
            for bad in ("ab", "-acme", "acme-", "Acme Status", "a" * 61, "admin", "api", "ünicode"):
                refused = await other.patch(url, json={"slug": bad})
                assert refused.status_code == 422, (bad, refused.text)
                assert "slug" in str(refused.json()["detail"])
            conflict = await other.patch(url, json={"slug": taken})
            assert conflict.status_code == 409
            assert (await own_page(other))["slug"] == page["slug"]

    async def test_a_slug_given_up_is_free_to_take_and_its_redirect_ends(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await signup(client, organization="Giver")
        first = await own_page(client)
        await client.patch(f"/api/v1/status-pages/{first['id']}", json={"slug": "giver-new"})
        async with make_client(app) as other:
            await signup(other, organization="Taker")
            second = await own_page(other)
            took = await other.patch(f"/api/v1/status-pages/{second['id']}", json={"slug": first["slug"]})
            assert took.status_code == 200, took.text
        page = await client.get(f"/s/{first['slug']}")
        assert page.status_code == 200
        assert "Taker" in page.text


class TestBranding:
    async def test_free_plan_gets_403_naming_the_plan_that_lifts_it(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        url = f"/api/v1/status-pages/{(await own_page(client))['id']}"
        for body in ({"logo_url": LOGO}, {"brand_color": "#1d4ed8"}, {"show_powered_by": False}):
            refused = await client.patch(url, json=body)
            assert refused.status_code == 403, body
            assert "Pro plan" in refused.json()["detail"]
        domain = await client.patch(url, json={"custom_domain": "status.acme.test"})
        assert domain.status_code == 403
        assert "Business plan" in domain.json()["detail"]
        # Clearing is always allowed.
        assert (await client.patch(url, json={"logo_url": None, "show_powered_by": True})).status_code == 200

    async def test_a_pro_page_shows_its_logo_colour_and_no_powered_by(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await signup(client, organization="Brandy")
        await plan(app, client, "pro")
        page = await own_page(client)
        url = f"/api/v1/status-pages/{page['id']}"
        for bad in ({"logo_url": "http://assets.example.com/a.png"}, {"logo_url": "javascript:alert(1)"},
                    {"logo_url": "https://" + "a" * 600 + ".com/x.png"}, {"brand_color": "blue"},
                    {"brand_color": "#12345"}, {"brand_color": "#1234567"}):  # fmt: skip
            assert (await client.patch(url, json=bad)).status_code == 422, bad
        saved = await client.patch(
            url, json={"logo_url": LOGO, "brand_color": "#1D4ED8", "show_powered_by": False}
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["brand_color"] == "#1d4ed8"

        public = await client.get(f"/s/{page['slug']}")
        assert f'<img src="{LOGO}" alt="Brandy logo"' in public.text
        assert f'href="/s/{page["slug"]}/theme.css"' in public.text
        assert "brand-header" in public.text
        assert "Powered by" not in public.text
        csp = public.headers["content-security-policy"]
        assert "img-src 'self' data: https://assets.example.com;" in csp
        assert "style-src 'self';" in csp

        theme = await client.get(f"/s/{page['slug']}/theme.css")
        assert theme.status_code == 200
        assert theme.headers["content-type"].startswith("text/css")
        assert "--brand:#1d4ed8" in theme.text
        again = await client.get(
            f"/s/{page['slug']}/theme.css", headers={"If-None-Match": theme.headers["etag"]}
        )
        assert again.status_code == 304
        assert (await client.get("/s/nobody-here/theme.css")).status_code == 404

        # A downgrade keeps the values but the page stops showing them.
        await plan(app, client, "free")
        await client.patch(
            url, json={"title": "Brandy"}
        )  # a rendered page is kept until a change (or a minute)
        public = await client.get(f"/s/{page['slug']}")
        assert LOGO not in public.text
        assert "theme.css" not in public.text
        assert "Powered by" in public.text
        assert "assets.example.com" not in public.headers["content-security-policy"]


class TestCustomDomain:
    async def test_verified_domain_serves_the_page_and_answers_the_tls_check(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await signup(client, organization="Domainer")
        await plan(app, client, "business")
        page = await own_page(client)
        url = f"/api/v1/status-pages/{page['id']}"
        for bad in ("localhost", "testserver", "api.testserver", "192.0.2.1", "a..b.com", "-x.example.com"):
            assert (await client.patch(url, json={"custom_domain": bad})).status_code == 422, bad

        saved = await client.patch(url, json={"custom_domain": "Status.Acme.test."})
        assert saved.status_code == 200, saved.text
        body = saved.json()
        assert body["custom_domain"] == "status.acme.test"
        assert body["domain_verified"] is False
        record = body["domain_verification"]
        assert record["name"] == "_statusping.status.acme.test"
        assert (
            await client.get("/internal/domains/check", params={"domain": "status.acme.test"})
        ).status_code == 404
        landing = await client.get("/", headers={"Host": "status.acme.test"})
        assert "Domainer" not in landing.text

        records: dict[str, list[str]] = {}
        async with nameserver(DNS_PORT, records):
            missing = await client.post(f"{url}/domain/verify")
            assert missing.status_code == 422
            assert "_statusping.status.acme.test" in str(missing.json()["detail"])
            records["_statusping.status.acme.test"] = ["something-else"]
            wrong = await client.post(f"{url}/domain/verify")
            assert wrong.status_code == 422
            assert "something-else" in str(wrong.json()["detail"])
            records["_statusping.status.acme.test"] = [record["value"]]
            verified = await client.post(f"{url}/domain/verify")
            assert verified.status_code == 200, verified.text
            assert verified.json()["domain_verified"] is True

        check = await client.get("/internal/domains/check", params={"domain": "status.acme.test"})
        assert check.status_code == 200
        assert (
            await client.get("/internal/domains/check", params={"domain": "other.test"})
        ).status_code == 404
        assert (await client.get("/internal/domains/check")).status_code == 404
        served = await client.get("/", headers={"Host": "status.acme.test"})
        assert served.status_code == 200
        assert (
            '<h1 class="break-words text-2xl font-bold tracking-tight sm:text-3xl">Domainer</h1>'
            in served.text
        )
        # "Powered by" leads to StatusPing itself: on the custom domain "/" is this very page.
        assert 'Powered by <a href="http://testserver/"' in served.text

        async with make_client(app) as other:
            await signup(other, organization="Squatter")
            await plan(app, other, "business")
            theirs = await own_page(other)
            clash = await other.patch(
                f"/api/v1/status-pages/{theirs['id']}", json={"custom_domain": "status.acme.test"}
            )
            assert clash.status_code == 409
            assert (await other.post(f"/api/v1/status-pages/{page['id']}/domain/verify")).status_code == 404
            assert (await other.get(f"/api/v1/status-pages/{page['id']}")).status_code == 404

        # A downgrade stops serving the domain (the certificate check says no too).
        await plan(app, client, "pro")
        assert (
            await client.get("/internal/domains/check", params={"domain": "status.acme.test"})
        ).status_code == 404
        # Removing the domain is allowed on any plan.
        assert (await client.patch(url, json={"custom_domain": None})).json()["domain_verification"] is None
