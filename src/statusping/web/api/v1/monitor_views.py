"""The monitor page's data over JSON: the chart series, and test-now for an unsaved form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder

from statusping.services import monitor_views, trial_checks
from statusping.services.monitor_views import ChartRange
from statusping.web.api.v1.monitor_schemas import MonitorCreate, Timings
from statusping.web.deps import (
    CurrentAccount,
    CurrentMonitor,
    Db,
    EndTransaction,
    Prober,
    SettingsDep,
    Writer,
    now,
)
from statusping.web.policy import policy_of

router = APIRouter(prefix="/monitors", tags=["monitors"])


@router.get("/{monitor_id}/series")
async def series(
    monitor: CurrentMonitor,
    account: CurrentAccount,
    db: Db,
    settings: SettingsDep,
    range: Annotated[ChartRange, Query(description="24h, 7d, 30d or 90d")] = ChartRange.DAY,
) -> Any:
    """Response-time chart data over ``start``..``end`` (Unix seconds) as parallel arrays: ``t``,
    ``response_ms``, ``p95_ms`` (buckets only), ``dns_ms``, ``connect_ms``, ``tls_ms``, ``ttfb_ms``,
    ``failed``. 24h has one point per check; longer ranges one per rollup bucket (``bucket_seconds``)."""
    plan = policy_of(settings).plan_of(account.organization)
    return await monitor_views.series(db, monitor, range, plan=plan, now=now())


@router.post("/test")
async def test_monitor(
    body: MonitorCreate,
    account: Writer,
    db: Db,
    settings: SettingsDep,
    prober: Prober,
    end_transaction: EndTransaction,
) -> dict[str, Any]:
    """Run one check with these settings without saving anything (the monitor form's Test now)."""
    trial = await trial_checks.trial_check(
        db,
        account.organization,
        body.model_dump(exclude_unset=True),
        policy=policy_of(settings),
        prober=prober,
        end_transaction=end_transaction,
        now=now(),
    )
    return trial_out(trial)


def trial_out(trial: trial_checks.Trial) -> dict[str, Any]:
    outcome = trial.outcome
    timings = outcome.timings
    body = {
        "target": trial.target,
        "checked_at": trial.checked_at,
        "ok": outcome.ok,
        "status_code": outcome.status_code,
        "response_ms": outcome.response_ms,
        "timings": Timings(
            dns_ms=timings.dns_ms,
            connect_ms=timings.connect_ms,
            tls_ms=timings.tls_ms,
            ttfb_ms=timings.ttfb_ms,
        ),
        "error_kind": outcome.error_kind.value if outcome.error_kind else None,
        "error": outcome.error,
        "ssl_expires_at": outcome.ssl_expires_at,
        "ssl_issuer": outcome.ssl_issuer,
    }
    encoded: dict[str, Any] = jsonable_encoder(body)
    return encoded
