"""``GET /metrics``: Prometheus exposition of an organization's monitors (API key, business plan).

Written with ``prometheus-client``: each scrape builds a fresh ``CollectorRegistry`` around a
collector holding that scrape's figures, so nothing is shared between organizations or requests and
the library does the format and the label escaping.

- ``statusping_monitor_up`` 1 when up or degraded, 0 when down; no sample while the monitor is
  pending, paused or in maintenance (unknown is not "down": an ``up == 0`` alert would fire).
- ``statusping_monitor_status`` one sample per status, 1 for the current one.
- ``statusping_monitor_response_seconds`` the last check's response time.
- ``statusping_monitor_uptime_ratio{window="24h|7d|30d"}`` 0..1, time-weighted as on the monitor page.
- ``statusping_monitor_tls_expiry_timestamp_seconds`` when the certificate expires (HTTPS monitors).
- ``statusping_monitor_checks_24h`` / ``…_failures_24h`` from the hourly rollups: gauges, not
  counters, because a rolling 24 h sum goes down as hours leave the window.
- ``statusping_engine_*`` the health of the check engine ``serve`` runs beside the web (in its own
  process, or embedded), if it runs one: what ``/api/health`` reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from statusping.process_status import EngineFigures, StatusSource
from statusping.services import metrics as service
from statusping.services.metrics import STATUSES, MonitorFigures
from statusping.web.deps import BEARER_CHALLENGE, Db, KeyHolderDep, now

router = APIRouter()
LABELS = ["monitor_id", "name", "type"]


class _Snapshot(Collector):
    def __init__(self, monitors: list[MonitorFigures], engine: EngineFigures | None) -> None:
        self.monitors = monitors
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        yield from self._monitors()
        if self.engine is not None:
            yield from self._engine(self.engine)

    def _monitors(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "statusping_monitor_up", "1 when up or degraded, 0 when down; absent while unknown", labels=LABELS
        )
        state = GaugeMetricFamily(
            "statusping_monitor_status", "1 for the monitor's current status", labels=[*LABELS, "status"]
        )
        response = GaugeMetricFamily(
            "statusping_monitor_response_seconds", "Response time of the last check", labels=LABELS
        )
        ratio = GaugeMetricFamily(
            "statusping_monitor_uptime_ratio",
            "Time-weighted uptime over the window (0..1), paused and maintenance time left out",
            labels=[*LABELS, "window"],
        )
        tls = GaugeMetricFamily(
            "statusping_monitor_tls_expiry_timestamp_seconds",
            "When the TLS certificate expires (Unix time)",
            labels=LABELS,
        )
        checks = GaugeMetricFamily(
            "statusping_monitor_checks_24h", "Checks in the last 24 hours (all regions)", labels=LABELS
        )
        failures = GaugeMetricFamily(
            "statusping_monitor_failures_24h",
            "Failed checks in the last 24 hours (all regions)",
            labels=LABELS,
        )
        for m in self.monitors:
            labels = [m.id, m.name, m.type]
            if m.status in ("up", "degraded"):
                up.add_metric(labels, 1)
            elif m.status == "down":
                up.add_metric(labels, 0)
            for status in STATUSES:
                state.add_metric([*labels, status], 1 if m.status == status else 0)
            if m.response_seconds is not None:
                response.add_metric(labels, m.response_seconds)
            for window, value in m.uptime_ratio.items():
                ratio.add_metric([*labels, window], value)
            if m.tls_expires_at is not None:
                tls.add_metric(labels, m.tls_expires_at.timestamp())
            checks.add_metric(labels, m.checks_24h)
            failures.add_metric(labels, m.failures_24h)
        return (up, state, response, ratio, tls, checks, failures)

    def _engine(self, engine: EngineFigures) -> Iterable[Metric]:
        lag = engine.lag_p99_ms
        running = GaugeMetricFamily("statusping_engine_running", "1 while this process's check engine runs")
        running.add_metric([], 1 if engine.running else 0)
        pending = GaugeMetricFamily("statusping_engine_pending", "Results waiting to be recorded")
        pending.add_metric([], engine.pending)
        done = CounterMetricFamily("statusping_engine_checks", "Checks run by this process's engine")
        done.add_metric([], engine.checks)
        recorded = CounterMetricFamily("statusping_engine_recorded", "Check results recorded by this engine")
        recorded.add_metric([], engine.recorded)
        regions = GaugeMetricFamily(
            "statusping_engine_region_live",
            "1 per region with a live worker, 0 per region whose workers fell silent (out of every quorum)",
            labels=["region"],
        )
        for name in engine.live_regions:
            regions.add_metric([name], 1)
        for name in engine.silent_regions:
            regions.add_metric([name], 0)
        found: list[Metric] = [running, pending, done, recorded, regions]
        if lag is not None:
            p99 = GaugeMetricFamily(
                "statusping_engine_lag_p99_seconds", "99th percentile of recent check lag (late start)"
            )
            p99.add_metric([], lag / 1000.0)
            found.append(p99)
        return found


@router.get("/metrics")
async def metrics(request: Request, holder: KeyHolderDep, db: Db) -> Response:
    if holder is None:
        raise HTTPException(401, "send an API key: Authorization: Bearer <key>", headers=BEARER_CHALLENGE)
    figures = await service.monitor_figures(db, holder.account.organization, now())
    registry = CollectorRegistry(auto_describe=False)
    source: StatusSource | None = request.app.state.background_status
    status = source.current() if source is not None else None
    registry.register(_Snapshot(figures, status.engine if status is not None else None))
    return Response(
        generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"}
    )
