"""Staff alerts over /api/*: the bot raises them (crisis, asking for a person); the dashboard
lists them."""

from __future__ import annotations

import logging

from aiohttp import web

from services.alerts.alerts import (
    STATUSES,
    InvalidAlert,
    alert_dict,
    alerts_with_status,
    raise_alert,
    validate_alert,
)
from services.app_keys import SESSIONS
from services.clients.lookup import require_client
from services.engagement.signals import InvalidSignal, validate_signal
from services.logs import log_event
from services.web import ApiError, json_object, query_int

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

MAX_LIMIT = 500


@routes.post("/api/alerts")
async def create_alert(request: web.Request) -> web.Response:
    body = await json_object(request)
    try:
        kind, detail = validate_alert(body.get("kind"), body.get("detail"))
        # The signal logged with the alert: same rules as POST /api/signals for its fields.
        signal = validate_signal(kind, None, body.get("source"), body.get("message_sid"))
    except (InvalidAlert, InvalidSignal) as e:
        raise ApiError(400, "invalid_alert", str(e), field=e.field) from None
    async with request.app[SESSIONS]() as session, session.begin():
        client = await require_client(session, body.get("client_id"))
        alert = await raise_alert(
            session, client.id, kind, detail, source=signal.source, message_sid=signal.message_sid
        )
    log_event(
        logger,
        "alert_raised",
        logging.WARNING if kind == "crisis" else logging.INFO,
        alert_id=alert.id,
        client_id=alert.client_id,
        kind=kind,
    )
    return web.json_response(alert_dict(alert), status=201)


@routes.get("/api/alerts")
async def list_alerts(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(
            400,
            "invalid_parameter",
            f"status must be one of: {', '.join(sorted(STATUSES))}.",
            field="status",
        )
    limit = query_int(request, "limit", 100, 1, MAX_LIMIT)
    async with request.app[SESSIONS]() as session:
        alerts = await alerts_with_status(session, status, limit=limit)
    return web.json_response([alert_dict(a) for a in alerts])
