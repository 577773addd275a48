"""The de-identified research export: one row per woman per week, so a program can test
whether collaborative engagement keeps women in care (`tandem export-research PATH`).

What makes it de-identified:
- her id is replaced by a research id, an HMAC of her client id under the research key
  (TANDEM_RESEARCH_KEY): stable across exports made with the same key, and not linkable to
  her record by anyone who does not hold it;
- only counts and codes: no phone, no name, no message text, no signal values or staff words;
- no date finer than the ISO week (Monday to Sunday, UTC), and rows sorted by research id
  then week, so their order says nothing about when she first texted.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import Client
from services.engagement.recent import facts_for
from services.engagement.summary import Facts, merge_parts, summarise
from services.engagement.taxonomy import TYPES

# A reply to a message Tandem started: she texts within this long after it.
REPLY_WITHIN = timedelta(days=7)
SIGNAL_COLUMNS = [f"n_{code}" for code in TYPES]
COLUMNS = [
    "research_id",
    "week",  # ISO week, e.g. 2026-W49
    "week_number",  # 1 for her first week with Tandem
    *SIGNAL_COLUMNS,
    "messages_from_tandem",  # messages Tandem started (check-ins, staff texts)
    "replies",  # of those, how many she answered within REPLY_WITHIN
    "referrals_made",
    "referrals_completed",
    "continuum",  # at the end of the week: not_engaged, connecting, cooperative, collaborative
    "flagged",  # 1 if flagged for outreach at the end of the week
]
EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday, before any of Tandem's data


def research_id(key: str, client_id: str) -> str:
    return hmac.new(key.encode(), client_id.encode(), hashlib.sha256).hexdigest()[:20]


def week_start(at: datetime) -> datetime:
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def week_rows(rid: str, facts: Facts, now: datetime) -> list[dict[str, object]]:
    """Her rows: each week from her first signal or referral to the week of `now`."""
    starts = [s.at for s in facts.signals] + [r.created_at for r in facts.referrals]
    if not starts:
        return []
    first = week_start(min(starts))
    rows = []
    week = first
    while week <= now:
        end = week + timedelta(days=7)
        rows.append(_row(rid, facts, week, min(end, now), (week - first).days // 7 + 1))
        week = end
    return rows


def _row(rid: str, facts: Facts, start: datetime, end: datetime, number: int) -> dict[str, object]:
    def within(at: datetime) -> bool:
        return start <= at < end

    signals = [s for s in facts.signals if within(s.at)]
    texts = sorted(s.at for s in facts.signals if s.type == "message_in")
    sent = merge_parts([t for t in facts.proactive if within(t)])
    summary = summarise(facts, end - timedelta(microseconds=1))
    iso = start.isocalendar()
    return {
        "research_id": rid,
        "week": f"{iso.year}-W{iso.week:02d}",
        "week_number": number,
        **{f"n_{code}": sum(1 for s in signals if s.type == code) for code in TYPES},
        "messages_from_tandem": len(sent),
        "replies": sum(1 for t in sent if any(t < x <= t + REPLY_WITHIN for x in texts)),
        "referrals_made": sum(1 for r in facts.referrals if within(r.created_at)),
        "referrals_completed": sum(1 for s in signals if s.type == "referral_completed"),
        "continuum": summary.level,
        "flagged": int(summary.flagged),
    }


async def research_rows(session: AsyncSession, key: str, now: datetime) -> list[dict[str, object]]:
    """Every woman's weeks (a woman who had Tandem forget her has none)."""
    ids = list(await session.scalars(select(Client.id).where(Client.status != "forgotten")))
    facts = await facts_for(session, ids, EPOCH, until=now)
    rows = [row for cid in ids for row in week_rows(research_id(key, cid), facts[cid], now)]
    return sorted(rows, key=lambda r: (str(r["research_id"]), str(r["week"])))
