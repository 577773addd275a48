"""The profile the bot may set for a client, validated field by field.

Every field is optional (she can skip every question). A pregnancy or infant loss stops all
stage-based messages and pending check-ins at once, clears her stage and logs a
`pregnancy_loss` signal, all in the caller's transaction. A new due date or baby's birth date
reschedules her stage-based messages; stopping them cancels the pending ones at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.checkins import follow_ups, stage_library
from services.db.tables import Client
from services.engagement.signals import InvalidSignal, NewSignal, record_signal, validate_signal

STAGES: frozenset[str] = frozenset({"pregnant", "postpartum"})
LANGUAGES: frozenset[str] = frozenset({"en", "es"})
MAX_NAME_CHARS = 60
DATE_PAST = timedelta(days=2 * 365 + 1)
DATE_FUTURE = timedelta(days=366)
PROFILE_FIELDS = (
    "preferred_name",
    "stage",
    "due_date",
    "baby_birth_date",
    "stage_messages_stopped",
    "language",
)
# Not profile fields: what happened (a loss) and where the signal it logs came from.
EVENT_FIELDS = ("pregnancy_loss", "message_sid", "source")


class InvalidField(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def today() -> date:
    return datetime.now(UTC).date()


def _name(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField("preferred_name", "preferred_name must be text.")
    name = " ".join(value.split())
    if any(not ch.isprintable() for ch in name):
        raise InvalidField("preferred_name", "preferred_name has characters that cannot be shown.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidField(
            "preferred_name", f"preferred_name must be at most {MAX_NAME_CHARS} characters."
        )
    return name or None


def _choice(field: str, value: object, allowed: frozenset[str], nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(sorted(allowed)) + (" or null" if nullable else "")
        raise InvalidField(field, f"{field} must be one of: {options}.")
    return value


def _date(field: str, value: object, on: date, latest: date) -> date | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidField(field, f"{field} must be a date written YYYY-MM-DD.") from None
    earliest = on - DATE_PAST
    if not earliest <= parsed <= latest:
        raise InvalidField(
            field, f"{field} must be between {earliest.isoformat()} and {latest.isoformat()}."
        )
    return parsed


def _bool(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidField(field, f"{field} must be true or false.")
    return value


@dataclass(frozen=True)
class ProfileChange:
    fields: dict[str, object]
    pregnancy_loss: bool
    loss_signal: NewSignal


def validate_change(body: dict[str, object], on: date | None = None) -> ProfileChange:
    """Check a PATCH body; unknown keys are refused rather than ignored."""
    on = on or today()
    for key in body:
        if key not in PROFILE_FIELDS and key not in EVENT_FIELDS:
            raise InvalidField(key, f"{key} is not a profile field.")
    fields: dict[str, object] = {}
    for key, value in body.items():
        if key == "preferred_name":
            fields[key] = _name(value)
        elif key == "stage":
            fields[key] = _choice(key, value, STAGES, nullable=True)
        elif key == "language":
            fields[key] = _choice(key, value, LANGUAGES, nullable=False)
        elif key == "due_date":
            fields[key] = _date(key, value, on, latest=on + DATE_FUTURE)
        elif key == "baby_birth_date":
            fields[key] = _date(key, value, on, latest=on)
        elif key == "stage_messages_stopped":
            fields[key] = _bool(key, value)
    loss = _bool("pregnancy_loss", body["pregnancy_loss"]) if "pregnancy_loss" in body else False
    try:
        signal = validate_signal(
            "pregnancy_loss", None, body.get("source"), body.get("message_sid")
        )
    except InvalidSignal as e:
        raise InvalidField(e.field, str(e)) from None
    return ProfileChange(fields=fields, pregnancy_loss=loss, loss_signal=signal)


STAGE_ANCHORS = ("due_date", "baby_birth_date", "stage_messages_stopped")


async def apply_change(
    session: AsyncSession,
    client: Client,
    change: ProfileChange,
    now: datetime | None = None,
    tz: str = "America/New_York",
) -> None:
    now = now or datetime.now(UTC)
    before = {key: getattr(client, key) for key in STAGE_ANCHORS}
    for key, value in change.fields.items():
        setattr(client, key, value)
    if change.pregnancy_loss:
        # After the other fields, so a loss always wins over a stage sent with it.
        client.stage = None
        client.stage_messages_stopped = True
        await record_signal(session, client.id, change.loss_signal)
        await follow_ups.after_loss(session, client.id, now)
    elif client.stage_messages_stopped and not before["stage_messages_stopped"]:
        await stage_library.stop(session, client.id, now)
    elif any(getattr(client, key) != before[key] for key in STAGE_ANCHORS):
        await stage_library.schedule_for(session, client, now, tz)


def profile_dict(client: Client) -> dict[str, object]:
    return {
        "client_id": client.id,
        "preferred_name": client.preferred_name,
        "stage": client.stage,
        "due_date": client.due_date.isoformat() if client.due_date else None,
        "baby_birth_date": client.baby_birth_date.isoformat() if client.baby_birth_date else None,
        "stage_messages_stopped": client.stage_messages_stopped,
        "language": client.language,
    }
