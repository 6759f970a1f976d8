"""Request and response shapes of the monitor API (PRODUCT.md §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from statusping.domain.schedule_cron import expectation_of, expected_before
from statusping.domain.secrets import mask_monitor_config
from statusping.storage.models import Incident, Monitor
from statusping.storage.repositories.results import StoredResult
from statusping.web.api.types import Input

MonitorTypeName = Literal["http", "tcp", "dns", "heartbeat"]


class MonitorFields(Input):
    """Every writable field; which ones apply depends on ``type``."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    interval_seconds: int | None = Field(default=None, ge=1, le=86400)
    timeout_seconds: float | None = Field(default=None, gt=0, le=3600)
    failure_threshold: int | None = Field(default=None, ge=1, le=100)
    retry_interval_seconds: int | None = Field(default=None, ge=1, le=86400)
    public: bool | None = None
    channel_ids: list[str] | None = Field(default=None, max_length=50)
    regions: list[str] | None = Field(default=None, max_length=10)
    # Regions that must confirm a failure before the monitor is down; null = a majority of the live ones.
    quorum: int | None = None
    # Latency above which consecutive successful checks mark the monitor degraded; null = off.
    degraded_ms: int | None = None
    degraded_alerts: bool | None = None  # alert on entering/leaving degraded (default true)
    # http
    url: str | None = Field(default=None, max_length=4096)
    method: str | None = Field(default=None, max_length=10)
    headers: dict[str, str] | None = None
    body: str | None = Field(default=None, max_length=131072)
    expected_status: str | None = Field(default=None, max_length=200)
    keyword: str | None = Field(default=None, max_length=1000)
    keyword_absent: str | None = Field(default=None, max_length=1000)
    json_path: str | None = Field(default=None, max_length=500)
    json_expected: str | int | float | bool | None = None
    follow_redirects: bool | None = None
    verify_tls: bool | None = None
    ssl_expiry_days: int | None = None
    # tcp
    host: str | None = Field(default=None, max_length=255)
    port: int | None = None
    # dns
    hostname: str | None = Field(default=None, max_length=255)
    record_type: str | None = Field(default=None, max_length=10)
    expected: str | None = Field(default=None, max_length=1000)
    nameserver: str | None = Field(default=None, max_length=100)
    # heartbeat
    grace_seconds: int | None = None
    schedule: str | None = Field(default=None, max_length=200)  # cron, instead of interval_seconds
    timezone: str | None = Field(default=None, max_length=64)  # IANA name for the schedule


class MonitorCreate(MonitorFields):
    name: str = Field(max_length=200)
    type: MonitorTypeName


class MonitorUpdate(MonitorFields):
    type: MonitorTypeName | None = None


class Timings(BaseModel):
    dns_ms: float | None
    connect_ms: float | None
    tls_ms: float | None
    ttfb_ms: float | None


class CheckResultOut(BaseModel):
    checked_at: datetime
    region: str
    ok: bool
    status_code: int | None
    response_ms: float | None
    timings: Timings
    error_kind: str | None
    error: str | None

    @classmethod
    def of(cls, row: StoredResult | dict[str, Any]) -> CheckResultOut:
        get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
        return cls(
            checked_at=get("checked_at"),
            region=get("region"),
            ok=get("ok"),
            status_code=get("status_code"),
            response_ms=get("response_ms"),
            timings=Timings(
                dns_ms=get("dns_ms"),
                connect_ms=get("connect_ms"),
                tls_ms=get("tls_ms"),
                ttfb_ms=get("ttfb_ms"),
            ),
            error_kind=get("error_kind"),
            error=get("error"),
        )


class IncidentOut(BaseModel):
    id: str
    monitor_id: str
    started_at: datetime
    resolved_at: datetime | None
    cause: str | None
    duration_seconds: float | None

    @classmethod
    def of(cls, incident: Incident, now: datetime) -> IncidentOut:
        end = incident.resolved_at or now
        return cls(
            id=str(incident.id),
            monitor_id=str(incident.monitor_id),
            started_at=incident.started_at,
            resolved_at=incident.resolved_at,
            cause=incident.cause,
            duration_seconds=round((end - incident.started_at).total_seconds(), 3),
        )


def shown_status(monitor: Monitor, *, in_maintenance: bool) -> str:
    if monitor.paused:
        return "paused"
    if in_maintenance:
        return "maintenance"
    return monitor.status


def monitor_out(
    monitor: Monitor, base_url: str, *, in_maintenance: bool = False, channel_ids: list[str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(monitor.id),
        "name": monitor.name,
        "type": monitor.type,
        "interval_seconds": monitor.interval_seconds,
        "timeout_seconds": monitor.timeout_seconds,
        "failure_threshold": monitor.failure_threshold,
        "retry_interval_seconds": monitor.retry_interval_seconds,
        "public": monitor.public,
        "channel_ids": channel_ids or [],
        "regions": monitor.regions,
        "quorum": monitor.quorum,
        "degraded_ms": monitor.degraded_ms,
        "degraded_alerts": monitor.degraded_alerts,
        **mask_monitor_config(monitor.config),  # header values and a URL's password: domain/secrets.py
        "status": shown_status(monitor, in_maintenance=in_maintenance),
        "paused_by_plan": monitor.paused_by_plan,  # paused by a downgrade's limit; an upgrade resumes it
        "last_checked_at": monitor.last_checked_at,
        "last_response_ms": monitor.last_response_ms,
        "last_error": monitor.last_error,
        "ssl_expires_at": monitor.ssl_expires_at,
        "created_at": monitor.created_at,
    }
    if monitor.type == "heartbeat":
        body["ping_url"] = f"{base_url}/ping/{monitor.heartbeat_token}"
        body["last_ping_at"] = monitor.last_ping_at
        body.setdefault("schedule", None)
        body.setdefault("timezone", None)
        expect = expectation_of(monitor.interval_seconds, monitor.config)
        if expect.schedule is not None:
            body["interval_seconds"] = None  # either an interval or a schedule (PRODUCT.md §4)
        due = monitor.next_check_at
        body["next_ping_expected_at"] = expected_before(expect, due) if due and not monitor.paused else None
    return body
