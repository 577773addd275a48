"""The check-in dispatcher: sends each due check-in once, whatever the number of services
processes.

Each round claims a batch of due rows (schedule.claim_due: SKIP LOCKED on PostgreSQL, one
conditional UPDATE on SQLite), then decides for each with what is true now: she opted out or
is do-not-contact (client_status.why_not_text), she paused check-ins or wants them only when
she texts, her cadence no longer has regular ones, the referral moved on, a stage message was
switched off or her stage messages were stopped (skipped); quiet hours, the program's or her
own (deferred to their end, not dropped). A woman who asked for discreet texts gets the
discreet stand-in instead of the check-in's words. What may go out goes through OutboundSender's
send_many, a batch at a time, which marks each check-in sent in the transaction that stores
its message: a check-in is
"sent" exactly when its message exists, so a claim left by a stopped process can safely be
retried (schedule.release_stuck) and nothing goes out twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.checkins import regular, schedule, stage_library
from services.checkins.cadence import allows_check_ins, interval
from services.checkins.follow_ups import REFERRAL_WAITING
from services.checkins.texts import check_in_text, discreet_text
from services.clients.status import why_not_text
from services.db.base import utcnow
from services.db.tables import CheckIn, Client, Message, Referral, StageMessage
from services.gateway.message_states import MessageState
from services.gateway.outbound import OutboundSender, Outgoing
from services.gateway.rasa_client import RasaClient
from services.gateway.rasa_pool import RasaPool
from services.logs import log_event
from services.settings import Settings

logger = logging.getLogger(__name__)

# Check-ins per claim and per send_many. Small enough that a batch's Twilio calls (CONCURRENCY
# at a time, ~0.2 s each) end well within the 1.5 s that /sms/status waits for a sid it does
# not know yet; large enough that SQLite's commits (three per batch) are not the limit.
BATCH_SIZE = 50
# A claim this old was left by a process that stopped between claiming and sending.
STUCK_AFTER = timedelta(minutes=10)

# Tells the conversation what was asked: (client id, text sent, kind, discreet). Discreet: the
# text sent was the discreet stand-in, not the check-in's own words.
Announce = Callable[[str, str, str, bool], Awaitable[None]]


def telling_rasa(rasa: RasaClient | RasaPool) -> Announce:
    """Each sent check-in reaches her conversation as Rasa's external event EXTERNAL_check_in
    (its kind, and whether the discreet stand-in went out), so the bot reads her reply in
    context; Rasa sends nothing (the text already went out)."""

    async def announce(client_id: str, text: str, kind: str, discreet: bool) -> None:
        await rasa.trigger_check_in(client_id, kind, discreet)

    return announce


@dataclass
class _Send:
    check_in: CheckIn
    client: Client
    text: str
    discreet: bool = False


class CheckInDispatcher:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker,
        sender: OutboundSender,
        clock: Callable[[], datetime] = utcnow,
        announce: Announce | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._settings, self._sessions, self._sender = settings, sessions, sender
        self._clock, self._announce, self._batch_size = clock, announce, batch_size

    async def dispatch_due(self) -> int:
        """Send every check-in due now; returns how many reached the sender as texts."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            stuck = await schedule.release_stuck(session, now - STUCK_AFTER, now)
        if stuck:
            log_event(logger, "checkins_released", logging.WARNING, count=stuck)
        sent = 0
        while True:
            async with self._sessions() as session, session.begin():
                claimed = await schedule.claim_due(session, now, self._batch_size)
                if not claimed:
                    return sent
                sends = await self._decide(session, claimed, now)
            if sends:
                sent += await self._send(sends, now)

    async def _decide(self, session: AsyncSession, ids: list[int], now: datetime) -> list[_Send]:
        """Skip or defer what may not go out now (in this transaction); the rest to send."""
        rows = (
            await session.execute(
                select(CheckIn, Client)
                .join(Client, Client.id == CheckIn.client_id)
                .where(CheckIn.id.in_(ids))
                .order_by(CheckIn.due_at, CheckIn.id)
            )
        ).all()
        referral_ids = [
            int(c.payload["referral_id"]) for c, _ in rows if c.kind == "referral_follow_up"
        ]
        referral_status = dict(
            (
                await session.execute(
                    select(Referral.id, Referral.status).where(Referral.id.in_(referral_ids))
                )
            ).all()
        )
        stages = (
            await stage_library.library(session)
            if any(c.kind == stage_library.KIND for c, _ in rows)
            else {}
        )
        sends: list[_Send] = []
        for check_in, client in rows:
            why = why_not_text(client, answering_her=False)
            if why is None and not allows_check_ins(client.checkin_cadence):
                why = str(client.checkin_cadence)  # paused, when_i_text
            if why is None and check_in.kind == regular.KIND:
                why = None if interval(client.checkin_cadence) else "no_cadence"
            if why is None and check_in.kind == "referral_follow_up":
                status = referral_status.get(int(check_in.payload["referral_id"]))
                why = None if status in REFERRAL_WAITING else "referral_moved_on"
            stage = stages.get(str(check_in.payload.get("key")))
            if why is None and check_in.kind == stage_library.KIND:
                why = stage_library.skip_reason(stage, client)
            quiet_until = self._sender.quiet_until(now, client) if why is None else None
            if why is not None:
                self._end(session, check_in, client, schedule.SKIPPED, why, now)
            elif quiet_until is not None:
                check_in.state, check_in.due_at = schedule.PENDING, quiet_until
                check_in.reason, check_in.updated_at = "quiet_hours", now
            else:
                sends.append(
                    _Send(check_in, client, self._text(check_in, client, stage), client.discreet)
                )
        return sends

    def _text(self, check_in: CheckIn, client: Client, stage: StageMessage | None) -> str:
        """What she gets: the discreet stand-in if she asked for it, else the check-in's words
        (a stage message's as the library says now) in her language."""
        if client.discreet:
            return discreet_text(client.language, self._settings.tandem_discreet_name)
        program = self._settings.tandem_program_name
        if stage is not None and check_in.kind == stage_library.KIND:
            return stage_library.text_of(stage, client.language, program)
        return check_in_text(check_in.kind, client.language, program)

    @staticmethod
    def _end(
        session: AsyncSession,
        check_in: CheckIn,
        client: Client,
        state: str,
        reason: str | None,
        now: datetime,
        message: Message | None = None,
    ) -> None:
        """Finish a check-in; a regular one schedules the next from her cadence."""
        session.add(check_in)
        check_in.state, check_in.reason, check_in.updated_at = state, reason, now
        if message is not None:
            check_in.message_id = message.id
        if check_in.kind == regular.KIND:
            regular.next_after(session, client, now)
        log_event(
            logger,
            "checkin_" + state,
            client_id=client.id,
            check_in_id=check_in.id,
            kind=check_in.kind,
            reason=reason,
        )

    async def _send(self, sends: list[_Send], now: datetime) -> int:
        """One batch through the sender; each check-in is marked sent in the transaction that
        stores its message."""

        def sent(send: _Send) -> Callable[[AsyncSession, list[Message]], None]:
            return lambda session, messages: self._end(
                session, send.check_in, send.client, schedule.SENT, None, now, messages[0]
            )

        outgoing = [Outgoing(s.client.id, s.text, sent(s)) for s in sends]
        try:
            results = await self._sender.send_many(outgoing, reason="checkin")
        except Exception:  # noqa: BLE001 - nothing stored: retried after STUCK_AFTER
            log_event(logger, "checkin_send_failed", logging.ERROR, exc_info=True)
            return 0
        # Refused by the sender: her status changed since _decide.
        refused = [
            s
            for s, messages in zip(sends, results, strict=True)
            if messages[0].state == MessageState.REFUSED
        ]
        if refused:
            async with self._sessions() as session, session.begin():
                for send in refused:
                    self._end(session, send.check_in, send.client, schedule.SKIPPED, "refused", now)
        if self._announce is not None:
            await self._tell_the_bot([s for s in sends if s not in refused])
        return len(sends) - len(refused)

    async def _tell_the_bot(self, sends: list[_Send]) -> None:
        """Best effort, after the texts went out: when the bot is down or slow, the rest of the
        batch is not tried (each try could wait for its timeout); her next text still reaches
        the bot as usual."""
        assert self._announce is not None
        for told, send in enumerate(sends):
            try:
                await self._announce(send.client.id, send.text, send.check_in.kind, send.discreet)
            except Exception:  # noqa: BLE001 - never undo or delay what was sent
                log_event(
                    logger, "checkin_announce_failed", logging.WARNING, untold=len(sends) - told
                )
                return
