"""The message log: every SMS in and out, for idempotency, replay and the case manager's
timeline. Repository functions take a session and never commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.base import utcnow
from services.db.tables import Message
from services.gateway.message_states import MessageState
from sms_text.segments import count_segments


async def find_by_sid(session: AsyncSession, sid: str) -> Message | None:
    return await session.scalar(select(Message).where(Message.twilio_sid == sid))


async def replies_to(session: AsyncSession, message_id: int) -> list[str]:
    rows = await session.scalars(
        select(Message.body)
        .where(Message.in_reply_to_id == message_id, Message.state == MessageState.TWIML)
        .order_by(Message.id)
    )
    return list(rows)


async def last_reply_text(session: AsyncSession, client_id: str) -> str | None:
    """The last text Tandem sent her (a reply or a proactive message), or None."""
    return await session.scalar(
        select(Message.body)
        .where(Message.client_id == client_id, Message.direction == "outbound")
        .order_by(Message.id.desc())
        .limit(1)
    )


def record_replies(
    session: AsyncSession, client_id: str, inbound_id: int, texts: list[str]
) -> None:
    """Replies sent in the TwiML response to her message `inbound_id`."""
    session.add_all(
        Message(
            client_id=client_id,
            direction="outbound",
            body=text,
            segments=count_segments(text),
            state=MessageState.TWIML,
            in_reply_to_id=inbound_id,
        )
        for text in texts
    )


async def recent_inbound(
    session: AsyncSession, client_id: str, since: datetime, *, exclude_id: int
) -> list[str]:
    """States of her inbound messages since `since`, oldest first (for the flood guard)."""
    rows = await session.scalars(
        select(Message.state)
        .where(
            Message.client_id == client_id,
            Message.direction == "inbound",
            Message.created_at >= since,
            Message.id != exclude_id,
        )
        .order_by(Message.id)
    )
    return list(rows)


async def pending_for(session: AsyncSession, client_id: str | None = None) -> list[Message]:
    """Inbound messages waiting for the bot, oldest first."""
    query = select(Message).where(
        Message.direction == "inbound", Message.state == MessageState.PENDING_REPLAY
    )
    if client_id is not None:
        query = query.where(Message.client_id == client_id)
    return list(await session.scalars(query.order_by(Message.created_at, Message.id)))


async def settle(session: AsyncSession, message_id: int, state: MessageState) -> None:
    """Set an inbound message's final state, without reading it first."""
    await session.execute(update(Message).where(Message.id == message_id).values(state=state))


async def claim(
    session: AsyncSession, message_id: int, from_state: MessageState, to_state: MessageState
) -> bool:
    """Move a message between states only if no one else did first (exactly-once work)."""
    result = await session.execute(
        update(Message)
        .where(Message.id == message_id, Message.state == from_state)
        .values(state=to_state, updated_at=utcnow())
    )
    return result.rowcount == 1


async def fail_stuck_sending(session: AsyncSession, before: datetime) -> int:
    """Outbound messages left in "sending" with no Twilio sid since `before`: the process
    died around the Twilio call. They become "failed" rather than being retried, because
    Twilio may have sent them and a woman must never get a text twice."""
    result = await session.execute(
        update(Message)
        .where(
            Message.direction == "outbound",
            Message.state == MessageState.SENDING,
            Message.twilio_sid.is_(None),
            Message.updated_at < before,
        )
        .values(state=MessageState.FAILED, updated_at=utcnow())
    )
    return result.rowcount or 0


async def purge_older_than(session: AsyncSession, days: int) -> int:
    """Delete messages older than the retention period; returns how many."""
    cutoff = utcnow() - timedelta(days=days)
    # Replies first: they point at the inbound message they answer.
    old = select(Message.id).where(Message.created_at < cutoff)
    await session.execute(
        update(Message).where(Message.in_reply_to_id.in_(old)).values(in_reply_to_id=None)
    )
    result = await session.execute(delete(Message).where(Message.created_at < cutoff))
    return result.rowcount or 0


async def count_messages(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Message)) or 0)
