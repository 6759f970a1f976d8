"""What the billing routes share: the Stripe gateway (only when billing is on) and the owner rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from statusping.domain.accounts import Role
from statusping.domain.errors import Forbidden, NotFound
from statusping.outbound.stripe_billing import StripeBilling
from statusping.services.accounts import Account
from statusping.web.deps import CurrentAccount

BILLING_OFF = "billing is not enabled on this server"


def billing_of(request: Request) -> StripeBilling | None:
    """The gateway the lifespan built, or None: billing is off (self-hosted, or Stripe not configured)."""
    gateway: StripeBilling | None = getattr(request.app.state, "billing", None)
    return gateway


def get_billing(request: Request) -> StripeBilling:
    gateway = billing_of(request)
    if gateway is None:
        raise NotFound(BILLING_OFF)
    return gateway


def check_owner(account: Account) -> Account:
    """Paying and cancelling is the owner's decision: admins and viewers are refused."""
    if account.membership.role != Role.OWNER.value:
        raise Forbidden("only the organization's owner can manage billing")
    return account


async def require_owner(account: CurrentAccount) -> Account:
    return check_owner(account)


Billing = Annotated[StripeBilling, Depends(get_billing)]
Owner = Annotated[Account, Depends(require_owner)]
