"""Prometheus metrics, served at /metrics by the web application (bot/web.py): updates handled
per channel and type, handler latency, deliveries by status and open dialogs (both counted in
SQL when scraped), the workers the supervisor restarted (`--workers N`), and the time of the
last handled update for /healthz.

One registry per process; with several workers, Prometheus scrapes each one (the database
figures are the same from every worker, the counters add up).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Delivery, ResponseStatus, SurveyResponse

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# Set by the `--workers` supervisor: the file where it counts the workers it restarted.
SUPERVISOR_STATE = "DOITHOAI_SUPERVISOR_STATE"

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "doithoai_updates",
            "Updates handled, by channel and type",
            ["channel", "type"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "doithoai_handler_seconds",
            "Time to handle one update",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.deliveries = Gauge(
            "doithoai_deliveries",
            "Outgoing messages by status",
            ["status"],
            registry=self.registry,
        )
        self.open_dialogs = Gauge(
            "doithoai_open_dialogs",
            "Survey responses started and not yet submitted",
            registry=self.registry,
        )
        self.worker_restarts = Gauge(
            "doithoai_worker_restarts",
            "Worker processes the supervisor restarted after they exited unexpectedly",
            registry=self.registry,
        )
        self.in_flight = 0
        self.last_update_at: float | None = None  # time.time() of the last handled update

    def observe(self, channel: str, kind: str, seconds: float) -> None:
        self.updates.labels(channel, kind).inc()
        self.latency.labels(channel).observe(seconds)
        self.last_update_at = time.time()

    async def refresh(self, db: AsyncSession) -> None:
        """The database figures, counted now (at scrape time)."""
        stmt = select(Delivery.status, func.count()).group_by(Delivery.status)
        counts = {status: count for status, count in (await db.execute(stmt)).all()}
        for status in ("pending", "sent", "failed", "unreachable", "cancelled"):
            self.deliveries.labels(status).set(counts.get(status, 0))
        drafts = await db.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.status == ResponseStatus.DRAFT)
        )
        self.open_dialogs.set(drafts or 0)
        self.worker_restarts.set(supervisor_restarts())

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class TelegramMetrics(BaseMiddleware):
    """An outer update middleware: counts and times every Telegram update, and tracks those in
    flight so a graceful shutdown can wait for them."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        started = time.perf_counter()
        self.metrics.in_flight += 1
        try:
            return await handler(event, data)
        finally:
            self.metrics.in_flight -= 1
            self.metrics.observe("telegram", kind, time.perf_counter() - started)


def supervisor_restarts() -> int:
    """How many workers the `--workers` supervisor restarted, from the file it keeps (0 for a
    single process)."""
    path = os.environ.get(SUPERVISOR_STATE)
    if not path:
        return 0
    try:
        with open(path, encoding="utf-8") as state:
            return int(json.load(state).get("restarts", 0))
    except (OSError, ValueError):
        return 0
