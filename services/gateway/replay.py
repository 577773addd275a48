"""Her conversation with the bot, kept in order: one message of hers at a time (a lock per
woman), and messages the bot missed (it was down or slow) replayed in order, each exactly once.

Before replaying, Rasa's tracker is asked whether the bot already saw the message (a slow turn
that finished after the gateway stopped waiting): then only the replies she never got are sent.
Replies go out as proactive SMS through `deliver` (the outbound sender: opt-out and quiet hours
apply). While every Rasa process hangs or is down (their breakers: rasa_pool.py) nothing is
replayed, and no message of hers waits on them. Her turns may land on different Rasa
processes; the lock keeps them one at a time, and the processes share her tracker.
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
from services.gateway.message_states import MessageState
from services.gateway.rasa_client import BotUnavailable
from services.gateway.rasa_pool import RasaPool
from services.logs import log_event
from services.metrics import REPLAYED

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 1600  # Twilio's limit for one message body

# Sends replies she did not get in the webhook response (replayed turns) as proactive SMS.
Deliver = Callable[[str, list[str], int], Awaitable[None]]


@dataclass
class Replayer:
    sessions: async_sessionmaker
    rasa: RasaPool
    judge: SafetyJudge
    deliver: Deliver | None = None
    _locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )

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
        self,
        client_id: str,
        text: str,
        sid: str,
        timeout_seconds: float | None = None,
        *,
        replay: bool = False,
    ) -> list[str]:
        """The bot's replies to one message of hers; BotUnavailable if it cannot answer (a
        time-out opens that Rasa process's breaker)."""
        return await self.rasa.send(
            client_id, self.for_bot(text), sid, timeout_seconds, replay=replay
        )

    async def replay_client(self, client_id: str, *, locked: bool = False) -> bool:
        """Replay her pending messages in order; True when none is left waiting."""
        if not locked:
            async with self.lock_for(client_id):
                return await self.replay_client(client_id, locked=True)
        if self.rasa.is_open:
            return False  # no Rasa answers: her messages wait, and so does nobody else
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
                    # Its first attempt may still be running in some Rasa process (it
                    # timed out here): the bot waits for it and answers its replies.
                    replies = await self.ask(client_id, body, sid, replay=True)
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
        if not await self.rasa.check():
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
