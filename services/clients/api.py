"""A client's profile over /api/*: what the bot learned in onboarding, and a loss."""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from services.app_keys import SESSIONS
from services.clients.lookup import UnknownClient, require_client
from services.clients.profile import InvalidField, apply_change, profile_dict, validate_change
from services.db.models import Client
from services.logs import log_event
from services.web import ApiError, json_object

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()


async def client_or_404(session: AsyncSession, client_id: object) -> Client:
    try:
        return await require_client(session, client_id)
    except UnknownClient:
        raise ApiError(
            404, "unknown_client", "No client has this id.", client_id=str(client_id)
        ) from None


@routes.get("/api/clients/{client_id}")
async def get_profile(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as session:
        client = await client_or_404(session, request.match_info["client_id"])
    return web.json_response(profile_dict(client))


@routes.patch("/api/clients/{client_id}")
async def update_profile(request: web.Request) -> web.Response:
    body = await json_object(request)
    try:
        change = validate_change(body)
    except InvalidField as e:
        raise ApiError(400, "invalid_field", str(e), field=e.field) from None
    async with request.app[SESSIONS]() as session, session.begin():
        client = await client_or_404(session, request.match_info["client_id"])
        await apply_change(session, client, change)
    # Field names only: the values (her name, dates) stay out of the logs.
    log_event(
        logger,
        "profile_updated",
        client_id=client.id,
        fields=sorted(change.fields),
        pregnancy_loss=change.pregnancy_loss,
    )
    return web.json_response(profile_dict(client))
