"""POST /sms/status: Twilio's status callback for messages Tandem sent.

Verified like the inbound webhook (forms.verify_twilio: the form, X-Twilio-Signature over
TANDEM_PUBLIC_URL + path + query, the MessageSid's format). The state only moves forward
(message_states.RANK): callbacks arrive out of order and a late "sent" never undoes
"delivered". ErrorCode 21610 means she unsubscribed: the client is opted out, found by the `To`
number if the message itself is unknown.
Valid requests always get 200 with an empty body, since Twilio retries on errors.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.app_keys import PHONES, SESSIONS
from services.clients import status as client_status
from services.clients.lookup import client_id_by_phone
from services.clients.phones import InvalidPhone
from services.clients.status import OPTED_OUT_BY_TWILIO
from services.db.base import utcnow
from services.db.tables import Message
from services.gateway import forms
from services.gateway.forms import BadForm, verify_twilio
from services.gateway.message_states import RANK, states_advancing_to
from services.gateway.twilio_client import UNSUBSCRIBED
from services.logs import log_event

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

RECHECK_DELAYS = (0.1, 0.2, 0.4, 0.8)


def _error_code(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


async def _find_outbound(
    sessions: async_sessionmaker, message_sid: str
) -> tuple[int, str, str] | None:
    """(id, client id, state) of the outbound message with this sid. The callback can beat
    the sender's write of the sid (Twilio answers the create call, then calls back at once),
    so an unknown sid is looked up again for up to about 1.5 s."""
    for wait in (0.0, *RECHECK_DELAYS):
        await asyncio.sleep(wait)
        async with sessions() as session:
            found = (
                await session.execute(
                    select(Message.id, Message.client_id, Message.state).where(
                        Message.twilio_sid == message_sid, Message.direction == "outbound"
                    )
                )
            ).first()
        if found is not None:
            return found[0], found[1], found[2]
    return None


async def _opt_out_by_phone(app: web.Application, raw_phone: str, message_sid: str) -> None:
    async with app[SESSIONS]() as session, session.begin():
        try:
            client_id = await client_id_by_phone(session, app[PHONES], raw_phone)
        except InvalidPhone:
            return
        if client_id:
            await client_status.opt_out(
                session, client_id, by=OPTED_OUT_BY_TWILIO, now=utcnow(), message_sid=message_sid
            )


@routes.post("/sms/status")
async def status_callback(request: web.Request) -> web.Response:
    try:
        params = await verify_twilio(request)
    except BadForm as error:
        log_event(logger, "sms_status_rejected", logging.WARNING, reason=error.reason)
        raise error.http() from None
    message_sid = forms.message_sid(params)

    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    error_code = _error_code(params.get("ErrorCode"))
    sessions = request.app[SESSIONS]
    found = await _find_outbound(sessions, message_sid)
    if found is None:
        log_event(logger, "sms_status_unknown_message", message_sid=message_sid, status=status)
        if error_code == UNSUBSCRIBED:
            # Her opt-out must never be lost, even for a message we cannot match.
            await _opt_out_by_phone(request.app, params.get("To", ""), message_sid)
        return web.Response(status=200)
    async with sessions() as session, session.begin():
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
        if error_code == UNSUBSCRIBED:
            await client_status.opt_out(
                session, client_id, by=OPTED_OUT_BY_TWILIO, now=utcnow(), message_sid=message_sid
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
    return web.Response(status=200)
