"""Apprise presets of the alerting page: labelled fields that build an Apprise URL.

People have a Slack webhook URL or a Telegram bot token, not an Apprise URL; each preset asks for
what the service shows them and writes the URL. The set matches what a hosted install accepts
(``notifications/apprise/hosted.py``: services whose plugin posts to an address of its own, plus
ntfy.sh and Microsoft's Workflows hosts); the channel kind still validates the result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

TOKEN = re.compile(r"[A-Za-z0-9_.~-]{1,200}")


class PresetError(ValueError):
    def __init__(self, field_name: str, text: str) -> None:
        super().__init__(text)
        self.field = field_name
        self.text = text


@dataclass(frozen=True, slots=True)
class PresetField:
    name: str
    label: str
    placeholder: str = ""
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # a select: (value, label)
    required: bool = True


@dataclass(frozen=True, slots=True)
class Preset:
    key: str
    title: str
    schemes: tuple[str, ...]  # the Apprise schemes it writes (edit shows the preset they came from)
    build: Callable[[dict[str, str]], str]
    fields: tuple[PresetField, ...] = field(default_factory=tuple)
    help: str = ""


def _token(values: dict[str, str], name: str, label: str) -> str:
    value = values.get(name, "")
    if not value:
        raise PresetError(name, f"{label} is required.")
    if not TOKEN.fullmatch(value):
        raise PresetError(name, f"{label} may only contain letters, digits and - _ . ~")
    return value


def _pasted_url(values: dict[str, str], name: str, hosts: tuple[str, ...], example: str) -> list[str]:
    """The path segments of a pasted https URL on one of ``hosts``."""
    raw = values.get(name, "")
    if not raw:
        raise PresetError(name, f"Paste the webhook URL, like {example}.")
    parts = urlsplit(raw)
    if parts.scheme != "https" or (parts.hostname or "").lower() not in hosts:
        raise PresetError(name, f"That is not a webhook URL of this service; it looks like {example}.")
    return [segment for segment in parts.path.split("/") if segment]


def _slack(values: dict[str, str]) -> str:
    example = "https://hooks.slack.com/services/T000/B000/XXXX"
    segments = _pasted_url(values, "webhook_url", ("hooks.slack.com",), example)
    if len(segments) != 4 or segments[0] != "services" or not all(TOKEN.fullmatch(s) for s in segments[1:]):
        raise PresetError("webhook_url", f"A Slack incoming webhook URL looks like {example}.")
    return "slack://" + "/".join(segments[1:])


def _discord(values: dict[str, str]) -> str:
    example = "https://discord.com/api/webhooks/123…/abc…"
    hosts = ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com")
    segments = _pasted_url(values, "webhook_url", hosts, example)
    if (
        len(segments) != 4
        or segments[:2] != ["api", "webhooks"]
        or not all(TOKEN.fullmatch(s) for s in segments[2:])
    ):
        raise PresetError("webhook_url", f"A Discord webhook URL looks like {example}.")
    return f"discord://{segments[2]}/{segments[3]}"


def _teams(values: dict[str, str]) -> str:
    raw = values.get("workflow_url", "")
    parts = urlsplit(raw)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host.endswith((".logic.azure.com", ".powerplatform.com")):
        raise PresetError(
            "workflow_url",
            "Paste the URL of the Workflows trigger "
            "(“When a Teams webhook request is received”), on …logic.azure.com or …powerplatform.com.",
        )
    if "sig" not in parse_qs(parts.query):
        raise PresetError("workflow_url", "The URL lacks its sig= signature: copy the whole URL.")
    return raw  # Apprise reads Workflows trigger URLs as they are


def _telegram(values: dict[str, str]) -> str:
    token = values.get("bot_token", "")
    if not re.fullmatch(r"\d{3,20}:[A-Za-z0-9_-]{20,100}", token):
        raise PresetError("bot_token", "A bot token looks like 123456789:AAH… (from @BotFather).")
    chat = values.get("chat_id", "")
    if not re.fullmatch(r"-?\d{1,20}|@[A-Za-z0-9_]{4,64}", chat):
        raise PresetError("chat_id", "A chat ID is a number such as -1001234567890, or @channelname.")
    return f"tgram://{token}/{chat}"


REGIONS = (("us", "US"), ("eu", "EU"))


def _region(values: dict[str, str]) -> str:
    return "?region=eu" if values.get("region") == "eu" else ""


def _pagerduty(values: dict[str, str]) -> str:
    key = _token(values, "integration_key", "Integration key")
    api = _token(values, "api_key", "API key")
    return f"pagerduty://{key}@{api}{_region(values)}"


def _opsgenie(values: dict[str, str]) -> str:
    return f"opsgenie://{_token(values, 'api_key', 'API key')}{_region(values)}"


def _pushover(values: dict[str, str]) -> str:
    user = _token(values, "user_key", "User key")
    app = _token(values, "app_token", "Application token")
    return f"pover://{user}@{app}"


def _ntfy(values: dict[str, str]) -> str:
    topic = values.get("topic", "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", topic):
        raise PresetError("topic", "A topic is 1 to 64 letters, digits, - or _.")
    return f"ntfy://{topic}"


def _apprise(values: dict[str, str]) -> str:
    url = values.get("url", "")
    if not url:
        raise PresetError("url", "Enter an Apprise URL.")
    return url


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset(
            "slack",
            "Slack",
            ("slack",),
            _slack,
            (PresetField("webhook_url", "Incoming webhook URL", "https://hooks.slack.com/services/…"),),
            "In Slack: Apps → Incoming WebHooks → Add to Slack, pick a channel, copy the URL.",
        ),
        Preset(
            "discord",
            "Discord",
            ("discord",),
            _discord,
            (PresetField("webhook_url", "Webhook URL", "https://discord.com/api/webhooks/…"),),
            "In Discord: Server settings → Integrations → Webhooks → New webhook → Copy URL.",
        ),
        Preset(
            "teams",
            "Microsoft Teams",
            ("workflows", "workflow", "https"),
            _teams,
            (PresetField("workflow_url", "Workflow URL", "https://….logic.azure.com:443/workflows/…"),),
            "In Teams: the channel's ⋯ → Workflows → “Post to a channel when a webhook request is "
            "received”, then copy the URL it shows.",
        ),
        Preset(
            "telegram",
            "Telegram",
            ("tgram",),
            _telegram,
            (
                PresetField("bot_token", "Bot token", "123456789:AAH…", "From @BotFather."),
                PresetField("chat_id", "Chat ID", "-1001234567890", "A number, or @channelname."),
            ),
        ),
        Preset(
            "pagerduty",
            "PagerDuty",
            ("pagerduty",),
            _pagerduty,
            (
                PresetField(
                    "integration_key", "Integration key", hint="Events API v2 integration (routing) key."
                ),
                PresetField("api_key", "API key", hint="A REST API key of your account."),
                PresetField("region", "Region", choices=REGIONS),
            ),
        ),
        Preset(
            "opsgenie",
            "Opsgenie",
            ("opsgenie",),
            _opsgenie,
            (
                PresetField("api_key", "API key", hint="The key of an API integration."),
                PresetField("region", "Region", choices=REGIONS),
            ),
        ),
        Preset(
            "pushover",
            "Pushover",
            ("pover",),
            _pushover,
            (
                PresetField("user_key", "User key"),
                PresetField("app_token", "Application token", hint="Create an application at pushover.net."),
            ),
        ),
        Preset(
            "ntfy",
            "ntfy",
            ("ntfy",),
            _ntfy,
            (
                PresetField(
                    "topic", "Topic", "statusping-alerts-7f3k", "On ntfy.sh; pick a name nobody guesses."
                ),
            ),
        ),
        Preset(
            "apprise",
            "Other (Apprise URL)",
            (),
            _apprise,
            (PresetField("url", "Apprise URL", "slack://TokenA/TokenB/TokenC"),),
            "Any Apprise notification URL this install accepts (see the Apprise wiki).",
        ),
    )
}


def build(preset: Preset, values: dict[str, str]) -> str:
    """The Apprise URL, or ``PresetError`` naming the field to fix."""
    return preset.build(values)


def preset_of_url(masked_or_url: str) -> Preset:
    """The preset that writes URLs of this scheme (the generic one if none does)."""
    scheme = masked_or_url.partition("://")[0].lower()
    for preset in PRESETS.values():
        if scheme in preset.schemes:
            return preset
    return PRESETS["apprise"]
