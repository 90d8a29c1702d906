"""Prometheus metrics at GET /metrics (official prometheus-client), behind a bearer token.

Two kinds of numbers:
- Counters and the webhook latency histogram live in the process that saw the event.
  Gunicorn runs several workers, so when PROMETHEUS_MULTIPROC_DIR is set (it must be set
  before the app is imported, and emptied at each start) every process writes its values
  there and a scrape adds them up (prometheus-client's multiprocess mode).
- Gauges that describe shared state (queue depth, outbox backlog) are read from the
  database at scrape time, so every process reports the same truth and nothing needs
  to be kept in sync.

Access: `Authorization: Bearer $METRICS_TOKEN`. Without a token configured, /metrics
answers 404 in production and is open in development.
"""

from __future__ import annotations

import hmac
import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from bot import store

INBOUND = Counter(
    "helpdesk_inbound_messages",
    "Citizens' messages received, by how the bot handled them and channel",
    ["outcome", "channel"],
)
OUTBOUND = Counter(
    "helpdesk_outbound_status_callbacks",
    "Delivery statuses Twilio reported for outbound messages",
    ["status"],
)
WEBHOOK_SECONDS = Histogram(
    "helpdesk_webhook_seconds",
    "Time to answer a Twilio webhook request",
    ["endpoint"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
FAQ_RELOADS = Counter("helpdesk_faq_reloads", "FAQ folder loads that succeeded")
FAQ_RELOAD_ERRORS = Counter("helpdesk_faq_reload_errors", "FAQ folder loads that failed")

WEBHOOK_BLUEPRINTS = frozenset({"twilio"})


def count_inbound(outcome: str | None, channel: str) -> None:
    """Count one received citizen message (outcome "duplicate" for Twilio's retries)."""
    INBOUND.labels(outcome=outcome or "none", channel=channel).inc()


def count_status(status: str) -> None:
    """Count one delivery status reported by the provider."""
    OUTBOUND.labels(status=(status or "unknown")[:20]).inc()


def faq_loaded(ok: bool) -> None:
    """Count one FAQ load (called by bot.library)."""
    (FAQ_RELOADS if ok else FAQ_RELOAD_ERRORS).inc()


class DatabaseCollector:
    """Gauges read from the database (and this process's FAQ) at scrape time."""

    def __init__(self, helpdesk):
        self.helpdesk = helpdesk

    def collect(self):
        now = store.utcnow()
        with self.helpdesk.store.session() as session:
            tickets = dict(
                session.execute(
                    select(store.Ticket.state, func.count())
                    .where(store.Ticket.state != "closed")
                    .group_by(store.Ticket.state)
                ).all()
            )
            oldest = session.scalar(
                select(func.min(store.Ticket.waiting_since)).where(store.Ticket.state != "closed")
            )
            outbox = dict(
                session.execute(
                    select(store.Outbox.state, func.count())
                    .where(store.Outbox.state.in_(("pending", "sending")))
                    .group_by(store.Outbox.state)
                ).all()
            )
            oldest_pending = session.scalar(
                select(func.min(store.Outbox.created_at)).where(
                    store.Outbox.state.in_(("pending", "sending"))
                )
            )
            failed = session.scalar(
                select(func.count()).select_from(store.Outbox).where(store.Outbox.state == "failed")
            )
        queue = GaugeMetricFamily(
            "helpdesk_queue_depth", "Tickets not closed, by state", labels=["state"]
        )
        for state in ("open", "claimed"):
            queue.add_metric([state], tickets.get(state, 0))
        yield queue
        yield GaugeMetricFamily(
            "helpdesk_queue_oldest_wait_seconds",
            "How long the citizen who has waited longest has waited (wall clock)",
            value=_age(oldest, now),
        )
        backlog = GaugeMetricFamily(
            "helpdesk_outbox_backlog", "Outbound messages not yet sent, by state", labels=["state"]
        )
        for state in ("pending", "sending"):
            backlog.add_metric([state], outbox.get(state, 0))
        yield backlog
        yield GaugeMetricFamily(
            "helpdesk_outbox_oldest_pending_seconds",
            "Age of the oldest outbound message not yet sent",
            value=_age(oldest_pending, now),
        )
        yield GaugeMetricFamily(
            "helpdesk_outbox_failed", "Outbound messages that failed for good", value=failed or 0
        )
        library = self.helpdesk.library
        yield GaugeMetricFamily(
            "helpdesk_faq_problems",
            "Problems of the newest FAQ load in this process (0: the files are good)",
            value=len(library.errors),
        )


def _age(moment, now) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment else 0.0


def registry(helpdesk) -> CollectorRegistry:
    """Return the registry a scrape reads: this process's (or all processes') + the database."""
    reg = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(reg)
    else:
        for collector in (INBOUND, OUTBOUND, WEBHOOK_SECONDS, FAQ_RELOADS, FAQ_RELOAD_ERRORS):
            reg.register(collector)
    reg.register(DatabaseCollector(helpdesk))
    return reg


def init_app(app) -> None:
    """Register GET /metrics and time the webhook requests (Flask is only needed here)."""
    from flask import Blueprint, Response, abort, current_app, g, request

    bp = Blueprint("metrics", __name__)

    def allowed() -> bool:
        token = current_app.config.get("METRICS_TOKEN")
        if not token:
            return not current_app.config.get("PRODUCTION")
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    @bp.get("/metrics")
    def metrics():
        """Expose the metrics in Prometheus text format (token required when configured)."""
        if not current_app.config.get("METRICS_TOKEN") and current_app.config.get("PRODUCTION"):
            abort(404)
        if not allowed():
            return Response("unauthorized\n", 401, {"WWW-Authenticate": "Bearer"})
        body = generate_latest(registry(current_app.extensions["helpdesk"]))
        return Response(body, mimetype=CONTENT_TYPE_LATEST)

    @app.before_request
    def start_timer() -> None:
        if request.blueprint in WEBHOOK_BLUEPRINTS:
            g.metrics_started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            endpoint = (request.endpoint or "unknown").rsplit(".", 1)[-1]
            WEBHOOK_SECONDS.labels(endpoint=endpoint).observe(time.perf_counter() - started)
        return response

    app.register_blueprint(bp)
