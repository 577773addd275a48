"""The check_ins repository: add, cancel, claim. Functions take a session and never commit.

A check-in moves pending -> sending (claimed by one dispatcher) -> sent (in the same
transaction that stores its message, services/checkins/dispatcher.py), or back to pending
(quiet hours: deferred, not dropped), or ends as skipped (she may not or does not want to get
it now) or cancelled (a reported loss, a new cadence).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import CheckIn

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
SKIPPED = "skipped"
CANCELLED = "cancelled"
FAILED = "failed"
# Claims a check-in may have before it is given up as failed (schedule.release_stuck).
MAX_ATTEMPTS = 3


def add(
    session: AsyncSession,
    client_id: str,
    kind: str,
    due_at: datetime,
    now: datetime,
    payload: dict[str, int | str] | None = None,
) -> CheckIn:
    row = CheckIn(
        client_id=client_id,
        kind=kind,
        due_at=due_at,
        state=PENDING,
        payload=payload or {},
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return row


async def has_pending(session: AsyncSession, client_id: str, kind: str) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    CheckIn.client_id == client_id, CheckIn.kind == kind, CheckIn.state == PENDING
                )
            )
        )
    )


async def cancel_pending(
    session: AsyncSession,
    client_id: str,
    reason: str,
    now: datetime,
    kinds: tuple[str, ...] | None = None,
) -> int:
    """Cancel her pending check-ins (of `kinds`, or all); a claimed one is already going."""
    query = update(CheckIn).where(CheckIn.client_id == client_id, CheckIn.state == PENDING)
    if kinds is not None:
        query = query.where(CheckIn.kind.in_(kinds))
    result = await session.execute(
        query.values(state=CANCELLED, reason=reason, updated_at=now).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[int]:
    """Claim up to `limit` due check-ins for this dispatcher, oldest first, in one statement.

    On PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so dispatchers in other
    processes take other rows instead of waiting; on SQLite the single conditional UPDATE runs
    under the database's write lock. Either way a row moves from pending once."""
    due = (
        select(CheckIn.id)
        .where(CheckIn.state == PENDING, CheckIn.due_at <= now)
        .order_by(CheckIn.due_at, CheckIn.id)
        .limit(limit)
    )
    if (await session.connection()).dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    result = await session.execute(
        # No second "state = pending" here: the subquery already re-checks it on the row it
        # locks (PostgreSQL) or under the write lock (SQLite), and SQLite would then look the
        # rows up by state, all of them, instead of by id.
        update(CheckIn)
        .where(CheckIn.id.in_(due.scalar_subquery()))
        .values(state=SENDING, claimed_at=now, attempts=CheckIn.attempts + 1, updated_at=now)
        .returning(CheckIn.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


async def release_stuck(session: AsyncSession, before: datetime, now: datetime) -> int:
    """Claims older than `before` whose dispatcher stopped before storing a message: back to
    pending, or failed after MAX_ATTEMPTS (something in the row itself stops every try).
    Safe, because a check-in becomes "sent" in the transaction that stores its message: one
    still "sending" never reached the sender."""
    stuck = (CheckIn.state == SENDING, CheckIn.claimed_at < before)
    await session.execute(
        update(CheckIn)
        .where(*stuck, CheckIn.attempts >= MAX_ATTEMPTS)
        .values(state=FAILED, reason="stuck", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(CheckIn)
        .where(*stuck)
        .values(state=PENDING, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def pending_for(session: AsyncSession, client_id: str) -> list[CheckIn]:
    """Her scheduled check-ins, soonest first."""
    rows = await session.scalars(
        select(CheckIn)
        .where(CheckIn.client_id == client_id, CheckIn.state.in_((PENDING, SENDING)))
        .order_by(CheckIn.due_at, CheckIn.id)
    )
    return list(rows)
