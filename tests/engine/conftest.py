from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from statusping.outbound.http import HttpClient, TargetPolicy


@asynccontextmanager
async def running_client(policy: TargetPolicy) -> AsyncIterator[HttpClient]:
    client = HttpClient(policy)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def http_client() -> AsyncIterator[HttpClient]:
    """The engine's client as a self-hosted install has it: private targets allowed."""
    async with running_client(TargetPolicy(allow_private=True)) as client:
        yield client
