"""Billing (PRODUCT.md §4): a Checkout session to subscribe, a Customer Portal session to manage.

Both answer ``{url}``; the browser goes there. 404 while billing is off; owner only.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from statusping.services import billing as service
from statusping.web.api.types import Input
from statusping.web.billing import Billing, Owner
from statusping.web.deps import Db, SettingsDep
from statusping.web.error_docs import ErrorOut

router = APIRouter(prefix="/billing", tags=["billing"])
ANSWERS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorOut, "description": "Billing is not enabled on this server"},
    409: {"model": ErrorOut, "description": "Already subscribed (checkout), or never subscribed (portal)"},
    502: {"model": ErrorOut, "description": "Stripe refused or did not answer; nothing was changed"},
}


class CheckoutIn(Input):
    plan: Literal["pro", "business"] = Field(examples=["pro"])


class SessionOut(BaseModel):
    url: str = Field(
        description="Stripe's page to send the browser to",
        examples=["https://checkout.stripe.com/c/pay/cs_test_…"],
    )


@router.post("/checkout", response_model=SessionOut, responses=ANSWERS)
async def checkout(
    body: CheckoutIn, account: Owner, gateway: Billing, db: Db, settings: SettingsDep
) -> SessionOut:
    """Start a subscription to a paid plan with Stripe Checkout. 409 when the organization already
    has one: plan changes and cancellation happen in the portal."""
    url = await service.start_checkout(
        db, gateway, account, plan=body.plan, prices=gateway.prices, base_url=settings.base_url
    )
    return SessionOut(url=url)


@router.post("/portal", response_model=SessionOut, responses=ANSWERS)
async def portal(account: Owner, gateway: Billing, db: Db, settings: SettingsDep) -> SessionOut:
    """Open Stripe's Customer Portal: payment method, invoices, plan change, cancellation.
    409 before the organization has subscribed once."""
    return SessionOut(url=await service.open_portal(db, gateway, account, base_url=settings.base_url))
