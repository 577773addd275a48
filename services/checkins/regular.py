"""Her regular check-in: at most one pending at a time, due one cadence interval after the
last one (or after she chose the cadence). Runs in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.checkins import schedule
from services.checkins.cadence import interval
from services.db.tables import CheckIn, Client

KIND = "regular"


async def reschedule(session: AsyncSession, client: Client, now: datetime) -> CheckIn | None:
    """Replace her pending regular check-in with one a full interval from now (None: her
    cadence has no regular check-ins)."""
    await schedule.cancel_pending(session, client.id, "rescheduled", now, kinds=(KIND,))
    return next_after(session, client, now)


def next_after(session: AsyncSession, client: Client, now: datetime) -> CheckIn | None:
    """The next one after one just went out (nothing else is pending then)."""
    every = interval(client.checkin_cadence)
    if every is None:
        return None
    return schedule.add(session, client.id, KIND, now + every, now)


async def set_cadence(
    session: AsyncSession, client: Client, cadence: str, by: str, now: datetime
) -> CheckIn | None:
    """Store the cadence she chose and schedule her next regular check-in from it."""
    client.checkin_cadence = cadence
    client.checkin_cadence_changed_at, client.checkin_cadence_changed_by = now, by
    return await reschedule(session, client, now)
