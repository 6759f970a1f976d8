"""Issue 10: a visitor subscribes to a status page, confirms by the emailed link, hears of an outage
and its end, and unsubscribes with one click — mail through a real SMTP server, checks against a
real failing target, deliveries through the dispatcher and its outbox."""

from __future__ import annotations

import re
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.alerting import running_dispatcher
from tests.conftest import free_port
from tests.support import SmtpSink, eventually, signup, unique_email
from tests.targets import SwitchableTarget


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink) -> dict[str, object]:
    return {
        "allow_private_targets": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_sink.port,
        "smtp_starttls": False,
    }


async def _mails_to(sink: SmtpSink, address: str, count: int) -> list[EmailMessage]:
    """The first ``count`` mails to ``address`` (the owner's own alert channel gets mail too)."""

    async def arrived() -> list[EmailMessage] | None:
        mine = [m for m in sink.messages if m["To"] == address]
        return mine if len(mine) >= count else None

    found: list[EmailMessage] = await eventually(arrived, within=10)
    return found


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _link(message: EmailMessage, path: str) -> str:
    found = re.search(rf"http://testserver(/s/[^/\s]+/{path}\?token=[\w.%-]+)", _text(message))
    assert found, _text(message)
    return found.group(1)


async def _page(client: httpx.AsyncClient) -> str:
    slug: str = (await client.get("/api/v1/me")).json()["organization"]["slug"]
    return slug


async def _monitor(client: httpx.AsyncClient, name: str, port: int, *, public: bool = True) -> str:
    response = await client.post(
        "/api/v1/monitors",
        json={"name": name, "type": "tcp", "host": "127.0.0.1", "port": port, "interval_seconds": 300,
              "failure_threshold": 1, "public": public},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    monitor_id: str = response.json()["id"]
    return monitor_id


async def _check(client: httpx.AsyncClient, monitor_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/monitors/{monitor_id}/check")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_subscriber_confirms_hears_of_an_outage_and_its_end_and_unsubscribes_with_one_click(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink, target: SwitchableTarget
) -> None:
    owner = unique_email("owner")
    await signup(client, email=owner, organization="Shop Status")
    slug = await _page(client)
    down_port = free_port()
    api = await _monitor(client, "Checkout", down_port)
    await _monitor(client, "Internal DB", free_port(), public=False)
    visitor = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    reader = unique_email("reader")

    async with visitor, running_dispatcher(app):
        # The page's form, as a browser without JavaScript posts it.
        page = (await visitor.get(f"/s/{slug}")).text
        assert f'<form method="post" action="/s/{slug}/subscribe"' in page
        assert 'name="email" type="email"' in page
        answer = await visitor.post(f"/s/{slug}/subscribe", data={"email": reader})
        assert answer.status_code == 200
        assert "Check your inbox" in answer.text
        (confirmation,) = await _mails_to(smtp_sink, reader, 1)
        assert confirmation["To"] == reader
        assert confirmation["Subject"] == "Confirm your subscription to Shop Status status"

        # An outage before confirming reaches nobody.
        assert (await _check(client, api))["ok"] is False
        confirmed = await visitor.get(_link(confirmation, "subscribe/confirm"))
        assert confirmed.status_code == 200
        assert "You are subscribed" in confirmed.text

        # Recovery first (the monitor is down since before the confirmation), then a new outage.
        await _recover(client, api, target)
        (_, recovered) = await _mails_to(smtp_sink, reader, 2)
        assert recovered["Subject"] == "[Shop Status] Resolved: Checkout is available again"
        await _break(client, api, down_port)
        (_, _, incident) = await _mails_to(smtp_sink, reader, 3)

        assert incident["To"] == reader
        assert incident["Subject"] == "[Shop Status] Checkout is unavailable"
        assert "We are looking into it" in _text(incident)
        assert "refused" not in _text(incident).lower()  # the technical cause stays private
        unsubscribe = incident["List-Unsubscribe"]
        assert unsubscribe.startswith("<http://testserver/s/")
        assert "/unsubscribe?token=" in unsubscribe
        assert incident["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # As sent on the wire, not RFC 2047 encoded-words (mail clients would not find the URL).
        assert dict(incident.raw_items())["List-Unsubscribe"] == unsubscribe
        assert _link(incident, "unsubscribe") == unsubscribe[len("<http://testserver") : -1]

        await _recover(client, api, target)
        (*_, resolved) = await _mails_to(smtp_sink, reader, 4)
        assert resolved["Subject"] == "[Shop Status] Resolved: Checkout is available again"
        assert resolved["List-Unsubscribe"] == unsubscribe

        # The unsubscribe link opened in a browser asks first; a mail client's one-click POST does it.
        link = unsubscribe[len("<http://testserver") : -1]
        shown = await visitor.get(link)
        assert "Unsubscribe?" in shown.text
        assert reader in shown.text
        one_click = await visitor.post(link, data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 200
        assert "You are unsubscribed" in one_click.text
        assert "not subscribed" in (await visitor.get(link)).text

        before = len(smtp_sink.messages)
        await _break(client, api, down_port)
        await _recover(client, api, target)
        # The owner's own alert channel still hears of it (down and up); the former subscriber does not.
        await smtp_sink.wait_for(before + 2)
        assert [m["To"] for m in smtp_sink.messages[before:]] == [owner, owner]


async def _recover(client: httpx.AsyncClient, monitor_id: str, target: SwitchableTarget) -> None:
    moved = await client.patch(f"/api/v1/monitors/{monitor_id}", json={"port": target.port})
    assert moved.status_code == 200, moved.text
    assert (await _check(client, monitor_id))["ok"] is True


async def _break(client: httpx.AsyncClient, monitor_id: str, port: int) -> None:
    moved = await client.patch(f"/api/v1/monitors/{monitor_id}", json={"port": port})
    assert moved.status_code == 200, moved.text
    assert (await _check(client, monitor_id))["ok"] is False


async def test_the_answer_is_the_same_for_everybody_and_subscribing_is_rate_limited(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await signup(client)
    slug = await _page(client)
    email = unique_email("reader")
    first = await client.post(f"/s/{slug}/subscribe", json={"email": email})
    again = await client.post(f"/s/{slug}/subscribe", json={"email": email})
    other = await client.post(f"/s/{slug}/subscribe", json={"email": unique_email("other")})
    assert first.status_code == again.status_code == other.status_code == 202
    assert first.json() == again.json() == other.json()

    for _ in range(3):  # five requests for one email within the hour are fine
        assert (await client.post(f"/s/{slug}/subscribe", json={"email": email})).status_code == 202
    limited = await client.post(f"/s/{slug}/subscribe", json={"email": email})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "Too many" in limited.json()["detail"]
    # The page's form (no JavaScript) gets the same answer on the page's own page, with its way back.
    by_form = await client.post(f"/s/{slug}/subscribe", data={"email": email})
    assert by_form.status_code == 429
    assert int(by_form.headers["Retry-After"]) > 0
    assert "Too many subscriptions" in by_form.text
    assert f'href="/s/{slug}#subscribe"' in by_form.text


@pytest.mark.parametrize(
    "body",
    [{"email": "not an address"}, {"email": "a@example.com", "component_ids": ["nope"]}, {"mail": "x"}],
)
async def test_bad_input_is_a_422_and_nothing_else_happens(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, body: dict[str, Any]
) -> None:
    await signup(client)
    slug = await _page(client)
    response = await client.post(f"/s/{slug}/subscribe", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]
    garbled = await client.post(
        f"/s/{slug}/subscribe", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert garbled.status_code == 422
    # Through the page's form: the reason on the page's own page, the form one click away.
    form = {"email": body.get("email", ""), "component_ids": body.get("component_ids", [])}
    by_form = await client.post(f"/s/{slug}/subscribe", data=form)
    assert by_form.status_code == 422, by_form.text
    assert "Please check the form" in by_form.text
    assert "Sign up" not in by_form.text
    assert f'href="/s/{slug}#subscribe"' in by_form.text
    assert not smtp_sink.messages


async def test_unknown_pages_and_forged_links_are_404(client: httpx.AsyncClient) -> None:
    await signup(client)
    slug = await _page(client)
    assert (
        await client.post("/s/no-such-page/subscribe", json={"email": "a@example.com"})
    ).status_code == 404
    forged = await client.get(f"/s/{slug}/subscribe/confirm", params={"token": "0" * 32 + ".abc"})
    assert forged.status_code == 404
    assert "expired" in forged.text
    # The page's own answer, with the way back to its form, not the app's bare "Page not found".
    assert "Page not found" not in forged.text
    assert f'href="/s/{slug}#subscribe"' in forged.text
    assert forged.headers["cache-control"] == "no-store"
    assert (await client.post(f"/s/{slug}/unsubscribe", params={"token": "junk"})).status_code == 404
    assert (await client.get(f"/s/{slug}/unsubscribe")).status_code == 404


async def test_posted_incidents_reach_the_subscribers_of_their_components(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink, target: SwitchableTarget
) -> None:
    await signup(client, organization="Posting Co")
    slug = await _page(client)
    (page,) = (await client.get("/api/v1/status-pages")).json()
    shop = await _monitor(client, "Shop", target.port)
    blog = await _monitor(client, "Blog", target.port)
    everything, shop_only, blog_only = unique_email("all"), unique_email("shop"), unique_email("blog")

    # The page's email form offers the choice too, as checkboxes a browser without JavaScript posts.
    page_html = (await client.get(f"/s/{slug}")).text
    assert f'name="component_ids" value="{shop}"' in page_html
    assert f'name="component_ids" value="{blog}"' in page_html

    async with running_dispatcher(app):
        for email, components in ((everything, None), (shop_only, [shop]), (blog_only, [blog])):
            if email == shop_only:
                answer = await client.post(
                    f"/s/{slug}/subscribe", data={"email": email, "component_ids": components}
                )
                assert answer.status_code == 200, answer.text
                assert "Check your inbox" in answer.text
            else:
                answer = await client.post(
                    f"/s/{slug}/subscribe", json={"email": email, "component_ids": components}
                )
                assert answer.status_code == 202, answer.text
            (confirmation,) = await _mails_to(smtp_sink, email, 1)
            assert (await client.get(_link(confirmation, "subscribe/confirm"))).status_code == 200

        created = await client.post(
            f"/api/v1/status-pages/{page['id']}/incidents",
            json={"title": "Payments fail", "status": "investigating", "impact": "major",
                  "message": "Some cards are refused.", "monitor_ids": [shop]},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        resolved = await client.post(
            f"/api/v1/status-pages/{page['id']}/incidents/{created.json()['id']}/updates",
            json={"status": "resolved", "message": "All payments go through again."},
        )
        assert resolved.status_code == 201, resolved.text

        for email in (everything, shop_only):
            # The two notices are separate deliveries and may be sent in either order.
            notices = sorted((await _mails_to(smtp_sink, email, 3))[1:], key=lambda m: str(m["Subject"]))
            (opened, closed) = notices
            assert opened["Subject"] == "[Posting Co] Payments fail"
            assert "Investigating — Some cards are refused." in _text(opened)
            assert closed["Subject"] == "[Posting Co] Resolved: Payments fail"
            assert closed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len([m for m in smtp_sink.messages if m["To"] == blog_only]) == 1  # its confirmation only


async def test_automatic_incidents_can_be_kept_off_the_page_and_out_of_subscribers_mail(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink, target: SwitchableTarget
) -> None:
    await signup(client, organization="Quiet Co")
    slug = await _page(client)
    (page,) = (await client.get("/api/v1/status-pages")).json()
    down_port = free_port()
    api = await _monitor(client, "API", target.port)
    reader = unique_email("reader")
    switched = await client.patch(
        f"/api/v1/status-pages/{page['id']}",
        json={"show_automatic_incidents": False, "notify_automatic_incidents": False},
    )
    assert switched.status_code == 200, switched.text

    async with running_dispatcher(app):
        assert (await client.post(f"/s/{slug}/subscribe", json={"email": reader})).status_code == 202
        (confirmation,) = await _mails_to(smtp_sink, reader, 1)
        assert (await client.get(_link(confirmation, "subscribe/confirm"))).status_code == 200

        await _break(client, api, down_port)
        # The component still turns red; no incident is listed anywhere public.
        summary = (await client.get(f"/s/{slug}/api/v2/summary.json")).json()
        assert summary["components"][0]["status"] == "major_outage"
        assert summary["incidents"] == []
        assert (await client.get(f"/s/{slug}/api/v2/incidents.json")).json()["incidents"] == []
        assert "API is unavailable" not in (await client.get(f"/s/{slug}")).text
        assert "API is unavailable" not in (await client.get(f"/s/{slug}/feed.atom")).text

        # A posted incident still reaches the subscriber; the outage never did.
        posted = await client.post(
            f"/api/v1/status-pages/{page['id']}/incidents",
            json={"title": "API errors", "status": "identified", "impact": "major",
                  "message": "A bad deploy.", "monitor_ids": [api]},
        )  # fmt: skip
        assert posted.status_code == 201, posted.text
        (_, notice) = await _mails_to(smtp_sink, reader, 2)
        assert notice["Subject"] == "[Quiet Co] API errors"

        # Switched back on: the running outage shows again and the recovery is mailed.
        again = await client.patch(
            f"/api/v1/status-pages/{page['id']}",
            json={"show_automatic_incidents": True, "notify_automatic_incidents": True},
        )
        assert again.status_code == 200
        assert "API is unavailable" in (await client.get(f"/s/{slug}")).text
        await _recover(client, api, target)
        (*_, recovered) = await _mails_to(smtp_sink, reader, 3)
        assert recovered["Subject"] == "[Quiet Co] Resolved: API is available again"
    assert len([m for m in smtp_sink.messages if m["To"] == reader]) == 3


async def test_maintenance_is_announced_when_scheduled_when_it_starts_and_when_cancelled(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink, target: SwitchableTarget
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from statusping.storage.models import Delivery, Organization

    await signup(client, organization="Planned Co")
    slug = await _page(client)
    org_id = (await client.get("/api/v1/me")).json()["organization"]["id"]
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(org_id))
        assert org is not None
        org.plan = "business"
    database = await _monitor(client, "Database", target.port)
    website = await _monitor(client, "Website", target.port)
    everything, website_only = unique_email("all"), unique_email("web")

    async with running_dispatcher(app):
        for email, components in ((everything, None), (website_only, [website])):
            answer = await client.post(
                f"/s/{slug}/subscribe", json={"email": email, "component_ids": components}
            )
            assert answer.status_code == 202, answer.text
            (confirmation,) = await _mails_to(smtp_sink, email, 1)
            assert (await client.get(_link(confirmation, "subscribe/confirm"))).status_code == 200

        starts = datetime.now(UTC) + timedelta(seconds=2)
        created = await client.post(
            "/api/v1/maintenances",
            json={"title": "Database upgrade", "starts_at": starts.isoformat(),
                  "ends_at": (starts + timedelta(hours=1)).isoformat(), "monitor_ids": [database]},
        )  # fmt: skip
        assert created.status_code == 201, created.text

        (_, scheduled) = await _mails_to(smtp_sink, everything, 2)
        assert scheduled["Subject"] == "[Planned Co] Scheduled maintenance: Database upgrade"
        assert f"from {starts:%Y-%m-%d %H:%M} UTC" in _text(scheduled)
        assert "Affected: Database." in _text(scheduled)
        assert scheduled["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        (_, _, started) = await _mails_to(smtp_sink, everything, 3)
        assert started["Subject"] == "[Planned Co] Maintenance in progress: Database upgrade"

        # A window deleted before it starts takes its waiting start notice with it.
        later = datetime.now(UTC) + timedelta(days=2)
        doomed = await client.post(
            "/api/v1/maintenances",
            json={"title": "Network work", "starts_at": later.isoformat(),
                  "ends_at": (later + timedelta(hours=1)).isoformat(), "monitor_ids": None},
        )  # fmt: skip
        assert doomed.status_code == 201, doomed.text
        (*_, announced) = await _mails_to(smtp_sink, website_only, 2)  # every monitor: her Website too
        assert announced["Subject"] == "[Planned Co] Scheduled maintenance: Network work"

        async def waiting() -> int:
            """Deliveries held back for the window's start (the scheduled notices may still be in flight)."""
            async with app.state.sessionmaker() as db:
                return int(
                    await db.scalar(
                        select(func.count())
                        .select_from(Delivery)
                        .where(
                            Delivery.status == "pending",
                            Delivery.next_attempt_at > later - timedelta(hours=1),
                        )
                    )
                    or 0
                )

        assert await waiting() == 4  # a start and an end notice per subscriber, due in two days
        assert (await client.delete(f"/api/v1/maintenances/{doomed.json()['id']}")).status_code == 204
        assert await waiting() == 0
        (*_, cancelled) = await _mails_to(smtp_sink, website_only, 3)
        assert cancelled["Subject"] == "[Planned Co] Maintenance cancelled: Network work"
        assert "It was planned from" in _text(cancelled)
    # The Website-only subscriber never heard of the Database window.
    assert [m["Subject"] for m in smtp_sink.messages if m["To"] == website_only][1:] == [
        "[Planned Co] Scheduled maintenance: Network work",
        "[Planned Co] Maintenance cancelled: Network work",
    ]
