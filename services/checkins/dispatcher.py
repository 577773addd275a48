"""The check-in dispatcher: sends each due check-in once, whatever the number of services
processes.

Each round claims a batch of due rows (schedule.claim_due: SKIP LOCKED on PostgreSQL, one
conditional UPDATE on SQLite), then decides for each with what is true now: she opted out or
is do-not-contact (client_status.why_not_text), she paused check-ins or wants them only when
she texts, her cadence no longer has regular ones, the referral moved on (skipped); quiet
hours (deferred to their end, not dropped). What may go out goes through OutboundSender,
which marks the check-in sent in the same transaction that stores the message: a check-in is
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

from services.checkins import regular, schedule
from services.checkins.cadence import allows_check_ins, interval
from services.checkins.follow_ups import REFERRAL_WAITING
from services.checkins.texts import check_in_text
from services.clients.status import why_not_text
from services.db.base import utcnow
from services.db.tables import CheckIn, Client, Message, Referral
from services.gateway.message_states import MessageState
from services.gateway.outbound import OutboundSender
from services.logs import log_event
from services.settings import Settings

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# A claim this old was left by a process that stopped between claiming and sending.
STUCK_AFTER = timedelta(minutes=10)

# Tells the conversation what was asked: (client id, text, kind).
Announce = Callable[[str, str, str], Awaitable[None]]


@dataclass
class _Send:
    check_in: CheckIn
    client: Client
    text: str


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
            for send in sends:
                sent += await self._send(send, now)

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
        quiet_until = self._sender.quiet_until(now)
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
            if why is not None:
                self._end(session, check_in, client, schedule.SKIPPED, why, now)
            elif quiet_until is not None:
                check_in.state, check_in.due_at = schedule.PENDING, quiet_until
                check_in.reason, check_in.updated_at = "quiet_hours", now
            else:
                text = check_in_text(
                    check_in.kind, client.language, self._settings.tandem_program_name
                )
                sends.append(_Send(check_in, client, text))
        return sends

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

    async def _send(self, send: _Send, now: datetime) -> int:
        check_in, client = send.check_in, send.client

        def sent(session: AsyncSession, messages: list[Message]) -> None:
            self._end(session, check_in, client, schedule.SENT, None, now, messages[0])

        try:
            messages = await self._sender.send(
                client.id, send.text, reason="checkin_" + check_in.kind, also=sent
            )
        except Exception:  # noqa: BLE001 - nothing stored: retried after STUCK_AFTER
            log_event(
                logger, "checkin_send_failed", logging.ERROR, exc_info=True, check_in_id=check_in.id
            )
            return 0
        if messages[0].state == MessageState.REFUSED:  # her status changed since _decide
            async with self._sessions() as session, session.begin():
                self._end(session, check_in, client, schedule.SKIPPED, "refused", now)
            return 0
        if self._announce is not None:
            try:
                await self._announce(client.id, send.text, check_in.kind)
            except Exception:  # noqa: BLE001 - the text went out; the bot learns it next turn
                log_event(logger, "checkin_announce_failed", logging.WARNING, client_id=client.id)
        return 1
