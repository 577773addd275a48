"""Her conversation with the bot, kept in order: one message of hers at a time (a lock per
woman), and messages the bot missed (it was down or slow) replayed in order, each exactly once.

Before replaying, Rasa's tracker is asked whether the bot already saw the message (a slow turn
that finished after the gateway stopped waiting): then only the replies she never got are sent.
Replies go out as proactive SMS through `deliver` (the outbound sender: opt-out and quiet hours
apply). While Rasa hangs (``breaker``: services/gateway/breaker.py) nothing is replayed, and no
message of hers waits on it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import async_sessionmaker

from safety.judge import ASK, CRISIS, SafetyJudge
from services.gateway import message_log
from services.gateway.breaker import Breaker
from services.gateway.message_states import MessageState
from services.gateway.rasa_client import BotTimedOut, BotUnavailable, RasaClient
from services.logs import log_event
from services.metrics import REPLAYED

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 1600  # Twilio's limit for one message body

# Sends replies she did not get in the webhook response (replayed turns) as proactive SMS.
Deliver = Callable[[str, list[str], int], Awaitable[None]]


@dataclass
class Replayer:
    sessions: async_sessionmaker
    rasa: RasaClient
    judge: SafetyJudge
    deliver: Deliver | None = None
    breaker: Breaker = field(init=False)
    _locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )

    def __post_init__(self) -> None:
        self.breaker = Breaker(probe=self.rasa.healthy)

    def lock_for(self, client_id: str) -> asyncio.Lock:
        """Held while one message of hers is with the bot, so her turns never interleave."""
        lock = self._locks.get(client_id)
        if lock is None:
            lock = self._locks[client_id] = asyncio.Lock()
        return lock

    def for_bot(self, text: str) -> str:
        """What the bot reads of her message: all of it, or of one longer than Twilio ever
        sends, the stretch the crisis judgement flags (else its start), so a crisis is seen
        and a huge text cannot stall her conversation."""
        if len(text) <= MAX_BODY_CHARS:
            return text
        step = MAX_BODY_CHARS // 2
        for start in range(0, len(text), step):
            part = text[start : start + MAX_BODY_CHARS]
            if self.judge.judge(part).level in (CRISIS, ASK):
                return part
        return text[:MAX_BODY_CHARS]

    async def ask(
        self, client_id: str, text: str, sid: str, timeout_seconds: float | None = None
    ) -> list[str]:
        """The bot's replies to one message of hers; BotUnavailable if it cannot answer. A
        full time-out opens the breaker; a crisis's shorter wait running out has it probe Rasa
        (slow is not hung: then her next messages still reach it)."""
        try:
            return await self.rasa.send(client_id, self.for_bot(text), sid, timeout_seconds)
        except BotTimedOut:
            if timeout_seconds is None or timeout_seconds >= self.rasa.timeout_seconds:
                self.breaker.trip()
            else:
                self.breaker.suspect()
            raise

    async def replay_client(self, client_id: str, *, locked: bool = False) -> bool:
        """Replay her pending messages in order; True when none is left waiting."""
        if not locked:
            async with self.lock_for(client_id):
                return await self.replay_client(client_id, locked=True)
        if self.breaker.is_open:
            return False  # Rasa hangs: her messages wait, and so does nobody else
        async with self.sessions() as session:
            pending = [
                (m.id, m.twilio_sid or "", m.body)
                for m in await message_log.pending_for(session, client_id)
            ]
        for message_id, sid, body in pending:
            if not await self._move(
                message_id, MessageState.PENDING_REPLAY, MessageState.REPLAYING
            ):
                continue  # another worker has it
            try:
                replies = await self.rasa.replies_to(client_id, sid)
                if replies is None:
                    replies = await self.ask(client_id, body, sid)
            except BotUnavailable:
                await self._move(message_id, MessageState.REPLAYING, MessageState.PENDING_REPLAY)
                return False
            await self._move(message_id, MessageState.REPLAYING, MessageState.REPLAYED)
            REPLAYED.inc()
            log_event(
                logger, "sms_replayed", client_id=client_id, message_sid=sid, replies=len(replies)
            )
            if self.deliver is not None and replies:
                await self.deliver(client_id, replies, message_id)
        return True

    async def replay_all(self) -> int:
        """One pass over every woman with waiting messages; returns how many were replayed."""
        if not await self.breaker.check():
            return 0
        async with self.sessions() as session:
            pending = await message_log.pending_for(session)
        done = 0
        for client_id in dict.fromkeys(m.client_id for m in pending):
            if await self.replay_client(client_id):
                done += 1
        return done

    async def _move(self, message_id: int, from_state: MessageState, to: MessageState) -> bool:
        async with self.sessions() as session, session.begin():
            return await message_log.claim(session, message_id, from_state, to)
