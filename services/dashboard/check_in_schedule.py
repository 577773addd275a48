"""Her check-in schedule on her page: how often she wants one (in words, who chose it and
when), what is waiting to go out (kind in plain words, due in program time) and the last few
that went out with what she got. A discreet text is shown as the stand-in it is: she got
"Reply 1 if it's a good time to talk", not the check-in's words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkins import schedule
from services.checkins.cadence import allows_check_ins
from services.checkins.texts import DISCREET
from services.clients.status import why_not_text
from services.db.tables import CheckIn, Client, Message

SENT_SHOWN = 5
CADENCE_WORDS: dict[str | None, str] = {
    None: "not chosen: follow-ups only (after a referral, a missed appointment, a hard day)",
    "every_few_days": "every few days (every 3 days), plus follow-ups",
    "weekly": "once a week, plus follow-ups",
    "every_2_weeks": "every 2 weeks, plus follow-ups",
    "when_i_text": "only when she texts: Tandem starts no check-in, follow-ups included",
    "paused": "paused: Tandem starts no check-in, follow-ups included",
}
KIND_WORDS = {
    "regular": "Regular check-in (how are you doing?)",
    "referral_follow_up": "Referral follow-up (were you able to reach them?)",
    "missed_appointment": "After a missed appointment (what got in the way?)",
    "appointment_follow_up": "After an appointment she mentioned (how did it go?)",
    "support": "After a craving or a slip (thinking of you)",
    "stage": "Stage message",
}
REASON_WORDS = {"quiet_hours": "moved to the end of quiet hours (the program's or hers)"}
# Why what is waiting will be skipped when due (the dispatcher decides the same at send time).
SKIP_WORDS = {
    "opted_out": "will not go out: she opted out",
    "do_not_contact": "will not go out: she is do-not-contact",
    "when_i_text": "will not go out: she wants texts only when she texts",
    "paused": "will not go out: she paused check-ins",
}


@dataclass(frozen=True)
class Row:
    what: str
    when: str  # program time
    detail: str | None = None
    text: str | None = None  # what she got (sent ones)


@dataclass(frozen=True)
class CheckInSchedule:
    cadence: str
    changed: str | None  # "by her" / a staff email, and when; None: never chosen
    pending: list[Row]
    sent: list[Row]


def program_time(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z")


def what(check_in: CheckIn, places: dict[int, str]) -> str:
    words = KIND_WORDS.get(check_in.kind, check_in.kind.replace("_", " "))
    if check_in.kind == "referral_follow_up":
        place = places.get(int(check_in.payload.get("referral_id", 0)))
        return f"{words}: {place}" if place else words
    if check_in.kind == "stage" and check_in.payload.get("key"):
        return f"{words}: {check_in.payload['key']}"
    return words


def was_discreet(body: str) -> bool:
    """The discreet stand-in, in either language, whatever name it went out under."""
    return any(
        body.startswith(template.split("{name}")[0]) and body.endswith(template.split("{name}")[1])
        for template in DISCREET.values()
    )


async def check_in_schedule(
    session: AsyncSession,
    client: Client,
    tz: str,
    places: dict[int, str],
    who: Callable[[str | None], str],
) -> CheckInSchedule:
    """`places`: her referrals' place names by id; `who`: an actor ref -> readable name."""
    zone = ZoneInfo(tz)
    changed = None
    if client.checkin_cadence_changed_at is not None:
        by = client.checkin_cadence_changed_by
        by_words = "her, in a text to the bot" if by == "bot" else who(by)
        changed = f"by {by_words}, {program_time(client.checkin_cadence_changed_at, zone)}"
    discreet = " (goes out as the discreet stand-in)" if client.discreet else ""
    skip = why_not_text(client, answering_her=False)
    if skip is None and not allows_check_ins(client.checkin_cadence):
        skip = client.checkin_cadence
    pending = [
        Row(
            what(c, places) + discreet,
            program_time(c.due_at, zone),
            SKIP_WORDS.get(skip or "") or REASON_WORDS.get(c.reason or ""),
        )
        for c in await schedule.pending_for(session, client.id)
    ]
    sent_rows = (
        await session.execute(
            select(CheckIn, Message)
            .join(Message, Message.id == CheckIn.message_id)
            .where(CheckIn.client_id == client.id, CheckIn.state == schedule.SENT)
            .order_by(CheckIn.updated_at.desc(), CheckIn.id.desc())
            .limit(SENT_SHOWN)
        )
    ).all()
    sent = [
        Row(
            what(c, places),
            program_time(m.created_at, zone),
            "discreet stand-in, not the check-in's words" if was_discreet(m.body) else None,
            m.body,
        )
        for c, m in sent_rows
    ]
    return CheckInSchedule(
        CADENCE_WORDS.get(client.checkin_cadence, str(client.checkin_cadence)),
        changed,
        pending,
        sent,
    )
