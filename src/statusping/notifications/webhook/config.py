"""Webhook config: ``{"url": "https://…", "secret": "…", "headers": {"X-Team": "ops"}}``.

The URL is checked when saved (scheme, host, and in saas mode no private address literal); names
that resolve to private addresses are refused again at connect time by the SSRF guard.
"""

from __future__ import annotations

from typing import Any

from statusping.domain import secrets
from statusping.domain.errors import InvalidInput
from statusping.domain.monitors import check_http_url, normalize_headers

# Set by us on every request; a custom value would break the body or the signature.
RESERVED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "upgrade", "content-type",
     "x-statusping-signature", "x-statusping-event", "x-statusping-delivery", "idempotency-key"}
)  # fmt: skip


def validate(config: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
    for key in config:
        if key not in {"url", "secret", "headers"}:
            raise InvalidInput(f"config.{key} is not a setting of this channel", field=f"config.{key}")
    url = check_url(config.get("url"), allow_private=allow_private)
    secret = config.get("secret")
    if secret is not None and (not isinstance(secret, str) or not 1 <= len(secret) <= 200):
        raise InvalidInput("config.secret must be text of 1 to 200 characters", field="config.secret")
    return {"url": url, "secret": secret or None, "headers": _headers(config.get("headers") or {})}


def check_url(value: Any, *, allow_private: bool) -> str:
    return check_http_url(value, allow_private=allow_private, field="config.url")


def _headers(headers: Any) -> dict[str, str]:
    return normalize_headers(headers, field="config.headers", reserved=RESERVED_HEADERS)


def public(config: dict[str, Any]) -> dict[str, Any]:
    """Chat webhooks carry their token in the path (``https://hooks.slack.com/services/…``) or the
    query: only scheme, host and port of the URL are shown (``domain/secrets.py``)."""
    return {
        "url": secrets.mask_url(config["url"]),
        "secret": secrets.mask_secret(config["secret"]) if config.get("secret") else None,
        "headers": secrets.mask_headers(config.get("headers") or {}),
    }
