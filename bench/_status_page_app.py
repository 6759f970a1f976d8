"""The app ``statusping serve`` runs, plus the benchmark's floor: bare endpoints returning the same
bytes as the cached page and summary.json, served by the same process, middleware and server."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Response

from statusping.app import create_app


def make_app() -> FastAPI:
    # BENCH_ENGINE=worker: the engine runs as `statusping worker` in its own process instead.
    app = create_app(engine=os.environ.get("BENCH_ENGINE", "in-process") == "in-process")
    folder = Path(os.environ["BENCH_BARE_DIR"])
    loaded: dict[str, bytes] = {}

    def bare(name: str, media_type: str) -> None:
        async def endpoint() -> Response:
            body = loaded.get(name)
            if body is None:
                body = loaded[name] = (folder / name).read_bytes()
            return Response(body, media_type=media_type)

        app.add_api_route(f"/bench/bare/{name}", endpoint, methods=["GET"], include_in_schema=False)

    bare("page", "text/html; charset=utf-8")
    bare("summary", "application/json")
    return app
