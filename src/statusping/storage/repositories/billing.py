"""Billing accounts (an organization's Stripe customer and subscription) and processed events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import BillingAccount, BillingEvent, Organization


class BillingRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def account(self, org_id: uuid.UUID) -> BillingAccount | None:
        return await self.db.get(BillingAccount, org_id)

    async def account_for_update(self, org_id: uuid.UUID, now: datetime) -> BillingAccount:
        """The organization's billing account, created empty if it has none yet."""
        found = await self.db.get(BillingAccount, org_id)
        if found is None:
            found = BillingAccount(organization_id=org_id, updated_at=now)
            self.db.add(found)
            await self.db.flush()
        return found

    async def organization(self, org_id: uuid.UUID) -> Organization | None:
        return await self.db.get(Organization, org_id)

    async def organization_of_customer(self, customer_id: str) -> Organization | None:
        return await self.db.scalar(
            select(Organization)
            .join(BillingAccount, BillingAccount.organization_id == Organization.id)
            .where(BillingAccount.customer_id == customer_id)
        )

    async def organization_of_subscription(self, subscription_id: str) -> Organization | None:
        return await self.db.scalar(
            select(Organization)
            .join(BillingAccount, BillingAccount.organization_id == Organization.id)
            .where(BillingAccount.subscription_id == subscription_id)
        )

    async def in_grace(self) -> Sequence[BillingAccount]:
        """Accounts with a failed payment outstanding: the grace sweep looks at these only."""
        rows = await self.db.scalars(select(BillingAccount).where(BillingAccount.past_due_since.is_not(None)))
        return rows.all()

    async def record_event(self, event: BillingEvent) -> bool:
        """Claim an event id; False when it was processed before (or is being processed right now
        by a concurrent delivery, which the key makes wait and then fail)."""
        if await self.db.get(BillingEvent, event.id) is not None:
            return False
        try:
            async with self.db.begin_nested():
                self.db.add(event)
        except IntegrityError:
            return False
        return True
