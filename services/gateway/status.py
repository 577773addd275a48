"""POST /sms/status: Twilio's status callback for messages Tandem sent.

Validated like the inbound webhook (X-Twilio-Signature over TANDEM_PUBLIC_URL + path + query).
The state only moves forward (outbound.RANK): callbacks arrive out of order and a late "sent"
never undoes "delivered". ErrorCode 21610 means she unsubscribed: the client is opted out.
Valid requests always get 200 with an empty body, since Twilio retries on errors.
"""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import select, update

from services.app_keys import SESSIONS, SETTINGS
from services.db.base import utcnow
from services.db.models import Message
from services.gateway.outbound import (
    OPTED_OUT_BY_TWILIO,
    RANK,
    UNSUBSCRIBED,
    mark_opted_out,
    states_advancing_to,
)
from services.gateway.signature import is_valid_signature, signed_url
from services.logs import log_event

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()


def _error_code(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@routes.post("/sms/status")
async def status_callback(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    form = await request.post()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    url = signed_url(settings.public_url, request.path_qs)
    if not is_valid_signature(
        settings.twilio_auth_token, url, params, request.headers.get("X-Twilio-Signature")
    ):
        log_event(logger, "sms_status_rejected", logging.WARNING, reason="bad_signature")
        raise web.HTTPForbidden(text="invalid signature")

    message_sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    error_code = _error_code(params.get("ErrorCode"))
    async with request.app[SESSIONS]() as session, session.begin():
        found = (
            await session.execute(
                select(Message.id, Message.client_id, Message.state).where(
                    Message.twilio_sid == message_sid, Message.direction == "outbound"
                )
            )
        ).first()
        if not message_sid or found is None:
            log_event(logger, "sms_status_unknown_message", message_sid=message_sid, status=status)
            return web.Response(status=200)
        message_id, client_id, previous = found
        advanced = False
        if status in RANK:
            values: dict[str, object] = {"state": status}
            if error_code is not None:
                values["error_code"] = error_code
            # Conditional on the current state, so concurrent callbacks cannot move it back.
            result = await session.execute(
                update(Message)
                .where(Message.id == message_id, Message.state.in_(states_advancing_to(status)))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            advanced = bool(result.rowcount)  # type: ignore[attr-defined]
        opted_out = error_code == UNSUBSCRIBED and await mark_opted_out(
            session, client_id, utcnow(), OPTED_OUT_BY_TWILIO
        )
    log_event(
        logger,
        "sms_status",
        client_id=client_id,
        message_id=message_id,
        message_sid=message_sid,
        status=status,
        previous=previous,
        advanced=advanced,
        error_code=error_code,
    )
    if opted_out:
        log_event(logger, "client_opt_out", client_id=client_id, by=OPTED_OUT_BY_TWILIO)
    return web.Response(status=200)
