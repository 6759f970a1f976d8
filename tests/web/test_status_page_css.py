"""Custom CSS on a Business status page: refused with a clear 422 when it could load or run
anything or break out of a stylesheet, served as its own stylesheet (also on the custom domain)
when it is good, and a 403 naming the plan below Business."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from statusping.storage.models import Organization, StatusPage
from tests.support import signup

GOOD = """/* brand */
.brand-header { border-bottom: 4px solid #1d4ed8; }
#overall-status > p::before { content: "\\2713  "; }
body { background: url("data:image/png;base64,iVBORw0KGgo=") no-repeat; scroll-behavior: smooth; }
@media (max-width: 400px) { h1 { font-size: 1.25rem } }"""


async def _plan(app: FastAPI, client: httpx.AsyncClient, name: str) -> None:
    org_id = (await client.get("/api/v1/me")).json()["organization"]["id"]
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(org_id))
        assert org is not None
        org.plan = name


async def _own(client: httpx.AsyncClient) -> dict[str, Any]:
    (page,) = (await client.get("/api/v1/status-pages")).json()
    found: dict[str, Any] = page
    return found


async def _set_css(client: httpx.AsyncClient, page_id: str, css: str | None) -> httpx.Response:
    return await client.patch(f"/api/v1/status-pages/{page_id}", json={"custom_css": css})


HOSTILE = [
    ("</style><script>alert(1)</script>", "<"),
    ("body{color:red}<!--", "<"),
    ('@import "https://evil.example/x.css";', "@import"),
    ("@IMPORT url(x.css);", "@import"),
    ("@\\69mport 'x.css';", "@import"),
    ("@im/**/port 'x.css';", "@import"),
    ("body{background:url(https://evil.example/track.png)}", "url()"),
    ("body{background:URL( 'http://evil.example/t' )}", "url()"),
    ("body{background:u\\72l(//evil.example/t)}", "url()"),
    ("body{background:url(data:image/svg+xml;base64,PHN2Zz4=)}", "url()"),
    ("body{background:image-set('https://evil.example/a.png' 1x)}", "image-set()"),
    ("@font-face{font-family:x;src:local(Arial)}", "@font-face"),
    ("body{width:expression(alert(1))}", "expression()"),
    ("a{background:url(javascript:alert(1))}", "javascript:"),
    ("body{behavior:url(x.htc)}", "behavior"),
    ("body{-moz-binding:url(x.xml#xss)}", "-moz-binding"),
    ("body { color: red", "braces"),
    ("body { color: red }}", "braces"),
    ("x" * 20_001, "20,000"),
]


@pytest.mark.parametrize(("css", "named"), HOSTILE, ids=[n for _, n in HOSTILE])
async def test_hostile_css_is_refused_with_a_422_saying_why_and_nothing_changes(
    app: FastAPI, client: httpx.AsyncClient, css: str, named: str
) -> None:
    await signup(client, organization="Hostile CSS Co")
    await _plan(app, client, "business")
    page = await _own(client)
    assert (await _set_css(client, page["id"], ".ok{color:red}")).status_code == 200

    refused = await _set_css(client, page["id"], css)

    assert refused.status_code == 422, refused.text
    assert named.lower() in str(refused.json()["detail"]).lower()
    assert (await _own(client))["custom_css"] == ".ok{color:red}"
    served = await client.get(f"/s/{page['slug']}/custom.css")
    assert served.text == ".ok{color:red}"


async def test_good_css_reaches_the_page_as_its_own_stylesheet_and_on_the_custom_domain(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client, organization="Styled Co")
    await _plan(app, client, "business")
    page = await _own(client)
    slug = page["slug"]
    before = await client.get(f"/s/{slug}")
    assert "custom.css" not in before.text

    saved = await _set_css(client, page["id"], GOOD)

    assert saved.status_code == 200, saved.text
    assert saved.json()["custom_css"] == GOOD
    html = await client.get(f"/s/{slug}")
    assert f'<link rel="stylesheet" href="/s/{slug}/custom.css">' in html.text
    assert "<style" not in html.text  # never inlined: the strict CSP stays as it is
    assert html.headers["content-security-policy"].startswith("default-src 'self'")
    assert "'unsafe-inline'" not in html.headers["content-security-policy"]
    css = await client.get(f"/s/{slug}/custom.css")
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.text == GOOD
    assert "max-age" in css.headers["cache-control"]
    assert (await client.get(f"/s/{slug}/custom.css")).headers["X-Cache"] == "HIT"
    again = await client.get(f"/s/{slug}/custom.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304

    # A verified custom domain serves the page at / and its stylesheet at the same path.
    async with app.state.sessionmaker() as db, db.begin():
        row = await db.get(StatusPage, uuid.UUID(page["id"]))
        assert row is not None
        row.custom_domain = "status.styled.example"
        from datetime import UTC, datetime

        row.domain_verified_at = datetime.now(UTC)
    on_domain = await client.get("/", headers={"Host": "status.styled.example"})
    assert f'href="/s/{slug}/custom.css"' in on_domain.text
    css_there = await client.get(f"/s/{slug}/custom.css", headers={"Host": "status.styled.example"})
    assert css_there.text == GOOD

    # Cleared: the page stops linking it.
    assert (await _set_css(client, page["id"], None)).json()["custom_css"] is None
    assert "custom.css" not in (await client.get(f"/s/{slug}")).text


async def test_custom_css_needs_the_business_plan_and_a_downgrade_stops_serving_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client, organization="Pro CSS Co")
    await _plan(app, client, "pro")
    page = await _own(client)

    refused = await _set_css(client, page["id"], ".a{color:red}")

    assert refused.status_code == 403
    assert "Business" in refused.json()["detail"]
    assert (await _set_css(client, page["id"], "")).status_code == 200  # clearing is always allowed

    await _plan(app, client, "business")
    assert (await _set_css(client, page["id"], ".a{color:red}")).status_code == 200
    assert "custom.css" in (await client.get(f"/s/{page['slug']}")).text
    await _plan(app, client, "pro")
    assert "custom.css" not in (await client.get(f"/s/{page['slug']}")).text
    assert (await client.get(f"/s/{page['slug']}/custom.css")).text == "/* no custom CSS */\n"


async def test_automatic_incident_switches_are_on_by_default_and_can_be_turned_off(
    client: httpx.AsyncClient,
) -> None:
    await signup(client, organization="Switches Co")
    page = await _own(client)
    assert page["show_automatic_incidents"] is True
    assert page["notify_automatic_incidents"] is True

    changed = await client.patch(
        f"/api/v1/status-pages/{page['id']}",
        json={"show_automatic_incidents": False, "notify_automatic_incidents": False},
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["show_automatic_incidents"] is False
    assert changed.json()["notify_automatic_incidents"] is False
    bad = await client.patch(f"/api/v1/status-pages/{page['id']}", json={"show_automatic_incidents": "maybe"})
    assert bad.status_code == 422
