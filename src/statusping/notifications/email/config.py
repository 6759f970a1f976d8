"""Email channel config: ``{"to": ["ops@example.com", ...]}``."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from statusping.domain.errors import InvalidInput

MAX_RECIPIENTS = 20


def validate(config: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
    to = config.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to:
        raise InvalidInput("config.to must list at least one email address", field="config.to")
    if len(to) > MAX_RECIPIENTS:
        raise InvalidInput(f"config.to takes at most {MAX_RECIPIENTS} addresses", field="config.to")
    addresses: list[str] = []
    for item in to:
        try:
            checked = validate_email(str(item), check_deliverability=False)
        except EmailNotValidError as exc:
            raise InvalidInput(
                f"config.to: {item!r} is not an email address ({exc})", field="config.to"
            ) from None
        if checked.normalized not in addresses:
            addresses.append(checked.normalized)
    _no_extra(config, {"to"})
    return {"to": addresses}


def public(config: dict[str, Any]) -> dict[str, Any]:
    return {"to": list(config.get("to") or [])}


def _no_extra(config: dict[str, Any], known: set[str]) -> None:
    for key in config:
        if key not in known:
            raise InvalidInput(f"config.{key} is not a setting of this channel", field=f"config.{key}")
