"""The fast local target and the baseline loads of the engine benchmark, each run in its own process.

* ``serve`` answers every request with a tiny ``200 OK`` over raw asyncio streams and closes.
* ``paced_load`` sends GETs at the engine's due rate with the engine's concurrency shape (every
  poll tick, start every request that has come due) and reports CPU per request in its process:
  ``floor`` is a bare asyncio-streams GET, ``aiohttp`` is the engine's own http runner (HttpClient
  and ``run_check``) without any database.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


# The target -----------------------------------------------------------------------------------


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(RESPONSE)
        await writer.drain()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve(conn: Connection) -> None:
    server = await asyncio.start_server(_answer, "127.0.0.1", 0, backlog=4096)
    conn.send(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def serve(conn: Connection) -> None:
    """Process entry point: send the port back over ``conn``, then serve until terminated."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(conn))


# Baseline loads -------------------------------------------------------------------------------


@dataclass
class LoadResult:
    kind: str
    rate: float
    seconds: float
    requests: int
    failures: int
    cpu_ms_per_request: float
    rss_mb: float


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory of this process from /proc (psutil is not a dependency)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _bare_get(host: str, port: int) -> bool:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: %b\r\nUser-Agent: floor\r\n\r\n" % host.encode())
        response = await reader.read()  # Connection: close, so until EOF
        return response.startswith(b"HTTP/1.1 200")
    finally:
        writer.close()


async def _make_aiohttp_get(host: str, port: int) -> tuple[Callable[[], Awaitable[bool]], Any]:
    from statusping.domain.monitors import MonitorType, normalize_config
    from statusping.engine.runners import run_check
    from statusping.outbound.http import HttpClient, TargetPolicy

    config = normalize_config(MonitorType.HTTP, {"url": f"http://{host}:{port}/"}, allow_private=True)
    client = HttpClient(TargetPolicy(allow_private=True))
    await client.start()

    async def get() -> bool:
        outcome = await run_check(MonitorType.HTTP, config, 10.0, client)
        return outcome.ok

    return get, client


async def _paced(kind: str, host: str, port: int, rate: float, seconds: float, tick: float) -> LoadResult:
    client: Any = None
    get: Callable[[], Awaitable[bool]]
    if kind == "floor":
        get = functools.partial(_bare_get, host, port)
    else:
        get, client = await _make_aiohttp_get(host, port)
    counts = {"done": 0, "failed": 0}
    tasks: set[asyncio.Task[None]] = set()

    async def one() -> None:
        try:
            ok = await get()
        except Exception:
            ok = False
        counts["done"] += 1
        counts["failed"] += not ok

    warmup = min(3.0, seconds / 4)
    started = time.monotonic()
    launched = 0
    window: tuple[float, float, int, int] | None = None
    while (now := time.monotonic()) < started + warmup + seconds:
        if window is None and now >= started + warmup:
            window = (now, time.process_time(), counts["done"], counts["failed"])
        due = int((now - started) * rate) - launched
        for _ in range(due):
            task = asyncio.create_task(one())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        launched += due
        await asyncio.sleep(tick)
    end_cpu, end_time = time.process_time(), time.monotonic()
    assert window is not None
    done, failed = counts["done"] - window[2], counts["failed"] - window[3]
    result = LoadResult(
        kind=kind,
        rate=rate,
        seconds=round(end_time - window[0], 2),
        requests=done,
        failures=failed,
        cpu_ms_per_request=(end_cpu - window[1]) * 1000 / max(done, 1),
        rss_mb=rss_mb(),
    )
    if tasks:
        await asyncio.wait(tasks, timeout=15)
    if client is not None:
        await client.close()
    return result


def paced_load(
    conn: Connection, kind: str, host: str, port: int, rate: float, seconds: float, tick: float
) -> None:
    """Process entry point: run one baseline load and send its ``LoadResult`` (as a dict) back."""
    logging.basicConfig(level=logging.WARNING)
    conn.send(asdict(asyncio.run(_paced(kind, host, port, rate, seconds, tick))))
