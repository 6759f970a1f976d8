# syntax=docker/dockerfile:1
# StatusPing image: build a wheel, install it (not editable) into /opt/venv, ship only that venv.
# Build:  docker build -t statusping .
# Run:    docker run -d -p 8000:8000 -v statusping-data:/app/data statusping
# The steps below are checked without Docker by scripts/verify-image-steps.sh (see docs/deploy.md).

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
# Only what the wheel needs (see .dockerignore); README.md is referenced by pyproject.toml.
COPY pyproject.toml README.md ./
COPY src ./src

# Every binary dependency (asyncpg, argon2-cffi, uvloop, httptools, pydantic-core, ...) has a
# manylinux wheel for CPython 3.11, so no compiler is needed.
RUN pip wheel --no-deps -w /wheels . \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install /wheels/statusping-*.whl \
 && /opt/venv/bin/statusping --version

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="StatusPing" \
      org.opencontainers.image.description="Uptime monitoring with public status pages"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    STATUSPING_DATA_DIR=/app/data \
    STATUSPING_DATABASE_URL=sqlite+aiosqlite:////app/data/statusping.db

RUN groupadd --system --gid 10001 statusping \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
            --shell /usr/sbin/nologin statusping \
 && mkdir -p /app/data \
 && chown -R statusping:statusping /app \
 && chmod 0700 /app/data

# Same base image as the builder, so the venv's python symlink (/usr/local/bin/python3.11) resolves.
COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
USER 10001:10001
# SQLite database (when STATUSPING_DATABASE_URL is not PostgreSQL) and the generated secret_key.
VOLUME ["/app/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4).status==200 else 1)"]

# serve applies pending migrations before it listens; uvicorn runs with proxy headers on
# (trusting FORWARDED_ALLOW_IPS, default 127.0.0.1 - set it to your reverse proxy's address).
CMD ["statusping", "serve", "--host", "0.0.0.0", "--port", "8000"]
