"""Turning the monitor form's fields into the API's fields, and errors back into per-field messages.

The form posts the same field names the API takes (PRODUCT.md §4), so the API's own schema and
validation (``MonitorCreate`` / ``MonitorUpdate``, ``services.monitors``) judge it and their
messages appear beside the field they name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from statusping.domain.errors import StatusPingError
from statusping.domain.monitors import CONFIG_FIELDS, MonitorType
from statusping.domain.secrets import mask_monitor_config
from statusping.storage.models import Monitor

COMMON_FIELDS = (
    "name",
    "interval_seconds",
    "timeout_seconds",
    "failure_threshold",
    "retry_interval_seconds",
    "degraded_ms",
    "degraded_alerts",
)
# A heartbeat expects pings every N seconds or on a cron schedule: the form's radio picks which.
SCHEDULE_KINDS = ("interval", "cron")
INT_FIELDS = frozenset(
    {
        "interval_seconds",
        "failure_threshold",
        "retry_interval_seconds",
        "port",
        "grace_seconds",
        "ssl_expiry_days",
        "degraded_ms",
        "quorum",
    }
)
FLOAT_FIELDS = frozenset({"timeout_seconds"})
BOOL_FIELDS = frozenset({"public", "follow_redirects", "verify_tls", "degraded_alerts"})
# Cleared when left empty on edit (an empty keyword means "no keyword check").
CLEARABLE = frozenset(
    {
        "body",
        "keyword",
        "keyword_absent",
        "json_path",
        "json_expected",
        "expected",
        "nameserver",
        "ssl_expiry_days",
        "degraded_ms",
        "quorum",
    }
)


@dataclass
class ParsedForm:
    fields: dict[str, Any]
    channel_ids: list[str] | None  # None: the form showed no channel choice
    values: dict[str, Any]  # what to show back in the form, as typed
    errors: dict[str, str] = field(default_factory=dict)


def last_value(form: FormData, name: str) -> str | None:
    found = form.getlist(name)
    value = found[-1] if found else None
    return value if isinstance(value, str) else None


def parse(form: FormData, monitor_type: MonitorType, *, editing: bool) -> ParsedForm:
    """The form's values for ``monitor_type`` as API fields; unparseable numbers become errors."""
    names = [*COMMON_FIELDS, "public", "regions", "quorum", *CONFIG_FIELDS[monitor_type]]
    fields: dict[str, Any] = {} if editing else {"type": monitor_type.value}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in names:
        raw = last_value(form, name)
        if raw is None:
            continue
        values[name] = raw
        text = raw.strip()
        if name in BOOL_FIELDS:
            fields[name] = text == "true"
        elif name == "headers":
            fields[name], problem = _headers(raw)
            if problem:
                errors[name] = problem
        elif name == "regions":
            fields[name] = [r.strip() for r in text.split(",") if r.strip()]  # empty: every region
        elif not text:
            if name == "name":
                fields[name] = ""  # "name must not be empty", beside the field
            elif editing and name in CLEARABLE:
                fields[name] = None
            elif editing and name not in INT_FIELDS | FLOAT_FIELDS:
                fields[name] = ""  # a required setting emptied: its validator says so
        elif name in INT_FIELDS:
            try:
                fields[name] = int(text)
            except ValueError:
                errors[name] = "Enter a whole number."
        elif name in FLOAT_FIELDS:
            try:
                fields[name] = float(text)
            except ValueError:
                errors[name] = "Enter a number of seconds, like 10 or 2.5."
        else:
            fields[name] = raw if name == "body" else text
    if monitor_type is MonitorType.HEARTBEAT:
        _schedule_choice(form, fields, values, errors)
    channel_ids = None
    if last_value(form, "channels_shown") == "1":
        channel_ids = [c for c in form.getlist("channel_ids") if isinstance(c, str)]
        values["channel_ids"] = channel_ids
    return ParsedForm(fields, channel_ids, values, errors)


def _schedule_choice(
    form: FormData, fields: dict[str, Any], values: dict[str, Any], errors: dict[str, str]
) -> None:
    """Every N seconds clears the schedule; a cron schedule sends it with its zone (the period
    field is then left out, so a stale period never fails the form)."""
    kind = last_value(form, "schedule_kind") or "interval"
    values["schedule_kind"] = kind
    if kind == "cron":
        fields.pop("interval_seconds", None)
        if not fields.get("schedule"):  # the API would read an empty schedule as "every N seconds"
            errors["schedule"] = "Enter the cron schedule, like 30 2 * * * for 02:30 every day."
    else:
        fields["schedule"] = None
        fields.pop("timezone", None)


def _headers(raw: str) -> tuple[dict[str, str], str | None]:
    headers: dict[str, str] = {}
    for line in raw.splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            return headers, "Write each header as Name: value on its own line."
        headers[name.strip()] = value.strip()
    return headers, None


def headers_text(headers: dict[str, str] | None) -> str:
    return "\n".join(f"{k}: {v}" for k, v in (headers or {}).items())


def values_of(monitor: Monitor, channel_ids: list[str]) -> dict[str, Any]:
    """A saved monitor as form values (edit and clone)."""
    config = mask_monitor_config(monitor.config)  # secrets masked, as the API shows them
    values: dict[str, Any] = {
        "name": monitor.name,
        "interval_seconds": monitor.interval_seconds,
        "timeout_seconds": _number(monitor.timeout_seconds),
        "failure_threshold": monitor.failure_threshold,
        "retry_interval_seconds": monitor.retry_interval_seconds,
        "public": "true" if monitor.public else "false",
        "degraded_ms": "" if monitor.degraded_ms is None else monitor.degraded_ms,
        "degraded_alerts": "true" if monitor.degraded_alerts else "false",
        "regions": ", ".join(monitor.regions or []),
        "quorum": "" if monitor.quorum is None else monitor.quorum,
        "channel_ids": channel_ids,
    }
    for name, value in config.items():
        if name == "headers":
            values[name] = headers_text(value)
        elif name in BOOL_FIELDS:
            values[name] = "true" if value else "false"
        else:
            values[name] = "" if value is None else value
    if monitor.type == MonitorType.HEARTBEAT.value:
        values["schedule_kind"] = "cron" if monitor.config.get("schedule") else "interval"
    return values


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def message(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def validation_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        name = loc[0] if loc else "_form"
        msg = str(error.get("msg", "invalid"))
        errors.setdefault(name, message(msg.removeprefix("Value error, ")))
    return errors


def domain_error(exc: StatusPingError) -> dict[str, str]:
    """An API error beside its field; plan limits and other form-wide refusals on top."""
    name = getattr(exc, "field", None) or _field_named_in(exc.detail) or "_form"
    return {name: message(exc.detail)}


def _field_named_in(detail: str) -> str | None:
    # Plan refusals (403) carry no field, but name the feature they refuse.
    return "ssl_expiry_days" if detail.startswith("SSL expiry") else None
