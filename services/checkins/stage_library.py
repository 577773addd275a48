"""Stage-based messages (like RapidPro campaigns): the library, its seed, its schedule.

The library lives in the stage_messages table, seeded from data/checkins/stage_messages.yml
when the app starts (`seed_missing`: the keys the table lacks; `follow_defaults`: a message no
staff member has edited takes the file's words, so a fix there reaches her; edits are kept) and
edited by program staff on the dashboard (`validate_edit`, `retime`). When her due date or
her baby's birth date is set or changed, `schedule_for` replaces her pending stage check-ins
with one per active message still in the future, at STAGE_HOUR program time. At send time
the dispatcher re-reads the library (`skip_reason`, `text_of`): edits apply, a message
switched off is skipped, and nothing goes out once stage messages are stopped (a loss).
Functions take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkins import schedule
from services.checkins.texts import revealing_words
from services.db.tables import CheckIn, Client, StageMessage
from services.gateway.sms_split import split_for_sms
from services.settings import DATA_DIR

KIND = "stage"
LIBRARY_PATH = DATA_DIR / "checkins" / "stage_messages.yml"
ANCHORS = ("due_date", "baby_birth_date")
STAGE_HOUR = time(10, 0)
# Offsets staff may set: from ten months before the due date to two years after birth.
MIN_OFFSET, MAX_OFFSET = -300, 730
MAX_SEGMENTS = 2
LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class Default:
    key: str
    anchor: str
    offset_days: int
    text_en: str
    text_es: str
    source: str
    last_reviewed: date


@cache
def load_defaults(path: Path = LIBRARY_PATH) -> tuple[Default, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        Default(
            key=m["key"],
            anchor=m["anchor"],
            offset_days=int(m["offset_days"]),
            text_en=m["text"]["en"],
            text_es=m["text"]["es"],
            source=m["source"],
            last_reviewed=m["last_reviewed"],
        )
        for m in data["messages"]
    )


async def seed_missing(session: AsyncSession, now: datetime) -> int:
    """Insert the library's messages the table lacks; several processes starting at once
    insert each key once (ON CONFLICT DO NOTHING). Returns how many were added."""
    have = set(await session.scalars(select(StageMessage.key)))
    rows = [
        {**d.__dict__, "active": True, "updated_at": now, "updated_by": "seed"}
        for d in load_defaults()
        if d.key not in have
    ]
    if not rows:
        return 0
    dialect = (await session.connection()).dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(StageMessage).values(rows).on_conflict_do_nothing())
    return len(rows)


async def follow_defaults(session: AsyncSession, now: datetime) -> int:
    """Messages still as seeded (no staff edit) whose words, source or review date the file
    has changed take the file's; staff edits are never touched. Returns how many changed."""
    defaults = {d.key: d for d in load_defaults()}
    changed = 0
    for row in await session.scalars(select(StageMessage).where(StageMessage.updated_by == "seed")):
        d = defaults.get(row.key)
        new = d and (d.text_en, d.text_es, d.source, d.last_reviewed)
        if new and new != (row.text_en, row.text_es, row.source, row.last_reviewed):
            row.text_en, row.text_es, row.source, row.last_reviewed = new
            row.updated_at = now
            changed += 1
    return changed


async def library(session: AsyncSession) -> dict[str, StageMessage]:
    rows = await session.scalars(select(StageMessage).order_by(StageMessage.key))
    return {row.key: row for row in rows}


def anchor_date(message: StageMessage, client: Client) -> date | None:
    """Her date this message counts from; a due-date message has none once her baby is born."""
    if message.anchor == "due_date" and client.baby_birth_date is not None:
        return None
    value: date | None = getattr(client, message.anchor)
    return value


def due_at(message: StageMessage, client: Client, tz: str) -> datetime | None:
    anchor = anchor_date(message, client)
    if anchor is None:
        return None
    day = anchor + timedelta(days=message.offset_days)
    return datetime.combine(day, STAGE_HOUR, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _add(
    session: AsyncSession, client: Client, message: StageMessage, now: datetime, tz: str
) -> CheckIn | None:
    when = due_at(message, client, tz)
    if when is None or when <= now:
        return None
    return schedule.add(session, client.id, KIND, when, now, {"key": message.key})


async def schedule_for(session: AsyncSession, client: Client, now: datetime, tz: str) -> int:
    """Replace her pending stage check-ins with one per active message whose time is still
    ahead (none once stage messages are stopped). Returns how many were scheduled."""
    await schedule.cancel_pending(session, client.id, "rescheduled", now, kinds=(KIND,))
    if client.stage_messages_stopped:
        return 0
    added = [
        _add(session, client, m, now, tz) for m in (await library(session)).values() if m.active
    ]
    return sum(1 for row in added if row is not None)


async def stop(session: AsyncSession, client_id: str, now: datetime) -> int:
    """Stage messages stopped (a reported loss): her pending ones are cancelled at once."""
    return await schedule.cancel_pending(
        session, client_id, "stage_messages_stopped", now, kinds=(KIND,)
    )


async def retime(session: AsyncSession, message: StageMessage, now: datetime, tz: str) -> int:
    """After staff changed a message's offset or switched it on or off: every woman's pending
    check-in for it is replaced (or just cancelled, when it is off or its time has passed).
    Returns how many are scheduled now."""
    # The key is in the JSON payload: filtered here rather than in dialect-specific SQL (a
    # library edit is rare; the rows are her pending stage messages only).
    pending = await session.scalars(
        select(CheckIn).where(CheckIn.kind == KIND, CheckIn.state == schedule.PENDING)
    )
    for check_in in pending:
        if check_in.payload.get("key") == message.key:
            check_in.state, check_in.reason, check_in.updated_at = (
                schedule.CANCELLED,
                "rescheduled",
                now,
            )
    if not message.active:
        return 0
    clients = await session.scalars(
        select(Client).where(
            Client.stage_messages_stopped.is_(False),
            getattr(Client, message.anchor).is_not(None),
        )
    )
    added = [_add(session, client, message, now, tz) for client in clients]
    return sum(1 for row in added if row is not None)


def skip_reason(message: StageMessage | None, client: Client) -> str | None:
    """Why a due stage check-in does not go out now, or None."""
    if client.stage_messages_stopped:
        return "stage_messages_stopped"
    if message is None:
        return "stage_unknown"
    if not message.active:
        return "stage_off"
    if anchor_date(message, client) is None:
        return "stage_no_date"  # her date was cleared, or her baby was born
    return None


def text_of(message: StageMessage, language: str, program: str) -> str:
    text = message.text_es if language == "es" else message.text_en
    return text.replace("{program}", program)


# Staff edits --------------------------------------------------------------------------


class InvalidEdit(ValueError):
    """What staff typed cannot be saved; `field` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Edit:
    text_en: str
    text_es: str
    offset_days: int
    active: bool


def validate_edit(text_en: str, text_es: str, offset: str, active: bool, program: str) -> Edit:
    """Each text: not empty, at most MAX_SEGMENTS SMS segments as she gets it, and discreet
    (Tandem starts it: no word that reveals her treatment, services.checkins.texts)."""
    texts = {"en": " ".join(text_en.split()), "es": " ".join(text_es.split())}
    names = {"en": "English", "es": "Spanish"}
    for language, text in texts.items():
        if not text:
            raise InvalidEdit(f"text_{language}", f"The {names[language]} text is empty.")
        revealing = revealing_words(text)
        if revealing:
            raise InvalidEdit(
                f"text_{language}",
                f"The {names[language]} text says {', '.join(repr(w) for w in revealing)}. "
                "Stage messages go out without her asking, and someone else may see her phone: "
                "say it without words that tell she is in treatment (she can ask for details "
                "by replying).",
            )
        sent = text.replace("{program}", program)
        parts = split_for_sms(sent, MAX_SEGMENTS)
        if len(parts) > 1:
            raise InvalidEdit(
                f"text_{language}",
                f"The {names[language]} text is longer than {MAX_SEGMENTS} SMS segments "
                f"({len(sent)} characters; two segments hold about 300, or 134 once it has an "
                "accented letter): shorten it.",
            )
    try:
        days = int(offset.strip())
    except ValueError:
        raise InvalidEdit("offset_days", "The offset must be a whole number of days.") from None
    if not MIN_OFFSET <= days <= MAX_OFFSET:
        raise InvalidEdit(
            "offset_days", f"The offset must be between {MIN_OFFSET} and {MAX_OFFSET} days."
        )
    return Edit(texts["en"], texts["es"], days, active)
