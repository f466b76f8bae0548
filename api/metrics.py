"""Prometheus metrics: requests by route template, method and status, and the indexer's progress.

Each app has its own registry (several apps in one process, as in tests, do not collide). The indexer
gauges are read from ``indexer_cursor`` when Prometheus scrapes, so every worker reports the same truth.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.db.models import IndexerCursor

log = logging.getLogger("api")


class IndexerCollector(Collector):
    """Gauges of every indexed chain, read from the database at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterable[Metric]:
        gauges = {
            "head": GaugeMetricFamily(
                "pledgeledger_indexer_head_block", "Chain head seen", labels=["chain_id"]
            ),
            "indexed": GaugeMetricFamily(
                "pledgeledger_indexer_indexed_block", "Last block mirrored", labels=["chain_id"]
            ),
            "finalized": GaugeMetricFamily(
                "pledgeledger_indexer_finalized_block", "Last final block", labels=["chain_id"]
            ),
            "lag": GaugeMetricFamily(
                "pledgeledger_indexer_lag_blocks", "Blocks behind the head", labels=["chain_id"]
            ),
            "reorgs": GaugeMetricFamily(
                "pledgeledger_indexer_reorgs", "Reorganisations undone", labels=["chain_id"]
            ),
            "halted": GaugeMetricFamily(
                "pledgeledger_indexer_halted",
                "1 while the indexer is halted: the chain no longer holds the mirror (see /api/v1/status)",
                labels=["chain_id"],
            ),
            "age": GaugeMetricFamily(
                "pledgeledger_indexer_seconds_since_update",
                "Seconds since the indexer last stored a batch or polled",
                labels=["chain_id"],
            ),
        }
        up = GaugeMetricFamily("pledgeledger_database_up", "1 if the database answered the scrape")
        try:
            with self.engine.connect() as conn:
                cursors = conn.execute(select(IndexerCursor.__table__)).all()
        except SQLAlchemyError as exc:
            log.warning("metrics: database unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        now = datetime.now(UTC)
        for c in cursors:
            labels = [str(c.chain_id)]
            gauges["head"].add_metric(labels, c.head_block)
            gauges["indexed"].add_metric(labels, c.block_number)
            gauges["finalized"].add_metric(labels, c.finalized_block)
            gauges["lag"].add_metric(labels, max(c.head_block - c.block_number, 0))
            gauges["reorgs"].add_metric(labels, c.reorgs)
            gauges["halted"].add_metric(labels, 0 if c.halt_reason is None else 1)
            updated = c.updated_at if c.updated_at.tzinfo else c.updated_at.replace(tzinfo=UTC)
            gauges["age"].add_metric(labels, (now - updated).total_seconds())
        yield up
        yield from gauges.values()


class HttpMetrics:
    """Request counters and latencies, labelled by the route's template (never the raw path)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "pledgeledger_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "pledgeledger_http_request_duration_seconds",
            "Time to answer an HTTP request (streamed bodies included)",
            ["method", "route"],
            registry=registry,
        )


def make_registry(engine: Engine) -> tuple[CollectorRegistry, HttpMetrics]:
    registry = CollectorRegistry()
    registry.register(IndexerCollector(engine))
    return registry, HttpMetrics(registry)


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/api/v1/pledges/{pledge_id}``), or ``unmatched``.

    The router leaves the matched route in the scope, but FastAPI's included routers keep the route's own
    path without the prefixes it was included under; those prefixes are literal, so they are the leading
    segments of the request path that the route's template does not account for.
    """
    route: BaseRoute | None = scope.get("route")
    own: str | None = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not own:
        return "unmatched"
    path_segments = scope["path"].strip("/").split("/")
    own_segments = own.strip("/").split("/")
    prefix = path_segments[: max(len(path_segments) - len(own_segments), 0)]
    return "/" + "/".join(prefix) + own if prefix else own


class MetricsMiddleware:
    """Pure ASGI middleware (streamed responses pass through untouched) timing every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            template = route_template(scope)
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status_code)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)
