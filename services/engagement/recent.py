"""The facts the engagement summary reads (summary.Facts), from the database: her signals and
referrals in the window, and the messages Tandem started (not replies to hers) that reached
Twilio. Loads many women at once for the queue and the research export."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import EngagementSignal, Message, Referral
from services.directory.taxonomy import load_taxonomy
from services.engagement.summary import (
    WINDOW_DAYS,
    Facts,
    ReferralFact,
    SignalFact,
    Summary,
    summarise,
)

# Outbound states of a message that left Tandem (a scheduled, refused or failed one did not).
REACHED_TWILIO = ("accepted", "queued", "sending", "sent", "delivered", "undelivered", "read")


def need_groups() -> dict[str, tuple[str, ...]]:
    return {key: codes for key, (_, codes) in load_taxonomy().groups.items()}


async def facts_for(
    session: AsyncSession, client_ids: list[str], since: datetime, until: datetime | None = None
) -> dict[str, Facts]:
    """Each woman's facts from `since` (to `until`, if given)."""
    signals: dict[str, list[SignalFact]] = defaultdict(list)
    referrals: dict[str, list[ReferralFact]] = defaultdict(list)
    proactive: dict[str, list[datetime]] = defaultdict(list)
    for chunk in _chunks(client_ids):
        query = select(
            EngagementSignal.client_id,
            EngagementSignal.type,
            EngagementSignal.value,
            EngagementSignal.created_at,
            EngagementSignal.source,
        ).where(EngagementSignal.client_id.in_(chunk), EngagementSignal.created_at >= since)
        if until is not None:
            query = query.where(EngagementSignal.created_at < until)
        for client_id, type_, value, at, source in await session.execute(query):
            signals[client_id].append(SignalFact(type_, value, at, source))

        refs = select(
            Referral.client_id,
            Referral.need,
            Referral.status,
            Referral.outcome,
            Referral.created_at,
        ).where(Referral.client_id.in_(chunk), Referral.created_at >= since)
        if until is not None:
            refs = refs.where(Referral.created_at < until)
        for client_id, need, status, outcome, at in await session.execute(refs):
            referrals[client_id].append(ReferralFact(need, status, outcome, at))

        sends = select(Message.client_id, Message.created_at).where(
            Message.client_id.in_(chunk),
            Message.direction == "outbound",
            Message.in_reply_to_id.is_(None),
            Message.state.in_(REACHED_TWILIO),
            Message.created_at >= since,
        )
        if until is not None:
            sends = sends.where(Message.created_at < until)
        for client_id, at in await session.execute(sends):
            proactive[client_id].append(at)
    groups = need_groups()
    return {
        client_id: Facts(signals[client_id], referrals[client_id], proactive[client_id], groups)
        for client_id in client_ids
    }


async def summaries(
    session: AsyncSession, client_ids: list[str], now: datetime
) -> dict[str, Summary]:
    facts = await facts_for(session, client_ids, now - timedelta(days=WINDOW_DAYS))
    return {client_id: summarise(f, now) for client_id, f in facts.items()}


async def summary_of(session: AsyncSession, client_id: str, now: datetime) -> Summary:
    return (await summaries(session, [client_id], now))[client_id]


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
