"""Replay messages the bot missed (it was down or slow), in order, each exactly once.

Before replaying, Rasa's tracker is asked whether the bot already saw the message (a slow turn
that finished after the gateway stopped waiting): then only the replies she never got are sent.
Replies go out as proactive SMS through the outbound sender (opt-out and quiet hours apply).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp

from services.gateway import message_log
from services.gateway.message_states import MessageState
from services.gateway.rasa_client import BotUnavailable
from services.logs import log_event
from services.metrics import REPLAYED

if TYPE_CHECKING:
    from services.gateway.inbound import Gateway

logger = logging.getLogger(__name__)


async def replies_already_given(gateway: Gateway, client_id: str, sid: str) -> list[str] | None:
    """The bot's replies to message `sid` if Rasa's tracker has it, else None."""
    settings = gateway.settings
    try:
        async with gateway.http.get(
            f"{settings.rasa_url.rstrip('/')}/conversations/{client_id}/tracker",
            params={"include_events": "ALL", "token": settings.rasa_token},
            timeout=aiohttp.ClientTimeout(total=settings.rasa_timeout_seconds),
        ) as response:
            if response.status != 200:
                raise BotUnavailable(f"tracker answered {response.status}")
            tracker = await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        raise BotUnavailable(type(error).__name__) from error
    replies: list[str] | None = None
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind == "user":
            if replies is not None:
                break  # the next message of hers: the turn we looked for is over
            if (event.get("metadata") or {}).get("message_sid") == sid:
                replies = []
        elif kind == "bot" and replies is not None and event.get("text"):
            replies.append(event["text"])
    return replies


async def replay_client(gateway: Gateway, client_id: str, *, locked: bool = False) -> bool:
    """Replay her pending messages in order; True when none is left waiting."""
    if not locked:
        async with gateway.lock_for(client_id):
            return await replay_client(gateway, client_id, locked=True)
    async with gateway.sessions() as session:
        pending = [
            (m.id, m.twilio_sid or "", m.body)
            for m in await message_log.pending_for(session, client_id)
        ]
    for message_id, sid, body in pending:
        async with gateway.sessions() as session, session.begin():
            if not await message_log.claim(
                session, message_id, MessageState.PENDING_REPLAY, MessageState.REPLAYING
            ):
                continue  # another worker has it
        try:
            replies = await replies_already_given(gateway, client_id, sid)
            if replies is None:
                replies = await gateway.ask_bot(client_id, body, sid)
        except BotUnavailable:
            async with gateway.sessions() as session, session.begin():
                await message_log.claim(
                    session, message_id, MessageState.REPLAYING, MessageState.PENDING_REPLAY
                )
            return False
        async with gateway.sessions() as session, session.begin():
            await message_log.claim(
                session, message_id, MessageState.REPLAYING, MessageState.REPLAYED
            )
        REPLAYED.inc()
        log_event(
            logger, "sms_replayed", client_id=client_id, message_sid=sid, replies=len(replies)
        )
        if gateway.deliver is not None and replies:
            await gateway.deliver(client_id, replies, message_id)
    return True


async def replay_all(gateway: Gateway) -> int:
    """One pass over every woman with waiting messages; returns how many were replayed."""
    async with gateway.sessions() as session:
        clients = list(dict.fromkeys(m.client_id for m in await message_log.pending_for(session)))
    done = 0
    for client_id in clients:
        if await replay_client(gateway, client_id):
            done += 1
    return done
