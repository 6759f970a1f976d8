"""The billing part of the settings page: plain forms that send the owner to Stripe.

``POST /settings/billing/checkout`` (a plan) and ``POST /settings/billing/portal`` answer a page that
moves on to Stripe's (see billing_redirect.html for why not a 303), or 303 back to
``/settings?billing=<what went wrong>#plan``; they work without JavaScript.
The landing page's "Choose Pro" leads through sign-up to ``/settings?checkout=pro#plan``, where
the owner confirms with one click (a GET never starts a payment).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from statusping.domain.accounts import Role
from statusping.domain.billing import PAID_PLANS, PaymentProviderError
from statusping.domain.errors import Conflict, Forbidden, StatusPingError
from statusping.domain.plans import PLANS, Plan, get_plan
from statusping.services import billing as service
from statusping.services.accounts import Account
from statusping.services.billing import BillingView
from statusping.web.billing import billing_of, check_owner
from statusping.web.deps import Db, OptionalAccount, SettingsDep
from statusping.web.pages import page_kit
from statusping.web.rendering import render

router = APIRouter()

# What ``?billing=`` says on the settings page after a round trip to Stripe or a refusal.
NOTICES = {
    "success": (
        "success",
        "Thank you! Your subscription is being confirmed; the new plan applies within a minute.",
    ),
    "cancelled": ("info", "Checkout was cancelled; nothing was charged and your plan is unchanged."),
    "subscribed": (
        "error",
        "This organization already has a subscription: change or cancel it with Manage billing.",
    ),
    "no-customer": ("error", "There is no billing account yet: choose a plan first."),
    "unavailable": (
        "error",
        "Stripe could not be reached; nothing was changed. Please try again in a moment.",
    ),
    "owner-only": ("error", "Only the organization's owner can manage billing."),
}


@dataclass(frozen=True, slots=True)
class BillingSection:
    enabled: bool
    is_owner: bool
    view: BillingView | None
    offers: list[Plan]  # the paid plans the owner may check out now
    subscribed: bool  # a live subscription: the portal manages it
    chosen: Plan | None  # the plan picked on the landing page, waiting for the owner's click
    notice: tuple[str, str] | None


async def section(request: Request, db: Db, account: Account) -> BillingSection:
    """The billing part of ``/settings``' context."""
    is_owner = account.membership.role == Role.OWNER.value
    if billing_of(request) is None:
        return BillingSection(False, is_owner, None, [], False, None, None)
    view = await service.view(db, account.organization)
    subscribed = view.status is not None and view.status not in (
        "canceled",
        "incomplete_expired",
        "incomplete",
    )
    current = get_plan(account.organization.plan)
    offers = (
        []
        if subscribed
        else [PLANS[k] for k in PAID_PLANS if PLANS[k].price_usd_month > current.price_usd_month]
    )
    picked = request.query_params.get("checkout")
    chosen = next((p for p in offers if p.key.value == picked), None)
    notice = NOTICES.get(request.query_params.get("billing") or "")
    return BillingSection(True, is_owner, view, offers, subscribed, chosen, notice)


def _to_stripe(request: Request, account: Account, url: str, what: str) -> Response:
    response = render(request, "billing_redirect.html", {"url": url, "what": what}, account=account)
    response.headers["Cache-Control"] = "no-store"  # a session's URL is for this click only
    return response


def _back(reason: str) -> Response:
    return RedirectResponse(f"/settings?billing={reason}#plan", status_code=303)


def _refusal(exc: StatusPingError) -> Response:
    if isinstance(exc, Forbidden):
        return _back("owner-only")
    if isinstance(exc, PaymentProviderError):
        return _back("unavailable")
    if isinstance(exc, Conflict):
        return _back("subscribed" if "already" in exc.detail else "no-customer")
    raise exc


@router.post("/settings/billing/checkout")
async def checkout(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return page_kit.login(request)
    gateway = billing_of(request)
    if gateway is None:
        return RedirectResponse("/settings", status_code=303)
    plan = page_kit.Fields(await request.form()).text("plan")
    try:
        check_owner(account)
        url = await service.start_checkout(
            db, gateway, account, plan=plan, prices=gateway.prices, base_url=settings.base_url
        )
    except StatusPingError as exc:
        return _refusal(exc)
    return _to_stripe(request, account, url, f"Checkout for the {get_plan(plan).title} plan.")


@router.post("/settings/billing/portal")
async def portal(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return page_kit.login(request)
    gateway = billing_of(request)
    if gateway is None:
        return RedirectResponse("/settings", status_code=303)
    try:
        check_owner(account)
        url = await service.open_portal(db, gateway, account, base_url=settings.base_url)
    except StatusPingError as exc:
        return _refusal(exc)
    return _to_stripe(request, account, url, "Your billing details.")


def signup_target(request: Request, plan: str) -> str | None:
    """Where a sign-up that came from "Choose Pro" goes next, when billing is on."""
    if billing_of(request) is None or plan not in {p.value for p in PAID_PLANS}:
        return None
    return f"/settings?checkout={plan}#plan"
