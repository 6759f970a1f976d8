"""`--source-address`: every kind of check leaves from the worker's own address (loopback 127.0.0.3)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from statusping.domain.monitors import MonitorType, normalize_dns
from statusping.engine.runners import run_check
from statusping.outbound.http import HttpClient, TargetPolicy
from tests.support import eventually

SOURCE = "127.0.0.3"


@pytest.fixture
async def bound_client() -> AsyncIterator[HttpClient]:
    client = HttpClient(TargetPolicy(allow_private=True), source_address=SOURCE)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


async def test_http_and_tcp_checks_come_from_the_source_address(bound_client: HttpClient) -> None:
    peers: list[str] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername")[0])
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the tcp check hangs up once connected
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        http = await run_check(MonitorType.HTTP, {"url": f"http://127.0.0.1:{port}/"}, 2.0, bound_client)
        assert http.ok, http.error
        tcp = await run_check(MonitorType.TCP, {"host": "127.0.0.1", "port": port}, 2.0, bound_client)
        assert tcp.ok, tcp.error

        async def both_seen() -> bool:
            return len(peers) == 2

        await eventually(both_seen, within=5)
    finally:
        server.close()
    assert peers == [SOURCE, SOURCE]


async def test_dns_queries_come_from_the_source_address(bound_client: HttpClient) -> None:
    peers: list[Any] = []

    class Listener(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: Any) -> None:
            peers.append(addr[0])  # no answer: the check times out, the query's origin is what counts

    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        Listener, local_addr=("127.0.0.1", 0)
    )
    port = transport.get_extra_info("sockname")[1]
    try:
        config = normalize_dns(
            {"hostname": "www.example.test", "record_type": "A", "nameserver": f"127.0.0.1:{port}"},
            allow_private=True,
        )
        outcome = await run_check(MonitorType.DNS, config, 0.5, bound_client)
    finally:
        transport.close()
    assert not outcome.ok
    assert peers
    assert set(peers) == {SOURCE}
