"""Prometheus counters for the gateway, served at GET /metrics (no personal data in labels)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

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

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(_: web.Request) -> web.Response:
    response = web.Response(body=generate_latest(REGISTRY))
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response
