"""The repository that checks, records and lists engagement signals (the types and their
values: taxonomy.py).

A signal's `value` is a code, a number or a short label (a mood 1-5, a service code, a barrier
like "rides"), never the text of her message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import EngagementSignal
from services.engagement.taxonomy import SIGNAL_TYPES, check_value

SOURCES: frozenset[str] = frozenset({"bot", "staff", "gateway"})
MAX_VALUE_CHARS = 200
MAX_SID_CHARS = 64


class InvalidSignal(ValueError):
    """A signal that cannot be recorded as given; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewSignal:
    type: str
    value: str | None = None
    source: str = "bot"
    message_sid: str | None = None
    words: str | None = None  # provider_rating from staff only; encrypted at rest


def validate_signal(
    signal_type: object, value: object = None, source: object = None, message_sid: object = None
) -> NewSignal:
    """Check a signal as it arrives in JSON; numbers and booleans become their text."""
    if not isinstance(signal_type, str) or signal_type not in SIGNAL_TYPES:
        raise InvalidSignal("type", f"type must be one of: {', '.join(sorted(SIGNAL_TYPES))}.")
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, int | float):
        value = str(value)
    if value is not None:
        if not isinstance(value, str):
            raise InvalidSignal("value", "value must be a short text or a number.")
        value = value.strip() or None
        if value is not None and len(value) > MAX_VALUE_CHARS:
            raise InvalidSignal("value", f"value must be at most {MAX_VALUE_CHARS} characters.")
    value = check_value(signal_type, value)  # InvalidValue: the API's 422
    source = "bot" if source is None else source
    if not isinstance(source, str) or source not in SOURCES:
        raise InvalidSignal("source", f"source must be one of: {', '.join(sorted(SOURCES))}.")
    if message_sid is not None and (
        not isinstance(message_sid, str) or not 0 < len(message_sid) <= MAX_SID_CHARS
    ):
        raise InvalidSignal("message_sid", "message_sid must be a Twilio MessageSid.")
    return NewSignal(type=signal_type, value=value, source=source, message_sid=message_sid)


async def record_signal(
    session: AsyncSession, client_id: str, signal: NewSignal
) -> EngagementSignal:
    """Add the signal to the session (the caller owns the transaction) and flush for its id.
    Signals Tandem writes itself are held to the same taxonomy as those posted to the API."""
    check_value(signal.type, signal.value)
    row = EngagementSignal(
        client_id=client_id,
        type=signal.type,
        value=signal.value,
        source=signal.source,
        message_sid=signal.message_sid,
        words=signal.words,
    )
    session.add(row)
    await session.flush()
    return row


async def same_signal(
    session: AsyncSession, client_id: str, signal: NewSignal
) -> EngagementSignal | None:
    """The signal of this type already recorded for the same message of hers: a retried post
    (the bot retries after a timeout that may have hidden a success) records nothing new."""
    if signal.message_sid is None:
        return None
    return await session.scalar(
        select(EngagementSignal)
        .where(
            EngagementSignal.client_id == client_id,
            EngagementSignal.type == signal.type,
            EngagementSignal.message_sid == signal.message_sid,
        )
        .limit(1)
    )


async def signals_for(
    session: AsyncSession,
    client_id: str,
    *,
    signal_type: str | None = None,
    limit: int = 50,
    since: datetime | None = None,
) -> list[EngagementSignal]:
    """Her signals, newest first."""
    query = select(EngagementSignal).where(EngagementSignal.client_id == client_id)
    if since is not None:
        query = query.where(EngagementSignal.created_at >= since)
    if signal_type is not None:
        query = query.where(EngagementSignal.type == signal_type)
    query = query.order_by(EngagementSignal.created_at.desc(), EngagementSignal.id.desc())
    return list(await session.scalars(query.limit(limit)))


def signal_dict(row: EngagementSignal) -> dict[str, object]:
    return {
        "id": row.id,
        "client_id": row.client_id,
        "type": row.type,
        "value": row.value,
        "source": row.source,
        "message_sid": row.message_sid,
        "created_at": row.created_at.isoformat(),
    }
