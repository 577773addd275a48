"""POST /sms/inbound: Twilio's inbound-message webhook.

Only the HTTP edge lives here: verify the request (forms.verify_twilio: the form,
X-Twilio-Signature against the public URL, the ids), hand the message to the gateway pipeline
(inbound.py), answer with TwiML. Nothing is stored for a request that fails any of these checks.
"""

from __future__ import annotations

import logging

from aiohttp import web

from services.app_keys import GATEWAY
from services.clients.phones import InvalidPhone
from services.gateway.forms import BadForm, message_sid, num_media, verify_twilio
from services.gateway.inbound import InboundSms
from services.gateway.twiml import messages_to_twiml
from services.logs import log_event
from services.metrics import INBOUND_REJECTED

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()


def twiml_response(texts: list[str]) -> web.Response:
    return web.Response(text=messages_to_twiml(texts), content_type="text/xml")


def reject(reason: str) -> None:
    INBOUND_REJECTED.labels(reason).inc()
    log_event(logger, "sms_inbound_rejected", logging.WARNING, reason=reason)


@routes.post("/sms/inbound")
async def inbound(request: web.Request) -> web.Response:
    try:
        params = await verify_twilio(request)
        sid, media = message_sid(params), num_media(params)
    except BadForm as error:
        reject(error.reason)
        raise error.http() from None
    sms = InboundSms(
        sid=sid,
        sender=params.get("From", ""),
        body=params.get("Body", "").replace("\x00", ""),
        num_media=media,
        opt_out_type=params.get("OptOutType") or None,
        idempotency_token=(request.headers.get("I-Twilio-Idempotency-Token") or "")[:128] or None,
    )
    try:
        replies = await request.app[GATEWAY].handle(sms)
    except InvalidPhone:
        reject("invalid_from")
        return twiml_response([])
    return twiml_response(replies)
