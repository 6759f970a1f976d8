"""The alerting page (``/alerting``): alert channels, their tests and defaults, and the delivery log.

Channels are created and changed through ``services.channels`` with the ``ChannelKinds`` port, as
``web/api/v1/channels.py`` does, so the page refuses exactly what the API refuses, with the same
words, beside the field they concern. Apprise presets (``channel_presets.py``) turn what a service
shows its users (a Slack webhook URL, a Telegram bot token) into the Apprise URL.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from statusping.config import Settings
from statusping.domain.errors import InvalidInput, NotFound, StatusPingError
from statusping.domain.messages import build_message
from statusping.domain.plans import PLANS
from statusping.services import channel_tests
from statusping.services import channels as service
from statusping.services.accounts import Account
from statusping.storage.models import Channel
from statusping.storage.repositories.channels import ChannelRepository
from statusping.storage.repositories.outbox import OutboxRepository
from statusping.web.deps import (
    ChannelKinds,
    ChannelSender,
    Db,
    EndTransaction,
    OptionalAccount,
    SettingsDep,
    now,
    require_writer,
)
from statusping.web.pages import page_kit
from statusping.web.pages.channel_presets import PRESETS, PresetError, build, preset_of_url
from statusping.web.pages.monitor_forms import headers_text, message
from statusping.web.policy import policy_of
from statusping.web.rendering import is_htmx, render

router = APIRouter()
LOG_PAGE = 25
KIND_TITLES = {"email": "Email", "webhook": "Webhook", "apprise": "Apprise"}
# The form's types: the two plain kinds, then the Apprise presets.
TYPES: dict[str, tuple[str, str]] = {
    "email": ("email", "Email"),
    "webhook": ("webhook", "Webhook"),
    **{key: ("apprise", preset.title) for key, preset in PRESETS.items()},
}
STATUS_WORDS = {"sent": "Sent", "failed": "Failed", "pending": "Retrying", "suppressed": "Held back"}
# A pending delivery with a claim on it is being sent right now (its first try, or a retry).
SENDING_WORD = "Sending"


async def _channel(db: Db, account: Account, channel_id: str) -> Channel:
    try:
        key = uuid.UUID(channel_id)
    except ValueError:
        raise NotFound("channel not found") from None
    found = await ChannelRepository(db).get(account.organization.id, key)
    if found is None:
        raise NotFound("channel not found")
    return found


def _lifts(settings: Settings, account: Account, kind: str) -> str | None:
    """None when the plan allows ``kind``; else the plan that lifts it ("" when none does)."""
    plan = policy_of(settings).plan_of(account.organization)
    if plan is None or kind in plan.channels:
        return None
    better = [p for p in PLANS.values() if p.price_usd_month > plan.price_usd_month and kind in p.channels]
    return better[0].title if better else ""


def _shown(channel: Channel, kinds: ChannelKinds) -> dict[str, Any]:
    config = kinds.public(channel.kind, channel.config)
    if channel.kind == "email":
        target = ", ".join(config.get("to") or [])
        label = "Email"
    elif channel.kind == "webhook":
        target = str(config.get("url") or "")
        label = "Webhook"
    else:
        target = str(config.get("url") or "")
        label = preset_of_url(target).title
    return {"channel": channel, "label": label, "target": target}


def _log_rows(rows: Any, base_url: str) -> list[dict[str, Any]]:
    shown = []
    for delivery, event, channel_name, channel_kind, maybe_sent in rows:
        subject = build_message(event.kind, event.payload, base_url).subject
        word = STATUS_WORDS.get(delivery.status, delivery.status.capitalize())
        if delivery.status == "pending" and delivery.lease_owner is not None:
            word = SENDING_WORD
        shown.append(
            {
                "delivery": delivery,
                "subject": subject,
                "event": event,
                "channel_name": channel_name,
                "channel_kind": KIND_TITLES.get(channel_kind, channel_kind),
                "status_word": word,
                # Tries cut off mid-send (a crash, a restart): the receiver may have those too.
                "maybe_sent": maybe_sent or 0,
            }
        )
    return shown


@router.get("/alerting", response_class=HTMLResponse)
async def alerting_page(
    request: Request,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    kinds: ChannelKinds,
    before: Annotated[datetime | None, Query()] = None,
) -> Response:
    if account is None:
        return page_kit.login(request)
    return await _page(request, account, db, settings, kinds, before=before)


async def _page(
    request: Request,
    account: Account,
    db: Db,
    settings: Settings,
    kinds: ChannelKinds,
    *,
    before: datetime | None = None,
    tested: dict[str, Any] | None = None,
) -> Response:
    if before is not None and before.tzinfo is None:
        raise InvalidInput("before must carry a time zone", field="before")
    org = account.organization
    channels = await ChannelRepository(db).list_for(org.id)
    rows = await OutboxRepository(db).list_for(org.id, limit=LOG_PAGE + 1, before=before)
    log = _log_rows(rows[:LOG_PAGE], settings.base_url)
    older = log[-1]["delivery"].created_at.isoformat() if len(rows) > LOG_PAGE else None
    context = {
        "channels": [_shown(c, kinds) for c in channels],
        "log": log,
        "any_maybe_sent": any(row["maybe_sent"] for row in log),
        "older": older,
        "paging": before is not None,
        "can_write": page_kit.can_write(account),
        "tested": tested,
    }
    return render(request, "channels.html", context, account=account)


# The form ---------------------------------------------------------------------------------------


def _type_of(raw: str | None) -> str:
    return raw if raw in TYPES else "email"


def _form_context(
    settings: Settings, account: Account, type_key: str, channel: Channel | None, shown_url: str = ""
) -> dict[str, Any]:
    kind = TYPES[type_key][0]
    return {
        "channel": channel,
        "type_key": type_key,
        "kind": kind,
        "types": [
            {"key": key, "title": title, "lifts": _lifts(settings, account, k)}
            for key, (k, title) in TYPES.items()
        ],
        "preset": PRESETS.get(type_key),
        "lifts": _lifts(settings, account, kind),
        "shown_url": shown_url,
        "can_write": page_kit.can_write(account),
    }


@router.get("/alerting/new", response_class=HTMLResponse)
async def new_channel(
    request: Request, account: OptionalAccount, settings: SettingsDep, type: str | None = None
) -> Response:
    if account is None:
        return page_kit.login(request)
    type_key = _type_of(type)
    context = _form_context(settings, account, type_key, None)
    values = {
        "name": "" if type_key != "email" else "Email",
        "to": account.user.email if type_key == "email" else "",
    }
    context.update(values=values, errors={})
    return render(request, "channel_form.html", context, account=account)


def _config_of(fields: page_kit.Fields, type_key: str, *, editing: bool) -> dict[str, Any] | None:
    """The channel config the form describes; None on edit when an Apprise preset is left empty
    (keep the stored URL, which is only ever shown masked)."""
    kind = TYPES[type_key][0]
    if kind == "email":
        text = fields.text("to")
        return {"to": [a.strip() for a in text.replace("\n", ",").split(",") if a.strip()]}
    if kind == "webhook":
        config: dict[str, Any] = {"url": fields.text("url")}
        secret = fields.text("secret")
        config["secret"] = secret or None
        headers: dict[str, str] = {}
        for line in fields.text("headers").splitlines():
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                fields.errors["headers"] = "Write each header as Name: value on its own line."
                break
            headers[name.strip()] = value.strip()
        config["headers"] = headers
        return config
    preset = PRESETS[type_key]
    values = {f.name: fields.text(f.name) for f in preset.fields}
    typed = {f.name: v for f, v in zip(preset.fields, values.values(), strict=True) if not f.choices and v}
    if editing and not typed:
        return None
    try:
        return {"url": build(preset, values)}
    except PresetError as exc:
        fields.errors[exc.field] = exc.text
        return None


def _field_names(type_key: str) -> dict[str, str]:
    """The service's field names (``config.url``…) as the form's."""
    kind = TYPES[type_key][0]
    names = {"name": "name", "kind": "_form", "is_default": "is_default"}
    if kind == "email":
        names["config.to"] = "to"
    elif kind == "webhook":
        names.update({"config.url": "url", "config.secret": "secret", "config.headers": "headers"})
    else:
        names["config.url"] = PRESETS[type_key].fields[0].name
    return names


async def _save(
    request: Request,
    account: Account,
    db: Db,
    settings: Settings,
    kinds: ChannelKinds,
    channel: Channel | None,
) -> Response:
    await require_writer(account)
    fields = page_kit.Fields(await request.form())
    type_key = _type_of(fields.text("type"))
    if channel is not None and channel.kind != TYPES[type_key][0]:
        type_key = channel.kind if channel.kind != "apprise" else "apprise"
    name = fields.text("name")
    is_default = fields.text("is_default") == "true"
    config = _config_of(fields, type_key, editing=channel is not None)
    errors = dict(fields.errors)
    if not errors:
        try:
            if channel is None:
                assert config is not None
                channel = await service.create_channel(
                    db,
                    account.organization,
                    name=name,
                    kind=TYPES[type_key][0],
                    config=config,
                    is_default=is_default,
                    kinds=kinds,
                    policy=policy_of(settings),
                    now=now(),
                )
            else:
                changes: dict[str, Any] = {"name": name, "is_default": is_default}
                if config is not None:
                    changes["config"] = config
                await service.update_channel(
                    db, channel, changes, kinds=kinds, policy=policy_of(settings), now=now()
                )
        except StatusPingError as exc:
            errors = page_kit.error_of(exc, _field_names(type_key))
        else:
            return page_kit.go(request, "/alerting")
        await page_kit.discard(db)
        if channel is not None:
            channel = await _channel(db, account, str(channel.id))
    shown_url = str(kinds.public(channel.kind, channel.config).get("url") or "") if channel else ""
    context = _form_context(settings, account, type_key, channel, shown_url)
    context.update(values={**fields.values, "is_default": "true" if is_default else "false"}, errors=errors)
    return page_kit.form_answer(
        request, account, "channel_form.html", "partials/channel_form.html", context, failed=True
    )


@router.post("/alerting/new")
async def create_channel(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep, kinds: ChannelKinds
) -> Response:
    if account is None:
        return page_kit.login(request)
    return await _save(request, account, db, settings, kinds, None)


def _edit_values(channel: Channel, kinds: ChannelKinds) -> tuple[str, dict[str, Any], str]:
    config = kinds.public(channel.kind, channel.config)
    values: dict[str, Any] = {
        "name": channel.name,
        "is_default": "true" if channel.is_default else "false",
    }
    if channel.kind == "email":
        values["to"] = ", ".join(config.get("to") or [])
        return "email", values, ""
    if channel.kind == "webhook":
        values.update(
            url=config.get("url") or "",
            secret=config.get("secret") or "",
            headers=headers_text(config.get("headers")),
        )
        return "webhook", values, ""
    url = str(config.get("url") or "")
    return preset_of_url(url).key, values, url


@router.get("/alerting/{channel_id}/edit", response_class=HTMLResponse)
async def edit_channel(
    request: Request,
    channel_id: str,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    kinds: ChannelKinds,
) -> Response:
    if account is None:
        return page_kit.login(request)
    channel = await _channel(db, account, channel_id)
    type_key, values, shown_url = _edit_values(channel, kinds)
    context = _form_context(settings, account, type_key, channel, shown_url)
    context.update(values=values, errors={})
    return render(request, "channel_form.html", context, account=account)


@router.post("/alerting/{channel_id}/edit")
async def update_channel(
    request: Request,
    channel_id: str,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    kinds: ChannelKinds,
) -> Response:
    if account is None:
        return page_kit.login(request)
    channel = await _channel(db, account, channel_id)
    return await _save(request, account, db, settings, kinds, channel)


# Actions ----------------------------------------------------------------------------------------


@router.post("/alerting/{channel_id}/default")
async def set_default(
    request: Request,
    channel_id: str,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    kinds: ChannelKinds,
) -> Response:
    """Default channels are attached to every new monitor."""
    if account is None:
        return page_kit.login(request)
    await require_writer(account)
    channel = await _channel(db, account, channel_id)
    is_default = page_kit.Fields(await request.form()).text("is_default") == "true"
    await service.update_channel(
        db, channel, {"is_default": is_default}, kinds=kinds, policy=policy_of(settings), now=now()
    )
    return page_kit.go(request, "/alerting")


@router.post("/alerting/{channel_id}/test")
async def test_channel(
    request: Request,
    channel_id: str,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    kinds: ChannelKinds,
    sender: ChannelSender,
    end_transaction: EndTransaction,
) -> Response:
    """Send a test message now; htmx shows the result under the channel, a plain post the page."""
    if account is None:
        return page_kit.login(request)
    await require_writer(account)
    channel = await _channel(db, account, channel_id)
    result: dict[str, Any] = {"channel_id": str(channel.id)}
    try:
        delivery, sent = await channel_tests.send_test_message(
            db,
            account.organization,
            channel,
            sender=sender,
            end_transaction=end_transaction,
            policy=policy_of(settings),
            now=now(),
        )
    except StatusPingError as exc:
        result.update(ok=False, error=message(exc.detail), duration_ms=None)
    else:
        result.update(ok=sent.ok, error=delivery.last_error, duration_ms=sent.duration_ms)
    if is_htmx(request):
        return render(request, "partials/channel_test_result.html", {"tested": result}, account=account)
    return await _page(request, account, db, settings, kinds, tested=result)


@router.get("/alerting/{channel_id}/delete", response_class=HTMLResponse)
async def confirm_delete(
    request: Request, channel_id: str, account: OptionalAccount, db: Db, kinds: ChannelKinds
) -> Response:
    if account is None:
        return page_kit.login(request)
    channel = await _channel(db, account, channel_id)
    linked = await ChannelRepository(db).monitor_count(channel.id)
    return render(
        request,
        "channel_delete.html",
        {"shown": _shown(channel, kinds), "linked": linked, "can_write": page_kit.can_write(account)},
        account=account,
    )


@router.post("/alerting/{channel_id}/delete")
async def delete_channel(request: Request, channel_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_writer(account)
    await db.delete(await _channel(db, account, channel_id))
    return page_kit.go(request, "/alerting")
