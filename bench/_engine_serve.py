"""``bench/engine.py --serve-nginx``: the product process, ``statusping serve``, checking a local nginx.

Where the default run measures the ``Engine`` alone in a bare process, this one runs what a user runs:
``python -m statusping serve`` (the web server and, as its child, the engine process) on a freshly
seeded database whose http monitors all point at a local nginx (installed from Debian with apt-get if
it is missing). Over the window it reads the CPU of ``serve`` and of every process under it from
``/proc`` (utime + stime, the engine child included), counts the results stored, and divides. The
floor — a bare asyncio GET against the same nginx at the same rate — is measured in the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _engine_db import (
    BenchDatabase,
    create_database,
    drop_database,
    postgres_cpu_seconds,
    result_counts,
    seed,
)
from statusping.storage.db import create_engine

GOAL_MS = 0.5  # issue 12: the product process under 0.5 ms CPU per check against a local nginx

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_timeout 0;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""


@dataclass
class ServeResult:
    seconds: float
    recorded: int
    serve_cpu_ms_per_check: float  # serve and everything under it (the engine process)
    engine_child_cpu_ms_per_check: float
    web_cpu_ms_per_check: float
    serve_rss_mb: float
    engine_rss_mb: float
    lag_p99_ms: float | None
    database_server_cpu_ms_per_check: float | None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_binary() -> str:
    """nginx from PATH or /usr/sbin, installed from Debian if it is not there."""
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    print("nginx is missing: apt-get install -y nginx", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], check=True, env=env)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def start_nginx(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=workdir, port=port))
    process = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(workdir)])
    wait_up(f"http://127.0.0.1:{port}/", within=20)
    return process, port


def start_serve(db_url: str, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
    env.update(
        STATUSPING_DATABASE_URL=db_url,
        STATUSPING_DATA_DIR=str(data_dir),
        STATUSPING_MODE="selfhosted",
        STATUSPING_ALLOW_PRIVATE_TARGETS="true",
        STATUSPING_BASE_URL=f"http://127.0.0.1:{port}",
        STATUSPING_LOG_LEVEL="WARNING",
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "statusping", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, env=env, cwd=data_dir.parent)


def wait_up(url: str, within: float) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - a local server of ours
                return
        except (OSError, urllib.error.HTTPError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def engine_lag_p99(base: str) -> float | None:
    try:
        with urllib.request.urlopen(f"{base}/api/health", timeout=10) as answer:  # noqa: S310
            body: dict[str, Any] = json.loads(answer.read())
    except urllib.error.HTTPError as exc:  # a 503 still carries the figures
        body = json.loads(exc.read())
    except OSError:
        return None
    value = (body.get("engine") or {}).get("lag_p99_ms")
    return None if value is None else float(value)


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            raw = stat.read()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from "state" on: ppid is [1], utime [11]


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        fields = _stat(int(name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def _count(db: BenchDatabase) -> int:
    engine = create_engine(db.url)
    try:
        return (await result_counts(engine))[0]
    finally:
        await engine.dispose()


def measure_serve(
    *, postgres: str | None, monitors: int, interval: int, warmup: float, duration: float, keep: bool
) -> tuple[ServeResult, int, str]:
    """Run serve against nginx and measure a window; returns the result, nginx's port and the DB kind.

    nginx is left running for the caller's floor load and stopped by :func:`stop_nginx`.
    """
    workdir = Path(tempfile.mkdtemp(prefix="statusping-bench-serve-"))
    nginx, nginx_port = start_nginx(workdir)
    _NGINX.append((nginx, workdir))
    db = asyncio.run(create_database(postgres))
    serve: subprocess.Popen[bytes] | None = None
    try:
        asyncio.run(
            seed(db, monitors=monitors, interval=interval, target_url=f"http://127.0.0.1:{nginx_port}/")
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve = start_serve(db.url, port, workdir / "data")
        wait_up(f"{base}/api/health", within=120)
        print(f"statusping serve (pid {serve.pid}) up on {base}; warming up for {warmup:.0f} s", flush=True)
        time.sleep(warmup)
        pids = descendants(serve.pid)
        count0, cpu0 = asyncio.run(_count(db)), cpu_seconds(pids)
        pg0, t0 = postgres_cpu_seconds(), time.monotonic()
        print(f"measuring serve and its {len(pids) - 1} child process(es) for {duration:.0f} s", flush=True)
        time.sleep(duration)
        cpu1, pg1, t1 = cpu_seconds(pids), postgres_cpu_seconds(), time.monotonic()
        lag = engine_lag_p99(base)
        count1 = asyncio.run(_count(db))
        recorded = max(count1 - count0, 1)
        used = {pid: cpu1[pid] - cpu0[pid] for pid in cpu1 if pid in cpu0}
        total = sum(used.values())
        web = used.get(serve.pid, 0.0)
        engine_pids = [pid for pid in used if pid != serve.pid]
        result = ServeResult(
            seconds=round(t1 - t0, 2),
            recorded=count1 - count0,
            serve_cpu_ms_per_check=total * 1000 / recorded,
            engine_child_cpu_ms_per_check=(total - web) * 1000 / recorded,
            web_cpu_ms_per_check=web * 1000 / recorded,
            serve_rss_mb=rss_mb(serve.pid),
            engine_rss_mb=sum(rss_mb(pid) for pid in engine_pids),
            lag_p99_ms=lag,
            database_server_cpu_ms_per_check=(
                (pg1 - pg0) * 1000 / recorded if db.kind == "postgresql" else None
            ),
        )
        return result, nginx_port, db.kind
    finally:
        if serve is not None:
            serve.terminate()
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
        if not keep:
            asyncio.run(drop_database(db))


_NGINX: list[tuple[subprocess.Popen[bytes], Path]] = []


def stop_nginx() -> None:
    while _NGINX:
        process, workdir = _NGINX.pop()
        process.terminate()
        process.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)
