"""The facts the engagement summary reads (summary.Facts), from the database: her signals and
referrals in the window, and the messages Tandem started (not replies to hers) that reached
Twilio. Loads many women at once for the queue and the research export."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import EngagementSignal, Message, Referral, ReferralStatusChange
from services.directory.taxonomy import load_taxonomy
from services.engagement.summary import (
    WINDOW_DAYS,
    Facts,
    ReferralFact,
    SignalFact,
    Summary,
    summarise,
)

# Referral statuses that mean she consented and it went ahead.
TAKEN_UP = frozenset({"requested", "accepted", "in-progress", "on-hold", "completed"})
# Outbound states of a message that left Tandem (a scheduled, refused or failed one did not).
REACHED_TWILIO = ("accepted", "queued", "sending", "sent", "delivered", "undelivered", "read")


def need_words() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """The service taxonomy's groups (key -> codes) and each code's and group's words."""
    taxonomy = load_taxonomy()
    groups = {key: codes for key, (_, codes) in taxonomy.groups.items()}
    labels = {**taxonomy.labels, **{key: label for key, (label, _) in taxonomy.groups.items()}}
    return groups, labels


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

        # Every referral of hers (a few each): one made before the window may have helped
        # her within it. When each went ahead and when it helped, from its status history.
        refs = select(Referral.id, Referral.client_id, Referral.need, Referral.created_at).where(
            Referral.client_id.in_(chunk)
        )
        if until is not None:
            refs = refs.where(Referral.created_at < until)
        found = (await session.execute(refs)).all()
        taken_up, helped = await _milestones(session, [ref_id for ref_id, *_ in found])
        for ref_id, client_id, need, at in found:
            fact = ReferralFact(need, at, taken_up.get(ref_id), helped.get(ref_id))
            referrals[client_id].append(fact)

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
    groups, labels = need_words()
    return {
        client_id: Facts(
            signals[client_id], referrals[client_id], proactive[client_id], groups, labels
        )
        for client_id in client_ids
    }


async def summaries(
    session: AsyncSession, client_ids: list[str], now: datetime
) -> dict[str, Summary]:
    facts = await facts_for(session, client_ids, now - timedelta(days=WINDOW_DAYS))
    return {client_id: summarise(f, now) for client_id, f in facts.items()}


async def summary_of(session: AsyncSession, client_id: str, now: datetime) -> Summary:
    return (await summaries(session, [client_id], now))[client_id]


async def _milestones(
    session: AsyncSession, referral_ids: list[int]
) -> tuple[dict[int, datetime], dict[int, datetime]]:
    """For each referral, when it first went ahead with her consent, and when it was
    completed with "got help"."""
    taken_up: dict[int, datetime] = {}
    helped: dict[int, datetime] = {}
    for chunk in _chunks(referral_ids):
        changes = await session.execute(
            select(
                ReferralStatusChange.referral_id,
                ReferralStatusChange.to_status,
                ReferralStatusChange.outcome,
                ReferralStatusChange.created_at,
            )
            .where(ReferralStatusChange.referral_id.in_(chunk))
            .order_by(ReferralStatusChange.created_at)
        )
        for referral_id, to_status, outcome, at in changes:
            if to_status in TAKEN_UP:
                taken_up.setdefault(referral_id, at)
            if to_status == "completed" and outcome == "got_help":
                helped.setdefault(referral_id, at)
    return taken_up, helped


def _chunks(ids: list[Any], size: int = 500) -> list[list[Any]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
