"""Check-ins over /api/*: the bot's actions set the cadence she chose; staff tools read her
schedule."""

from __future__ import annotations

import logging

from aiohttp import web

from services.app_keys import SESSIONS
from services.checkins import regular, schedule
from services.checkins.cadence import validate_cadence
from services.clients.lookup import require_client
from services.db.base import utcnow
from services.db.tables import CheckIn, Client
from services.logs import log_event
from services.referrals.service import is_actor
from services.web import ApiError, json_object

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()


def _check_in_dict(row: CheckIn) -> dict[str, object]:
    return {"id": row.id, "kind": row.kind, "due_at": row.due_at.isoformat(), "state": row.state}


def _schedule_dict(client: Client, rows: list[CheckIn]) -> dict[str, object]:
    changed = client.checkin_cadence_changed_at
    return {
        "client_id": client.id,
        "cadence": client.checkin_cadence,
        "cadence_changed_at": changed.isoformat() if changed else None,
        "cadence_changed_by": client.checkin_cadence_changed_by,
        "scheduled": [_check_in_dict(r) for r in rows],
    }


@routes.put("/api/clients/{client_id}/checkin-cadence")
async def set_cadence(request: web.Request) -> web.Response:
    body = await json_object(request)
    cadence = validate_cadence(body.get("cadence"))
    changed_by = body.get("changed_by", "bot")
    if not is_actor(changed_by):
        raise ApiError(
            400, "invalid_field", 'changed_by must be "bot" or "staff:<id>".', field="changed_by"
        )
    now = utcnow()
    async with request.app[SESSIONS]() as session, session.begin():
        client = await require_client(session, request.match_info["client_id"])
        await regular.set_cadence(session, client, cadence, str(changed_by), now)
        await session.flush()
        rows = await schedule.pending_for(session, client.id)
    log_event(logger, "checkin_cadence_set", client_id=client.id, cadence=cadence)
    return web.json_response(_schedule_dict(client, rows))


@routes.get("/api/clients/{client_id}/check-ins")
async def list_check_ins(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as session:
        client = await require_client(session, request.match_info["client_id"])
        rows = await schedule.pending_for(session, client.id)
    return web.json_response(_schedule_dict(client, rows))
