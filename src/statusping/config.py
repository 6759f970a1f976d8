"""One typed view of the configuration (PRODUCT.md §3).

Settings come from the environment (prefix ``STATUSPING_``) and from ``.env``. Anything invalid stops
the process at start with a message naming the variable, rather than failing later at first use.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from statusping.domain.regions import valid_name

SECRET_KEY_FILENAME = "secret_key"  # noqa: S105 (a file name, not a secret)


class Mode(StrEnum):
    SAAS = "saas"
    SELFHOSTED = "selfhosted"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STATUSPING_", env_file=".env", extra="ignore", frozen=False)

    database_url: str = "sqlite+aiosqlite:///./data/statusping.db"
    secret_key: str | None = Field(default=None, repr=False)
    base_url: str = "http://127.0.0.1:8000"
    mode: Mode = Mode.SAAS
    allow_private_targets: bool | None = None
    min_interval_seconds: int = Field(default=10, ge=1)
    region: str = Field(default="default", min_length=1, max_length=32)
    # `statusping worker --source-address`: the local address outgoing checks are sent from.
    source_address: str | None = None
    # Each worker reports its region this often; a region with no report for region_live_seconds is
    # silent (out of every quorum, an operator warning). The defaults suit production; tests shorten.
    region_beat_seconds: float = Field(default=5.0, gt=0, le=60)
    region_live_seconds: float = Field(default=30.0, gt=0, le=3600)
    engine_concurrency: int = Field(default=500, ge=1, le=10_000)
    raw_retention_days: int = Field(default=7, ge=1, le=365)
    data_dir: Path = Path("./data")
    log_level: str = "INFO"
    # A background loop (engine, dispatcher) without progress for this long makes /api/health 503.
    loop_stall_seconds: float = Field(default=30.0, ge=1, le=3600)
    # Alert delivery timing. The defaults suit production; the fault tests shorten them. The first
    # retry of a failed delivery waits alert_retry_seconds (doubling after); a delivery whose sender
    # died mid-send comes due again within alert_lease_seconds (a live sender renews its lease every
    # third of it, so a slow send is never taken over; keep it well above a database round trip).
    alert_retry_seconds: float = Field(default=30.0, gt=0, le=3600)
    alert_lease_seconds: float = Field(default=10.0, ge=1, le=3600)
    # The nameserver ("ip" or "ip:port") asked for custom domains' verification TXT records; unset:
    # the system's resolver.
    domain_nameserver: str | None = None

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_starttls: bool = True
    smtp_from: str = "StatusPing <noreply@statusping.local>"

    stripe_secret_key: str | None = Field(default=None, repr=False)
    stripe_webhook_secret: str | None = Field(default=None, repr=False)
    stripe_price_pro: str | None = None
    stripe_price_business: str | None = None
    # Where the Stripe client sends its API calls. Unset: Stripe itself. For tests (a local stand-in
    # for Stripe's API) and egress proxies only; webhooks are verified with the secret either way.
    stripe_api_base: str | None = None

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        try:
            url = make_url(value)
        except Exception as exc:  # sqlalchemy raises ArgumentError with a terse text
            raise ValueError(f"not a database URL: {exc}") from exc
        if url.drivername not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
            raise ValueError("use sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("region")
    @classmethod
    def _region_name(cls, value: str) -> str:
        name = value.strip().lower()
        if not valid_name(name):
            raise ValueError("use lower-case letters, digits, '-', '_' or '.' (at most 32), e.g. eu-west")
        return name

    @field_validator("source_address")
    @classmethod
    def _ip_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            raise ValueError(f"not an IP address: {value!r}") from None

    @field_validator("base_url")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def private_targets_allowed(self) -> bool:
        if self.allow_private_targets is not None:
            return self.allow_private_targets
        return self.mode is Mode.SELFHOSTED

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @property
    def billing_enabled(self) -> bool:
        """Stripe billing runs in saas mode with all four ``STATUSPING_STRIPE_*`` values set."""
        return self.mode is Mode.SAAS and all(
            (
                self.stripe_secret_key,
                self.stripe_webhook_secret,
                self.stripe_price_pro,
                self.stripe_price_business,
            )
        )

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once into the data directory and reused.

        Generating it beats shipping a default: a default key in the code would let anyone forge
        sessions on every install that forgot to set one.
        """
        if self.secret_key:
            return self.secret_key
        return load_or_create_secret_key(self.data_dir)


def load_or_create_secret_key(data_dir: Path) -> str:
    path = data_dir / SECRET_KEY_FILENAME
    make_private_dir(data_dir)
    try:
        # O_EXCL: two processes starting together must not both write (and disagree on) a key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if len(key) < 32:
            raise RuntimeError(f"{path} holds no usable key; delete it to generate a new one") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def make_private_dir(path: Path) -> None:
    """Create a data directory only its owner can read: it holds the key and the database."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700)


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)
