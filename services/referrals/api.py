"""Referrals over /api/*: the bot offers one (with its consent text), staff and the bot read
them and move them through the lifecycle, and a provider-facing FHIR export that needs her
active consent."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from services.app_keys import REFERRALS
from services.clients.lookup import UnknownClient
from services.consent.records import consent_dict
from services.directory.details import UnknownLocation, UnknownService
from services.directory.taxonomy import UnknownNeed
from services.logs import log_event
from services.referrals import lifecycle, service
from services.referrals.records import change_dict, referral_dict
from services.web import ApiError, json_object, query_int

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

MAX_LIMIT = 200
LANGUAGES = ("en", "es")
MAX_ID_CHARS = 64
# Domain errors -> (HTTP status, error code, field it is about).
ERRORS: dict[type[Exception], tuple[int, str, str | None]] = {
    UnknownClient: (404, "unknown_client", "client_id"),
    UnknownService: (404, "unknown_service", "service_id"),
    UnknownLocation: (404, "unknown_location", "location_id"),
    UnknownNeed: (400, "unknown_need", "need"),
    service.NeedNotOffered: (422, "need_not_offered", "need"),
    service.UnknownReferral: (404, "unknown_referral", None),
    service.UnknownConsent: (404, "unknown_consent", None),
    service.ConsentNotPending: (409, "consent_not_pending", None),
    service.UnknownMessage: (422, "unknown_message", "message_sid"),
    service.MessageAlreadyUsed: (409, "message_already_used", "message_sid"),
    service.NotAnAnswer: (422, "not_an_answer", "message_sid"),
    service.NotAYes: (422, "not_a_yes", "message_sid"),
    service.NoActiveConsent: (409, "no_active_consent", None),
    service.ConcurrentChange: (409, "concurrent_change", None),
    lifecycle.InvalidTransition: (409, "invalid_transition", "to"),
    lifecycle.ReasonRequired: (422, "reason_required", "reason"),
    lifecycle.OutcomeRequired: (422, "outcome_required", "outcome"),
    lifecycle.TransitionError: (400, "invalid_field", None),
}
MESSAGES = {
    UnknownClient: "No client has this id.",
    UnknownService: "No open service has this id.",
    UnknownLocation: "This service is not offered at that location.",
}


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn the referral workflows' domain errors into JSON API errors."""
    try:
        yield
    except tuple(ERRORS) as e:
        kind = next(k for k in type(e).__mro__ if k in ERRORS)
        status, code, field = ERRORS[kind]
        extra: dict[str, object] = {}
        if isinstance(e, lifecycle.TransitionError):
            field = e.field
        if field is not None:
            extra["field"] = field
        if isinstance(e, service.ConsentNotPending):
            extra["consent_status"] = e.status
        if isinstance(e, lifecycle.InvalidTransition):
            extra["from"] = e.current
            extra["allowed"] = sorted(lifecycle.TRANSITIONS[e.current])
        message = MESSAGES.get(kind) or str(e)
        if isinstance(e, UnknownNeed):
            message = f"Unknown need: {e}."
        raise ApiError(status, code, message, **extra) from None


def path_id(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise ApiError(404, f"unknown_{name.removesuffix('_id')}", f"No {name} {raw!r}.")
    return int(raw)


def text_field(body: dict[str, object], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value.strip()) <= MAX_ID_CHARS:
        raise ApiError(400, "invalid_field", f"{name} is required (short text).", field=name)
    return value.strip()


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
    with domain_errors():
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
    with domain_errors():
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
    with domain_errors():
        record = await request.app[REFERRALS].get(referral_id)
    return web.json_response(detail_dict(record))


@routes.post("/api/referrals/{referral_id}/status")
async def change_status(request: web.Request) -> web.Response:
    referral_id = path_id(request, "referral_id")
    body = await json_object(request)
    actor = actor_field(body, "actor")
    with domain_errors():
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
    with domain_errors():
        bundle = await request.app[REFERRALS].fhir_bundle(referral_id)
    log_event(logger, "referral_exported", referral_id=referral_id)
    return web.json_response(bundle, content_type="application/fhir+json")
