"""Referrals over /api/*: the bot offers one (with its consent text), staff and the bot read
them and move them through the lifecycle, and a provider-facing FHIR export that needs her
active consent."""

from __future__ import annotations

import logging

from aiohttp import web

from services.app_keys import REFERRALS
from services.consent.records import consent_dict
from services.logs import log_event
from services.referrals import lifecycle, service
from services.referrals.records import change_dict, referral_dict
from services.web import ApiError, json_object, path_id, query_int, text_field

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

MAX_LIMIT = 200
LANGUAGES = ("en", "es")


def actor_field(body: dict[str, object], name: str) -> str:
    value = body.get(name)
    if not service.is_actor(value):
        raise ApiError(400, "invalid_field", f'{name} must be "bot" or "staff:<id>".', field=name)
    return str(value)


def paging(request: web.Request) -> tuple[int, int]:
    return (
        query_int(request, "limit", 50, 1, MAX_LIMIT),
        query_int(request, "offset", 0, 0, None),
    )


def detail_dict(record: service.ReferralRecord) -> dict[str, object]:
    return {
        **referral_dict(record.referral),
        "history": [change_dict(c) for c in record.history],
        "consent": consent_dict(record.consent) if record.consent else None,
    }


@routes.post("/api/referrals")
async def create_referral(request: web.Request) -> web.Response:
    body = await json_object(request)
    language = body.get("language")
    if language is not None and language not in LANGUAGES:
        raise ApiError(400, "invalid_field", "language must be en or es.", field="language")
    do_not_contact = body.get("do_not_contact", False)
    if not isinstance(do_not_contact, bool):
        raise ApiError(
            400, "invalid_field", "do_not_contact must be true or false.", field="do_not_contact"
        )
    offer = service.Offer(
        client_id=str(text_field(body, "client_id")),
        service_id=str(text_field(body, "service_id")),
        need=str(text_field(body, "need")),
        created_by=actor_field(body, "created_by"),
        language=language,  # type: ignore[arg-type]
        location_id=text_field(body, "location_id", required=False),
        do_not_contact=do_not_contact,
    )
    referral, consent = await request.app[REFERRALS].offer(offer)
    log_event(
        logger,
        "referral_offered",
        referral_id=referral.id,
        consent_id=consent.id,
        client_id=referral.client_id,
        need=referral.need,
    )
    return web.json_response(
        {"referral": referral_dict(referral), "consent": consent_dict(consent)}, status=201
    )


@routes.get("/api/referrals")
async def list_referrals(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status is not None and status not in lifecycle.STATUSES:
        raise ApiError(
            400,
            "invalid_parameter",
            f"status must be one of: {', '.join(lifecycle.STATUSES)}.",
            field="status",
        )
    limit, offset = paging(request)
    total, rows = await request.app[REFERRALS].list(
        client_id=request.query.get("client_id"), status=status, limit=limit, offset=offset
    )
    return web.json_response(
        {
            "total": total,
            "limit": limit,
            "offset": offset,
            "referrals": [referral_dict(r) for r in rows],
        }
    )


@routes.get("/api/referrals/{referral_id}")
async def get_referral(request: web.Request) -> web.Response:
    referral_id = path_id(request, "referral_id")
    record = await request.app[REFERRALS].get(referral_id)
    return web.json_response(detail_dict(record))


@routes.post("/api/referrals/{referral_id}/status")
async def change_status(request: web.Request) -> web.Response:
    referral_id = path_id(request, "referral_id")
    body = await json_object(request)
    actor = actor_field(body, "actor")
    record = await request.app[REFERRALS].change_status(
        referral_id, body.get("to"), body.get("reason"), body.get("outcome"), actor
    )
    log_event(
        logger,
        "referral_status_changed",
        referral_id=referral_id,
        status=record.referral.status,
        actor=actor,
    )
    return web.json_response(detail_dict(record))


@routes.get("/api/referrals/{referral_id}/fhir")
async def fhir_export(request: web.Request) -> web.Response:
    referral_id = path_id(request, "referral_id")
    bundle = await request.app[REFERRALS].fhir_bundle(referral_id)
    log_event(logger, "referral_exported", referral_id=referral_id)
    return web.json_response(bundle, content_type="application/fhir+json")
