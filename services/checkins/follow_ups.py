"""Follow-ups scheduled by what she tells Tandem, where it is recorded: a referral becoming
"requested" (services/referrals/records.py, by her YES or by staff), a missed appointment, a
craving or a return to use (signals posted to /api/signals), and a reported loss, which
cancels what is pending at once. Each runs in the caller's transaction.

A follow-up is due whole days after the event, at the hour she was texting (or staff were
working) then; one that falls in quiet hours waits for them to end.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.checkins import regular, schedule
from services.db.tables import CheckIn, Client

REFERRAL_FOLLOW_UP_DAYS = 2
# Signal type -> the follow-up it schedules and after how many days.
AFTER_SIGNAL: dict[str, tuple[str, int]] = {
    "appointment_missed": ("missed_appointment", 1),
    "craving": ("support", 1),
    "return_to_use": ("support", 1),
}
LOSS_SIGNAL = "pregnancy_loss"
# Referral statuses in which "were you able to reach them?" is still a real question.
REFERRAL_WAITING = frozenset({"requested", "accepted"})


async def after_signal(
    session: AsyncSession, client_id: str, signal_type: str, now: datetime
) -> CheckIn | None:
    """The follow-up a signal calls for, unless the same one is already waiting (two cravings
    in a day are followed up once); a loss cancels every pending check-in."""
    if signal_type == LOSS_SIGNAL:
        await after_loss(session, client_id, now)
        return None
    if signal_type not in AFTER_SIGNAL:
        return None
    kind, days = AFTER_SIGNAL[signal_type]
    if await schedule.has_pending(session, client_id, kind):
        return None
    return schedule.add(
        session, client_id, kind, now + timedelta(days=days), now, {"after": signal_type}
    )


def after_referral_requested(
    session: AsyncSession, client_id: str, referral_id: int, now: datetime
) -> CheckIn:
    """ "Were you able to reach them?", REFERRAL_FOLLOW_UP_DAYS after it was sent on."""
    return schedule.add(
        session,
        client_id,
        "referral_follow_up",
        now + timedelta(days=REFERRAL_FOLLOW_UP_DAYS),
        now,
        {"referral_id": referral_id},
    )


async def after_loss(session: AsyncSession, client_id: str, now: datetime) -> int:
    """After a pregnancy or infant loss nothing already scheduled goes out (a follow-up or
    check-in written for before would hurt); her regular check-in, if she chose one, comes
    back a full interval later. Returns how many were cancelled."""
    cancelled = await schedule.cancel_pending(session, client_id, "loss_reported", now)
    client = await session.get(Client, client_id)
    if client is not None:
        regular.next_after(session, client, now)
    return cancelled
