"""What a monitor is and which settings are acceptable (PRODUCT.md §4 monitor fields).

Validation happens here, once, for the API, the CLI and imports alike; the engine then trusts the
stored configuration. Each rule raises ``InvalidInput`` naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from statusping.domain.checks import StatusSet, parse_json_path
from statusping.domain.errors import InvalidInput
from statusping.domain.schedule_cron import clean_schedule, clean_timezone
from statusping.domain.secrets import mask_url_password
from statusping.domain.targets import blocked_reason, literal_ip


class MonitorType(StrEnum):
    HTTP = "http"
    TCP = "tcp"
    DNS = "dns"
    HEARTBEAT = "heartbeat"


class DnsRecordType(StrEnum):
    A = "A"
    AAAA = "AAAA"
    CNAME = "CNAME"
    MX = "MX"
    TXT = "TXT"
    NS = "NS"


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEFAULT_FAILURE_THRESHOLD = 3
DEFAULT_RETRY_INTERVAL_SECONDS = 20
DEFAULT_TIMEOUT_SECONDS = 10
DEFAULT_GRACE_SECONDS = 60
MAX_INTERVAL_SECONDS = 24 * 3600
# Bounded so that a dead worker's lease (timeout + margin) runs out within a minute.
MAX_TIMEOUT_SECONDS = 45
MAX_URL_LENGTH = 2048
MAX_HEADERS = 30
MAX_HEADER_VALUE_LENGTH = 4096
MAX_HEADERS_TOTAL = 16 * 1024
MAX_BODY_LENGTH = 64 * 1024
MAX_KEYWORD_LENGTH = 500
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 token
_HOSTNAME = re.compile(
    r"^(?=.{1,253}\.?$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$"
)
# Headers the client sets itself; letting users set them breaks framing or the guard.
_FORBIDDEN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "upgrade"})


@dataclass(frozen=True, slots=True)
class Timing:
    interval_seconds: int
    timeout_seconds: float
    failure_threshold: int
    retry_interval_seconds: int


def check_timing(
    timing: Timing, *, min_interval_seconds: int, plan_hint: str | None, lifted_by: str = ""
) -> None:
    if timing.interval_seconds < min_interval_seconds:
        # 422 (a field's range, shown beside the field) whose message names the plan that lifts it.
        hint = f" on the {plan_hint} plan{lifted_by}" if plan_hint else ""
        raise InvalidInput(
            f"interval_seconds must be at least {min_interval_seconds}{hint}", field="interval_seconds"
        )
    if timing.interval_seconds > MAX_INTERVAL_SECONDS:
        raise InvalidInput(
            f"interval_seconds must be at most {MAX_INTERVAL_SECONDS} (one day)", field="interval_seconds"
        )
    if not 0 < timing.timeout_seconds < timing.interval_seconds:
        raise InvalidInput(
            "timeout_seconds must be above 0 and below interval_seconds", field="timeout_seconds"
        )
    if timing.timeout_seconds > MAX_TIMEOUT_SECONDS:
        raise InvalidInput(f"timeout_seconds must be at most {MAX_TIMEOUT_SECONDS}", field="timeout_seconds")
    if not 1 <= timing.failure_threshold <= 10:
        raise InvalidInput("failure_threshold must be between 1 and 10", field="failure_threshold")
    if not 1 <= timing.retry_interval_seconds <= timing.interval_seconds:
        raise InvalidInput(
            "retry_interval_seconds must be between 1 and interval_seconds",
            field="retry_interval_seconds",
        )


MAX_DEGRADED_MS = MAX_INTERVAL_SECONDS * 1000  # a heartbeat's run may take up to a day


def check_degraded_ms(value: Any) -> int | None:
    """The latency threshold for ``degraded``: whole milliseconds, or None for no threshold."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DEGRADED_MS:
        raise InvalidInput(
            f"degraded_ms must be a whole number of milliseconds from 1 to {MAX_DEGRADED_MS}, or null",
            field="degraded_ms",
        )
    return value


def check_host_allowed(host: str, *, allow_private: bool, field: str) -> None:
    """Refuse IP literals in blocked ranges up front; names are checked again at connect time."""
    if allow_private:
        return
    ip = literal_ip(host)
    reason = blocked_reason(ip) if ip else None
    if reason is None and host.rstrip(".").lower() in {"localhost"} | {""}:
        reason = "localhost is a loopback address"
    if reason is None and host.rstrip(".").lower().endswith(".localhost"):
        reason = f"{host} is a loopback name"
    if reason:
        raise InvalidInput(f"{field}: {reason}; checks may only reach public addresses", field=field)


def check_http_url(value: Any, *, allow_private: bool, field: str = "url") -> str:
    """An http(s) URL to a valid host, without credentials, and (unless allowed) not private.

    Shared by monitors and webhooks: both make requests on a customer's behalf.
    """
    url = str(value or "").strip()
    if not url:
        raise InvalidInput(f"{field} is required", field=field)
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"{field} must be at most {MAX_URL_LENGTH} characters", field=field)
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise InvalidInput(f"{field} must start with http:// or https://", field=field)
    try:
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise InvalidInput(f"{field} has an invalid port", field=field) from None
    if not host or not (literal_ip(host) or _HOSTNAME.match(host)):
        raise InvalidInput(f"{field} must name a valid host", field=field)
    if parts.username or parts.password:
        raise InvalidInput(f"{field} must not carry credentials; send an Authorization header", field=field)
    check_host_allowed(host, allow_private=allow_private, field=field)
    return url


def normalize_http(config: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
    url = check_http_url(config.get("url"), allow_private=allow_private)
    method = str(config.get("method") or "GET").upper()
    if method not in HTTP_METHODS:
        raise InvalidInput(f"method must be one of {', '.join(HTTP_METHODS)}", field="method")
    headers = normalize_headers(config.get("headers") or {})
    body = config.get("body")
    if body is not None and len(str(body)) > MAX_BODY_LENGTH:
        raise InvalidInput(f"body must be at most {MAX_BODY_LENGTH} characters", field="body")
    expected = StatusSet.parse(str(config.get("expected_status") or "200-299"))
    keyword = _optional_text(config, "keyword")
    keyword_absent = _optional_text(config, "keyword_absent")
    json_path = _optional_text(config, "json_path")
    json_expected = config.get("json_expected")
    if json_path:
        parse_json_path(json_path)
    elif json_expected is not None:
        raise InvalidInput("json_expected needs a json_path", field="json_expected")
    ssl_days = config.get("ssl_expiry_days")
    if ssl_days is not None and not (isinstance(ssl_days, int) and 1 <= ssl_days <= 365):
        raise InvalidInput(
            "ssl_expiry_days must be a whole number of days, 1 to 365", field="ssl_expiry_days"
        )
    return {
        "url": url,
        "method": method,
        "headers": headers,
        "body": None if body is None else str(body),
        "expected_status": expected.text,
        "keyword": keyword,
        "keyword_absent": keyword_absent,
        "json_path": json_path,
        "json_expected": None if json_expected is None else str(json_expected),
        "follow_redirects": bool(config.get("follow_redirects", True)),
        "verify_tls": bool(config.get("verify_tls", True)),
        "ssl_expiry_days": ssl_days,
    }


def _optional_text(config: dict[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is None or value == "":
        return None
    text = str(value)
    if len(text) > MAX_KEYWORD_LENGTH:
        raise InvalidInput(f"{key} must be at most {MAX_KEYWORD_LENGTH} characters", field=key)
    return text


def normalize_headers(
    headers: Any, *, field: str = "headers", reserved: frozenset[str] = _FORBIDDEN_HEADERS
) -> dict[str, str]:
    """Custom request headers: valid names, single-line values, bounded sizes, none of ours."""
    if not isinstance(headers, dict):
        raise InvalidInput(f"{field} must be an object of name: value", field=field)
    if len(headers) > MAX_HEADERS:
        raise InvalidInput(f"{field} takes at most {MAX_HEADERS} headers", field=field)
    total = 0
    clean: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise InvalidInput(f"{field}: {name!r} is not a valid header name", field=field)
        if name.lower() in reserved:
            raise InvalidInput(f"{field}: {name} is set by StatusPing itself", field=field)
        text = str(value)
        if "\r" in text or "\n" in text or "\x00" in text:
            raise InvalidInput(f"{field}: {name} must be a single line", field=field)
        if len(text) > MAX_HEADER_VALUE_LENGTH:
            raise InvalidInput(
                f"{field}: {name} must be at most {MAX_HEADER_VALUE_LENGTH} characters", field=field
            )
        total += len(name) + len(text)
        clean[name] = text
    if total > MAX_HEADERS_TOTAL:
        raise InvalidInput(f"{field} must total at most {MAX_HEADERS_TOTAL} characters", field=field)
    return clean


def clean_name(value: Any, *, field: str = "name", max_length: int = 100) -> str:
    """A display name: whitespace collapsed, not empty, bounded."""
    text = " ".join(str(value or "").split())
    if not text:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters", field=field)
    return text


def normalize_tcp(config: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
    host = str(config.get("host") or "").strip()
    if not host or not (literal_ip(host) or _HOSTNAME.match(host)):
        raise InvalidInput("host must be a host name or IP address", field="host")
    port = config.get("port")
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise InvalidInput("port must be a number from 1 to 65535", field="port")
    check_host_allowed(host, allow_private=allow_private, field="host")
    return {"host": literal_ip(host) or host.lower(), "port": port}


def normalize_dns(config: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
    hostname = str(config.get("hostname") or "").strip().lower()
    if not hostname or not _HOSTNAME.match(hostname):
        raise InvalidInput("hostname must be a valid DNS name", field="hostname")
    try:
        record_type = DnsRecordType(str(config.get("record_type") or "A").upper())
    except ValueError:
        choices = ", ".join(t.value for t in DnsRecordType)
        raise InvalidInput(f"record_type must be one of {choices}", field="record_type") from None
    expected = _optional_text(config, "expected")
    nameserver = _optional_text(config, "nameserver")
    if nameserver is not None:
        host, _, port = nameserver.rpartition(":") if nameserver.count(":") == 1 else (nameserver, "", "")
        if not literal_ip(host) or (port and not (port.isdigit() and 1 <= int(port) <= 65535)):
            raise InvalidInput("nameserver must be an IP address, optionally with :port", field="nameserver")
        check_host_allowed(host, allow_private=allow_private, field="nameserver")
    return {
        "hostname": hostname,
        "record_type": record_type.value,
        "expected": expected,
        "nameserver": nameserver,
    }


def normalize_heartbeat(config: dict[str, Any]) -> dict[str, Any]:
    grace = config.get("grace_seconds", DEFAULT_GRACE_SECONDS)
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= MAX_INTERVAL_SECONDS:
        raise InvalidInput("grace_seconds must be a number from 0 to 86400", field="grace_seconds")
    # Either every interval_seconds (schedule None) or on a cron schedule in a time zone.
    schedule = config.get("schedule")
    if schedule is None or schedule == "":
        return {"grace_seconds": grace, "schedule": None, "timezone": None}
    return {
        "grace_seconds": grace,
        "schedule": clean_schedule(schedule),
        "timezone": clean_timezone(config.get("timezone")),
    }


def normalize_config(
    monitor_type: MonitorType, config: dict[str, Any], *, allow_private: bool
) -> dict[str, Any]:
    if monitor_type is MonitorType.HTTP:
        return normalize_http(config, allow_private=allow_private)
    if monitor_type is MonitorType.TCP:
        return normalize_tcp(config, allow_private=allow_private)
    if monitor_type is MonitorType.DNS:
        return normalize_dns(config, allow_private=allow_private)
    return normalize_heartbeat(config)


CONFIG_FIELDS: dict[MonitorType, tuple[str, ...]] = {
    MonitorType.HTTP: (
        "url", "method", "headers", "body", "expected_status", "keyword", "keyword_absent",
        "json_path", "json_expected", "follow_redirects", "verify_tls", "ssl_expiry_days",
    ),
    MonitorType.TCP: ("host", "port"),
    MonitorType.DNS: ("hostname", "record_type", "expected", "nameserver"),
    MonitorType.HEARTBEAT: ("grace_seconds", "schedule", "timezone"),
}  # fmt: skip


def target_of(monitor_type: MonitorType, config: dict[str, Any]) -> str:
    """A short human description of what is checked, for lists and alerts."""
    if monitor_type is MonitorType.HTTP:
        return f"{config['method']} {mask_url_password(config['url'])}"  # alerts go to third parties
    if monitor_type is MonitorType.TCP:
        return f"{config['host']}:{config['port']}"
    if monitor_type is MonitorType.DNS:
        return f"{config['record_type']} {config['hostname']}"
    if config.get("schedule"):
        return f"cron {config['schedule']} ({config.get('timezone') or 'UTC'})"
    return "heartbeat"
