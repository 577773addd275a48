"""Prometheus metrics for the gateway and the API, served at GET /metrics (no personal data in
labels: steps and route templates, never ids or text)."""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

REGISTRY = CollectorRegistry()

INBOUND_REJECTED = Counter(
    "tandem_sms_inbound_rejected_total",
    "Inbound webhooks refused before anything was stored",
    ["reason"],
    registry=REGISTRY,
)
INBOUND = Counter(
    "tandem_sms_inbound_total",
    "Inbound messages by how they were handled",
    ["outcome"],
    registry=REGISTRY,
)
REPLAYED = Counter(
    "tandem_sms_replayed_total", "Messages replayed to the bot after it was down", registry=REGISTRY
)
RASA_BREAKER = Counter(
    "tandem_rasa_breaker_total",
    "Times the gateway stopped waiting on a hung Rasa (opened) and resumed (closed)",
    ["change"],
    registry=REGISTRY,
)

# Where an inbound SMS turn's time goes in the gateway (bench/turn_profile.py prints it):
# record (store it, find her), decide (everything up to the replies, the bot included),
# replay (her earlier missed messages first), judge (the crisis judgement that sets how long
# the bot may take), bot (the Rasa round trip), reply (store the replies).
TURN_STEP = Histogram(
    "tandem_sms_turn_step_seconds",
    "Time of each step of an inbound SMS turn in the gateway",
    ["step"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUEST = Histogram(
    "tandem_http_request_seconds",
    "Time to answer each HTTP request, by route template",
    ["route"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


@web.middleware
async def timed(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Each request's time under its route's template (/api/services/{service_id}), so ids
    never become labels; requests that match no route are counted as "unmatched"."""
    start = time.perf_counter()
    try:
        return await handler(request)
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        REQUEST.labels(route).observe(time.perf_counter() - start)


routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(_: web.Request) -> web.Response:
    response = web.Response(body=generate_latest(REGISTRY))
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response
