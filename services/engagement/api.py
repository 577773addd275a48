"""Engagement signals over /api/*: the bot's actions log them, staff tools read them; and
her engagement summary."""

from __future__ import annotations

import logging

from aiohttp import web

from services.app_keys import SESSIONS, SETTINGS
from services.checkins import follow_ups
from services.clients.lookup import require_client
from services.db.base import utcnow
from services.engagement.recent import summary_of
from services.engagement.signals import (
    SIGNAL_TYPES,
    record_signal,
    same_signal,
    signal_dict,
    signals_for,
    validate_signal,
)
from services.logs import log_event
from services.web import ApiError, json_object, query_int

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

MAX_LIMIT = 200


@routes.post("/api/signals")
async def create_signal(request: web.Request) -> web.Response:
    body = await json_object(request)
    signal = validate_signal(
        body.get("type"), body.get("value"), body.get("source"), body.get("message_sid")
    )
    async with request.app[SESSIONS]() as session, session.begin():
        client = await require_client(session, body.get("client_id"))
        already = await same_signal(session, client.id, signal)
        if already is not None:  # a retry of a post that did land
            return web.json_response(signal_dict(already), status=200)
        row = await record_signal(session, client.id, signal)
        await follow_ups.after_signal(
            session,
            client.id,
            row.type,
            utcnow(),
            row.value,
            request.app[SETTINGS].tandem_timezone,
        )
    log_event(logger, "signal_recorded", client_id=row.client_id, type=row.type, source=row.source)
    return web.json_response(signal_dict(row), status=201)


@routes.get("/api/clients/{client_id}/signals")
async def list_signals(request: web.Request) -> web.Response:
    client_id = request.match_info["client_id"]
    signal_type = request.query.get("type")
    if signal_type is not None and signal_type not in SIGNAL_TYPES:
        raise ApiError(400, "invalid_signal", "Unknown signal type.", field="type")
    limit = query_int(request, "limit", 50, 1, MAX_LIMIT)
    async with request.app[SESSIONS]() as session:
        await require_client(session, client_id)
        rows = await signals_for(session, client_id, signal_type=signal_type, limit=limit)
    return web.json_response([signal_dict(r) for r in rows])


@routes.get("/api/clients/{client_id}/engagement")
async def engagement(request: web.Request) -> web.Response:
    """Her place on the continuum with its reasons, and the outreach flag (summary.py)."""
    client_id = request.match_info["client_id"]
    async with request.app[SESSIONS]() as session:
        await require_client(session, client_id)
        summary = await summary_of(session, client_id, utcnow())
    return web.json_response({"client_id": client_id, **summary.as_json()})
