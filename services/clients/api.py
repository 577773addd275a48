"""A client's profile over /api/*: what the bot learned in onboarding, and a loss."""

from __future__ import annotations

import logging

from aiohttp import web

from services.app_keys import SESSIONS, SETTINGS
from services.clients import contact_prefs
from services.clients.lookup import require_client
from services.clients.profile import apply_change, profile_dict, validate_change
from services.db.base import utcnow
from services.logs import log_event
from services.web import json_object

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.get("/api/clients/{client_id}")
async def get_profile(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as session:
        client = await require_client(session, request.match_info["client_id"])
    return web.json_response(profile_dict(client))


@routes.patch("/api/clients/{client_id}")
async def update_profile(request: web.Request) -> web.Response:
    body = await json_object(request)
    change = validate_change(body)
    tz = request.app[SETTINGS].tandem_timezone
    async with request.app[SESSIONS]() as session, session.begin():
        client = await require_client(session, request.match_info["client_id"])
        await apply_change(session, client, change, utcnow(), tz)
    # Field names only: the values (her name, dates) stay out of the logs.
    log_event(
        logger,
        "profile_updated",
        client_id=client.id,
        fields=sorted(change.fields),
        pregnancy_loss=change.pregnancy_loss,
    )
    return web.json_response(profile_dict(client))


@routes.get("/api/clients/{client_id}/contact-preferences")
async def get_contact_preferences(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as session:
        client = await require_client(session, request.match_info["client_id"])
    return web.json_response(contact_prefs.prefs_dict(client))


@routes.put("/api/clients/{client_id}/contact-preferences")
async def set_contact_preferences(request: web.Request) -> web.Response:
    """Her own hours and discreet mode, as she asked the bot (or her case manager)."""
    body = await json_object(request)
    settings = request.app[SETTINGS]
    change = contact_prefs.validate_change(
        body, settings.tandem_quiet_hours, settings.tandem_timezone
    )
    async with request.app[SESSIONS]() as session, session.begin():
        client = await require_client(session, request.match_info["client_id"])
        contact_prefs.apply_change(client, change, utcnow())
    log_event(logger, "contact_preferences_set", client_id=client.id, fields=sorted(change.fields))
    return web.json_response(contact_prefs.prefs_dict(client))
