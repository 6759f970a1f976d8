"""``/status-page``: manage the organization's status page from the dashboard.

Plain POST forms with the CSRF field, each working without JavaScript: the page's details
(title, description, slug), its components (checkboxes over the organization's monitors with a
display name, a group and an order number), branding (pro and business), the automatic-incident
switches, custom CSS and a password (business), and a custom domain (business) with its
verification. 303 back to the page on success; the page again with 422 and
the error beside its field on failure, nothing saved. The rules are the API's
(``services/status_page_settings.py``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from statusping.domain.branding import verification_name
from statusping.domain.errors import NotFound, StatusPingError
from statusping.services import status_page_settings as service
from statusping.services import status_pages
from statusping.services.accounts import Account
from statusping.storage.models import StatusPage
from statusping.web.deps import Db, OptionalAccount, SettingsDep, now, require_writer
from statusping.web.pages import page_kit
from statusping.web.policy import policy_of
from statusping.web.public.domains import domain_cache_of
from statusping.web.rendering import render

router = APIRouter()
SAVED = {
    "details": "Page details saved.",
    "components": "Components saved.",
    "branding": "Branding saved.",
    "domain": "Custom domain saved. Add the TXT record below, then verify.",
    "verified": "Domain verified: it now serves your status page.",
    "automatic": "Automatic incident settings saved.",
    "css": "Custom CSS saved.",
    "privacy": "Privacy saved.",
}
SAVED_IN = {name: "domain" if name == "verified" else name for name in SAVED}
FORMS = {
    "details": ("title", "description", "slug"),
    "branding": ("logo_url", "brand_color", "show_powered_by"),
    "domain": ("custom_domain",),
    "automatic": ("show_automatic_incidents", "notify_automatic_incidents"),
    "css": ("custom_css",),
    "privacy": ("private", "password"),
}
CHECKBOXES = ("show_powered_by", "show_automatic_incidents", "notify_automatic_incidents")


async def _page(db: Db, account: Account) -> StatusPage:
    pages = await status_pages.list_pages(db, account.organization)
    if not pages:
        raise NotFound("this organization has no status page")
    return pages[0]


async def _show(
    request: Request,
    db: Db,
    settings: SettingsDep,
    account: Account,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    form: str | None = None,
) -> Response:
    page = await _page(db, account)
    plan = policy_of(settings).plan_of(account.organization)
    stored = {
        "title": page.title,
        "description": page.description or "",
        "slug": page.slug,
        "logo_url": page.logo_url or "",
        "brand_color": page.brand_color or "",
        "show_powered_by": page.show_powered_by,
        "custom_domain": page.custom_domain or "",
        "custom_css": page.custom_css or "",
        "show_automatic_incidents": page.show_automatic_incidents,
        "notify_automatic_incidents": page.notify_automatic_incidents,
    }
    context = {
        "page": page,
        "values": {**stored, **(values or {})},
        "errors": errors or {},
        "error_form": form,
        "choices": await service.choices(db, account.organization, page),
        "can_write": page_kit.can_write(account),
        "can_brand": service.can_brand(plan),
        "can_use_domain": service.can_use_domain(plan),
        "can_use_css": service.can_use_css(plan),
        "can_be_private": service.can_be_private(plan),
        "plan": plan,
        "txt_name": verification_name(page.custom_domain) if page.custom_domain else None,
        "public_url": f"/s/{page.slug}",
        "saved": SAVED.get(request.query_params.get("saved", "")),
        # The notice shows inside the section just saved: the redirect scrolls there (#form), and a
        # notice at the top of this long page would be out of sight.
        "saved_form": SAVED_IN.get(request.query_params.get("saved", ""), ""),
    }
    return render(
        request, "status_page_admin.html", context, account=account, status_code=422 if errors else 200
    )


@router.get("/status-page", response_class=HTMLResponse)
async def status_page_admin(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    return await _show(request, db, settings, account)


def _form_fields(form: str, fields: page_kit.Fields) -> dict[str, Any]:
    if form == "privacy":
        # The button pressed says which: "on" sets (or changes) the password, "off" makes it public.
        private = fields.form.get("private") != "off"
        password = str(fields.form.get("password") or "")
        return {"private": private, "password": password} if private else {"private": False}
    if form == "css":
        return {"custom_css": fields.text("custom_css", strip=False)}
    found: dict[str, Any] = {name: fields.text(name) for name in FORMS[form] if name not in CHECKBOXES}
    for name in CHECKBOXES:
        if name in FORMS[form]:
            found[name] = fields.form.get(name) == "on"
            fields.values[name] = found[name]
    if form == "details" and "description" in found:
        found["description"] = found["description"] or None
    return found


def _components(fields: page_kit.Fields) -> list[dict[str, Any]]:
    """The checked monitors, ordered by their order numbers (ties keep the listed order)."""
    chosen = []
    for n, monitor_id in enumerate(fields.many("monitor_id")):
        order_text = fields.text(f"order_{monitor_id}")
        try:
            order = int(order_text) if order_text else n + 1
        except ValueError:
            fields.errors["components"] = "Order must be a whole number."
            order = n + 1
        chosen.append(
            (order, n, {"monitor_id": monitor_id, "display_name": fields.text(f"name_{monitor_id}") or None,
                        "group": fields.text(f"group_{monitor_id}") or None})
        )  # fmt: skip
    return [item for _, _, item in sorted(chosen, key=lambda c: (c[0], c[1]))]


@router.post("/status-page/{form}")
async def save(
    request: Request, form: str, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    if form not in (*FORMS, "components", "verify"):
        raise NotFound("no such form")
    await require_writer(account)
    page = await _page(db, account)
    fields = page_kit.Fields(await request.form())
    before = page.custom_domain
    try:
        if form == "verify":
            await service.verify_domain(db, page, now(), nameserver=settings.domain_nameserver)
        else:
            changes = (
                {"components": _components(fields)} if form == "components" else _form_fields(form, fields)
            )
            if fields.errors:
                raise _FormError()
            await service.update(
                db, account.organization, page, changes, policy_of(settings), _our_host(settings), now()
            )
    except (StatusPingError, _FormError) as exc:
        await page_kit.discard(db)
        errors = dict(fields.errors)
        if isinstance(exc, StatusPingError):
            errors.update(
                page_kit.error_of(exc, {name: name for name in (*FORMS.get(form, ()), "components")})
            )
        if form == "verify":
            errors = {"custom_domain": errors.get("custom_domain") or errors.get("_form", "")}
        return await _show(request, db, settings, account, values=fields.values, errors=errors, form=form)
    domain_cache_of(request.app.state).forget(before, page.custom_domain)
    return page_kit.go(request, f"/status-page?saved={'verified' if form == 'verify' else form}#{form}")


class _FormError(Exception):
    """The form itself was unusable (an order that is not a number): shown beside its field."""


def _our_host(settings: SettingsDep) -> str:
    return urlsplit(settings.base_url).hostname or ""
