"""``CurrentChannel``: a channel already scoped to the caller's organization (404 otherwise)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from statusping.domain.errors import NotFound
from statusping.storage.models import Channel
from statusping.storage.repositories.channels import ChannelRepository
from statusping.web.deps import CurrentAccount, Db


async def get_current_channel(channel_id: str, account: CurrentAccount, db: Db) -> Channel:
    try:
        key = uuid.UUID(channel_id)
    except ValueError:
        raise NotFound("channel not found") from None
    channel = await ChannelRepository(db).get(account.organization.id, key)
    if channel is None:
        raise NotFound("channel not found")
    return channel


CurrentChannel = Annotated[Channel, Depends(get_current_channel)]
