"""Consent over /api/*: her YES (signed by that message) or NO to a pending consent, and her
withdrawal by text, which takes effect at once."""

from __future__ import annotations

import logging

from aiohttp import web

from services.app_keys import CONSENTS
from services.consent.records import consent_dict
from services.consent.service import Decision
from services.logs import log_event
from services.referrals.records import referral_dict
from services.web import json_object, path_id, text_field

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()


def decision_dict(decision: Decision) -> dict[str, object]:
    return {
        "consent": consent_dict(decision.consent),
        "referral": referral_dict(decision.referral) if decision.referral else None,
        "service": decision.contact or None,
    }


@routes.post("/api/consents/{consent_id}/grant")
async def grant(request: web.Request) -> web.Response:
    consent_id = path_id(request, "consent_id")
    body = await json_object(request)
    client_id = text_field(body, "client_id")
    message_sid = str(text_field(body, "message_sid"))
    decision = await request.app[CONSENTS].grant(consent_id, client_id, message_sid)
    log_event(logger, "consent_given", consent_id=consent_id, client_id=client_id)
    return web.json_response(decision_dict(decision))


@routes.post("/api/consents/{consent_id}/decline")
async def decline(request: web.Request) -> web.Response:
    consent_id = path_id(request, "consent_id")
    body = await json_object(request)
    client_id = text_field(body, "client_id")
    decision = await request.app[CONSENTS].decline(consent_id, client_id)
    log_event(logger, "consent_declined", consent_id=consent_id, client_id=client_id)
    return web.json_response(decision_dict(decision))


@routes.post("/api/clients/{client_id}/consents/withdraw")
async def withdraw(request: web.Request) -> web.Response:
    client_id = request.match_info["client_id"]
    body = await json_object(request)
    # Never refused for a missing or odd message id: revocation must always take effect.
    sid = body.get("message_sid")
    message_sid = (sid.strip()[:64] or None) if isinstance(sid, str) else None
    result = await request.app[CONSENTS].withdraw(client_id, message_sid)
    log_event(
        logger,
        "consent_withdrawn",
        client_id=client_id,
        withdrawn=len(result.withdrawn),
        referrals_cancelled=len(result.cancelled),
    )
    return web.json_response(
        {
            "withdrawn": len(result.withdrawn),
            "referrals_cancelled": len(result.cancelled),
            "services": result.services,
        }
    )


@routes.get("/api/clients/{client_id}/consents")
async def list_consents(request: web.Request) -> web.Response:
    rows = await request.app[CONSENTS].consents_of(request.match_info["client_id"])
    return web.json_response([consent_dict(c) for c in rows])
