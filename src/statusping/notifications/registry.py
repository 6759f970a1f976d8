"""The channel kinds: each one's sender and config schema, looked up by ``kind``.

Adding a kind is copying a sibling folder and adding one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from statusping.domain.errors import InvalidInput
from statusping.domain.secrets import merge_masked
from statusping.mail import Mailer
from statusping.notifications.apprise import config as apprise_config
from statusping.notifications.apprise.channel import AppriseChannel
from statusping.notifications.base import Channel
from statusping.notifications.email import config as email_config
from statusping.notifications.email.channel import EmailChannel
from statusping.notifications.webhook import config as webhook_config
from statusping.notifications.webhook.channel import WebhookChannel
from statusping.outbound.http import HttpClient


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    # Normalize a config or raise InvalidInput (field "config.<name>"); allow_private: selfhosted.
    validate: Callable[..., dict[str, Any]]
    # The config as the API shows it: secrets masked.
    public: Callable[[dict[str, Any]], dict[str, Any]]


KINDS: dict[str, Kind] = {
    "email": Kind("email", email_config.validate, email_config.public),
    "webhook": Kind("webhook", webhook_config.validate, webhook_config.public),
    "apprise": Kind("apprise", apprise_config.validate, apprise_config.public),
}


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind") from None


def validate_config(kind: str, config: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
    return kind_of(kind).validate(config, allow_private=allow_private)


def public_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    return kind_of(kind).public(config)


# Config keys whose values are masked in answers (by the kinds' ``public``), of every kind.
SECRET_FIELDS = frozenset({"url", "secret", "headers"})


def merge_config(kind: str, stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply a PATCH of ``config``. A value sent back exactly as the API showed it (masked) keeps
    the stored secret, so a client may round-trip what it read without destroying the secret
    (rules in ``domain/secrets.py``)."""
    shown = public_config(kind, stored)
    restored = merge_masked(stored, shown, changes, secret_fields=SECRET_FIELDS, field_prefix="config.")
    return {**stored, **restored}


class Registry:
    """The kinds as the ``ChannelKinds`` port services take (services/ports.py)."""

    def validate(self, kind: str, config: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
        return validate_config(kind, config, allow_private=allow_private)

    def public(self, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        return public_config(kind, config)

    def merge(self, kind: str, stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        return merge_config(kind, stored, changes)


def build_channels(mailer: Mailer, client: HttpClient, *, smtp_configured: bool) -> dict[str, Channel]:
    return {
        "email": EmailChannel(mailer, smtp_configured=smtp_configured),
        "webhook": WebhookChannel(client),
        "apprise": AppriseChannel(client.policy),
    }
