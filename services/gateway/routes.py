"""POST /sms/inbound: Twilio's inbound-message webhook.

verify signature -> find or create the client by phone -> pass the text to Rasa as the client's
pseudonymous id -> reply with TwiML. If the bot fails, answer from the crisis lexicon or with
a holding message. Logs carry ids only, never the phone or the text.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web

from services.app_keys import HTTP, LEXICON, PHONES, RESPONSES, SESSIONS, SETTINGS
from services.db.base import utcnow
from services.gateway.clients import InvalidPhone, find_or_create_client
from services.gateway.fallback import fallback_replies
from services.gateway.rasa_client import BotUnavailable, send_to_bot
from services.gateway.signature import is_valid_signature, signed_url
from services.gateway.twiml import messages_to_twiml
from services.logs import log_event

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

# Twilio's limit for one message body; anything longer is not a real SMS.
MAX_BODY_CHARS = 1600


def twiml_response(texts: list[str]) -> web.Response:
    return web.Response(text=messages_to_twiml(texts), content_type="text/xml")


@routes.post("/sms/inbound")
async def inbound(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    form = await request.post()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    url = signed_url(settings.public_url, request.path_qs)
    if not is_valid_signature(
        settings.twilio_auth_token, url, params, request.headers.get("X-Twilio-Signature")
    ):
        log_event(logger, "sms_inbound_rejected", logging.WARNING, reason="bad_signature")
        raise web.HTTPForbidden(text="invalid signature")

    message_sid = params.get("MessageSid", "")
    text = params.get("Body", "").strip()[:MAX_BODY_CHARS]
    async with request.app[SESSIONS]() as session, session.begin():
        try:
            client = await find_or_create_client(
                session, request.app[PHONES], params.get("From", "")
            )
        except InvalidPhone:
            log_event(
                logger, "sms_inbound_rejected", reason="invalid_from", message_sid=message_sid
            )
            return twiml_response([])
        client.last_inbound_at = utcnow()
        client_id = client.id
    if not text:
        return twiml_response([])

    started = time.monotonic()
    try:
        replies = await send_to_bot(
            request.app[HTTP],
            settings.rasa_url,
            settings.rasa_token,
            sender=client_id,
            text=text,
            metadata={"message_sid": message_sid},
            timeout_seconds=settings.rasa_timeout_seconds,
        )
        outcome = "bot"
        if not replies:
            # A turn that produced nothing (e.g. the action server is down): never leave her
            # with silence.
            raise BotUnavailable("the bot answered with no messages")
    except BotUnavailable as error:
        outcome, replies = fallback_replies(text, request.app[LEXICON], request.app[RESPONSES])
        log_event(logger, "bot_unavailable", logging.WARNING, error=str(error), client_id=client_id)
    log_event(
        logger,
        "sms_inbound_answered",
        client_id=client_id,
        message_sid=message_sid,
        outcome=outcome,
        replies=len(replies),
        ms=round((time.monotonic() - started) * 1000),
    )
    return twiml_response(replies)
