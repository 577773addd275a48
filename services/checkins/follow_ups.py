"""Follow-ups scheduled by what she tells Tandem, where it is recorded: a referral becoming
"requested" (services/referrals/records.py, by her YES or by staff), a missed appointment, a
craving or a return to use, an appointment coming up (signals posted to /api/signals), and a
reported loss, which cancels what is pending at once. Each runs in the caller's transaction.

A follow-up is due whole days after the event, at the hour she was texting (or staff were
working) then; the one after an appointment she mentioned, at FOLLOW_UP_HOUR program time the
day after it. One that falls in quiet hours (the program's or hers) waits for them to end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
# An appointment she mentioned (value: its day): "how did it go?" the day after.
APPOINTMENT_SIGNAL = "appointment_upcoming"
APPOINTMENT_FOLLOW_UP = "appointment_follow_up"
FOLLOW_UP_HOUR = time(10, 0)
# Referral statuses in which "were you able to reach them?" is still a real question.
REFERRAL_WAITING = frozenset({"requested", "accepted"})


async def after_signal(
    session: AsyncSession,
    client_id: str,
    signal_type: str,
    now: datetime,
    value: str | None = None,
    tz: str = "America/New_York",
) -> CheckIn | None:
    """The follow-up a signal calls for, unless the same one is already waiting (two cravings
    in a day are followed up once); a loss cancels every pending check-in."""
    if signal_type == LOSS_SIGNAL:
        await after_loss(session, client_id, now)
        return None
    if signal_type == APPOINTMENT_SIGNAL and value is not None:
        return await after_appointment_mentioned(
            session, client_id, date.fromisoformat(value), now, tz
        )
    if signal_type not in AFTER_SIGNAL:
        return None
    kind, days = AFTER_SIGNAL[signal_type]
    if await schedule.has_pending(session, client_id, kind):
        return None
    return schedule.add(
        session, client_id, kind, now + timedelta(days=days), now, {"after": signal_type}
    )


async def after_appointment_mentioned(
    session: AsyncSession, client_id: str, day: date, now: datetime, tz: str
) -> CheckIn | None:
    """ "How did your appointment go?" at FOLLOW_UP_HOUR the day after it; once per day she
    mentioned (she may tell of it twice), none when that time has passed."""
    due = datetime.combine(day + timedelta(days=1), FOLLOW_UP_HOUR, tzinfo=ZoneInfo(tz))
    due = due.astimezone(UTC)
    if due <= now:
        return None
    for row in await schedule.pending_for(session, client_id):
        if row.kind == APPOINTMENT_FOLLOW_UP and row.payload.get("day") == day.isoformat():
            return None
    return schedule.add(
        session, client_id, APPOINTMENT_FOLLOW_UP, due, now, {"day": day.isoformat()}
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
