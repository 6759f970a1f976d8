"""Issue 10: an automatic incident (a public monitor's outage) can be annotated with updates — shown
in its timeline on the page, its history, the feed and the Statuspage JSON, and mailed to the page's
subscribers unless the page keeps automatic incidents out of their mail."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from tests.alerting import running_dispatcher
from tests.conftest import free_port
from tests.support import SmtpSink, signup, unique_email
from tests.targets import SwitchableTarget
from tests.web.test_subscribers import _break, _link, _mails_to, _monitor, _page, _recover, _text


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink) -> dict[str, object]:
    return {
        "allow_private_targets": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_sink.port,
        "smtp_starttls": False,
    }


async def test_an_owner_annotates_an_outage_and_everybody_public_sees_it(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink, target: SwitchableTarget
) -> None:
    await signup(client, organization="Annotated Co")
    slug = await _page(client)
    (page,) = (await client.get("/api/v1/status-pages")).json()
    down_port = free_port()
    api = await _monitor(client, "API", target.port)
    reader = unique_email("reader")
    updates = f"/api/v1/status-pages/{page['id']}/incidents"

    async with running_dispatcher(app):
        assert (await client.post(f"/s/{slug}/subscribe", json={"email": reader})).status_code == 202
        (confirmation,) = await _mails_to(smtp_sink, reader, 1)
        assert (await client.get(_link(confirmation, "subscribe/confirm"))).status_code == 200
        await _break(client, api, down_port)
        (_, outage) = await _mails_to(smtp_sink, reader, 2)
        assert outage["Subject"] == "[Annotated Co] API is unavailable"
        (incident,) = (await client.get(f"/s/{slug}/api/v2/incidents.json")).json()["incidents"]
        iid = incident["id"]

        # Still down: "resolved" is the engine's word, refused; nothing is stored or sent.
        refused = await client.post(f"{updates}/{iid}/updates", json={"status": "resolved", "message": "x"})
        assert refused.status_code == 422, refused.text
        assert "monitor answers again" in str(refused.json()["detail"])

        posted = await client.post(
            f"{updates}/{iid}/updates",
            json={"status": "identified", "message": "The database **failover** is under way."},
        )
        assert posted.status_code == 201, posted.text
        body = posted.json()
        assert (body["id"], body["automatic"], body["status"]) == (iid, True, "identified")
        assert body["title"] == "API is unavailable"
        assert body["monitor_ids"] == [api]
        assert [u["status"] for u in body["updates"]] == ["identified"]
        assert (await client.get(f"{updates}/{iid}")).json()["updates"] == body["updates"]

        (*_, told) = await _mails_to(smtp_sink, reader, 3)
        assert told["Subject"] == "[Annotated Co] API is unavailable"
        assert "failover" in _text(told)
        assert told["List-Unsubscribe"]

        html = (await client.get(f"/s/{slug}")).text
        assert "<strong>failover</strong>" in html
        assert 'data-update-status="identified"' in html
        assert "<strong>failover</strong>" in (await client.get(f"/s/{slug}/history")).text
        feed = (await client.get(f"/s/{slug}/feed.atom")).text
        assert "API is unavailable [Identified]" in feed
        assert "failover" in feed
        (listed,) = (await client.get(f"/s/{slug}/api/v2/incidents/unresolved.json")).json()["incidents"]
        assert listed["status"] == "identified"
        assert [u["status"] for u in listed["incident_updates"]] == ["identified", "investigating"]
        assert listed["incident_updates"][0]["body"] == "The database **failover** is under way."

        # The monitor answers again: the incident is resolved whatever was written last.
        await _recover(client, api, target)
        (*_, recovered) = await _mails_to(smtp_sink, reader, 4)
        assert recovered["Subject"] == "[Annotated Co] Resolved: API is available again"
        (done,) = (await client.get(f"/s/{slug}/api/v2/incidents.json")).json()["incidents"]
        assert done["status"] == "resolved"
        assert [u["status"] for u in done["incident_updates"]] == ["resolved", "identified", "investigating"]

        # With automatic incidents kept out of subscribers' mail, a note after the fact is only shown.
        quiet = await client.patch(
            f"/api/v1/status-pages/{page['id']}", json={"notify_automatic_incidents": False}
        )
        assert quiet.status_code == 200
        note = await client.post(
            f"{updates}/{iid}/updates", json={"status": "resolved", "message": "Postmortem: disk full."}
        )
        assert note.status_code == 201, note.text
        assert "Postmortem: disk full." in (await client.get(f"/s/{slug}/history")).text
    assert len([m for m in smtp_sink.messages if m["To"] == reader]) == 4


async def test_unknown_hidden_and_other_organizations_incidents_are_404(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client, organization="First Co")
    slug = await _page(client)
    (page,) = (await client.get("/api/v1/status-pages")).json()
    api = await _monitor(client, "API", target.port)
    await _break(client, api, free_port())
    (incident,) = (await client.get(f"/s/{slug}/api/v2/incidents.json")).json()["incidents"]
    note = {"status": "monitoring", "message": "Watching."}
    url = f"/api/v1/status-pages/{page['id']}/incidents"
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert (await client.post(f"{url}/{bad}/updates", json=note)).status_code == 404
    bad_status = await client.post(f"{url}/{incident['id']}/updates", json={"status": "x", "message": "y"})
    assert bad_status.status_code == 422

    # A page that keeps automatic incidents off shows no such incident to annotate.
    hidden = await client.patch(
        f"/api/v1/status-pages/{page['id']}", json={"show_automatic_incidents": False}
    )
    assert hidden.status_code == 200
    assert (await client.post(f"{url}/{incident['id']}/updates", json=note)).status_code == 404

    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    async with other:
        await signup(other, organization="Second Co")
        (theirs,) = (await other.get("/api/v1/status-pages")).json()
        sneaky = await other.post(
            f"/api/v1/status-pages/{theirs['id']}/incidents/{incident['id']}/updates", json=note
        )
        assert sneaky.status_code == 404
        assert (await other.post(f"{url}/{incident['id']}/updates", json=note)).status_code == 404


async def test_the_dashboard_lists_outages_and_annotates_them_with_a_plain_form(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client, organization="Form Co")
    slug = await _page(client)
    (page,) = (await client.get("/api/v1/status-pages")).json()
    api = await _monitor(client, "API", target.port)
    await _break(client, api, free_port())
    (incident,) = (await client.get(f"/s/{slug}/api/v2/incidents.json")).json()["incidents"]
    listing = await client.get(f"/status-pages/{page['id']}/incidents")
    assert "Outages on this page" in listing.text
    detail_url = f"/status-pages/{page['id']}/incidents/{incident['id']}"
    assert f'href="{detail_url}"' in listing.text
    detail = await client.get(detail_url)
    assert detail.status_code == 200
    assert "API is unavailable" in detail.text
    assert "Post an update" in detail.text
    assert '<option value="resolved"' not in detail.text  # it resolves when the monitor answers

    csrf = client.cookies["statusping_csrf"]
    del client.headers["X-CSRF-Token"]  # forms carry the token as a field, as a browser does
    empty = await client.post(
        f"{detail_url}/updates", data={"csrf_token": csrf, "status": "identified", "message": ""}
    )
    assert empty.status_code == 422
    assert "API is unavailable" in empty.text
    posted = await client.post(
        f"{detail_url}/updates", data={"csrf_token": csrf, "status": "identified", "message": "Bad *deploy*"}
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == detail_url
    assert "Bad <em>deploy</em>" in (await client.get(detail_url)).text
    assert "Bad <em>deploy</em>" in (await client.get(f"/s/{slug}")).text
    assert (await client.get(f"/status-pages/{page['id']}/incidents/{uuid.uuid4()}")).status_code == 404
