"""When she wants texts Tandem starts, and how: her own hours and discreet mode.

Her hours are a window "HH:MM-HH:MM" in the program's time zone when she does NOT want texts
(the format of TANDEM_QUIET_HOURS), on top of the program's quiet hours; discreet mode sends
the stand-in of checkins/texts.py instead of a check-in's words. Both are honoured at send
time (OutboundSender.quiet_until, the check-in dispatcher). Set by the bot from what she
says, or by her case manager; every change is stamped with when and by whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.clients.profile import InvalidField
from services.db.tables import Client
from services.gateway.quiet_hours import leaves_time_to_text, parse_quiet_hours
from services.referrals.service import is_actor

FIELDS = ("quiet_hours", "discreet", "changed_by")


@dataclass(frozen=True)
class PrefsChange:
    fields: dict[str, object]  # "quiet_hours" (str | None) and/or "discreet" (bool)
    changed_by: str


def validate_quiet_hours(value: object, program_quiet: str, tz: str) -> str | None:
    """Her window as stored ("17:00-08:00"), or None for none; InvalidField names the field."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField(
            "quiet_hours", 'quiet_hours must be a window like "21:00-08:00" or null.'
        )
    try:
        start, end = parse_quiet_hours(value)
    except ValueError:
        raise InvalidField(
            "quiet_hours",
            'quiet_hours must be a window like "21:00-08:00" (24-hour times) or null.',
        ) from None
    if start == end:
        return None  # an empty window, as in TANDEM_QUIET_HOURS: no hours of her own
    window = f"{start:%H:%M}-{end:%H:%M}"
    if not leaves_time_to_text([window, program_quiet], tz):
        raise InvalidField(
            "quiet_hours",
            f"quiet_hours {window} and the program's quiet hours ({program_quiet}) together "
            "leave no time of day to text her.",
        )
    return window


def validate_change(body: dict[str, object], program_quiet: str, tz: str) -> PrefsChange:
    """Check a PUT body: only the fields given change; unknown keys are refused."""
    for key in body:
        if key not in FIELDS:
            raise InvalidField(key, f"{key} is not a contact preference.")
    fields: dict[str, object] = {}
    if "quiet_hours" in body:
        fields["quiet_hours"] = validate_quiet_hours(body["quiet_hours"], program_quiet, tz)
    if "discreet" in body:
        if not isinstance(body["discreet"], bool):
            raise InvalidField("discreet", "discreet must be true or false.")
        fields["discreet"] = body["discreet"]
    changed_by = body.get("changed_by", "bot")
    if not is_actor(changed_by):
        raise InvalidField("changed_by", 'changed_by must be "bot" or "staff:<id>".')
    return PrefsChange(fields, str(changed_by))


def apply_change(client: Client, change: PrefsChange, now: datetime) -> None:
    if not change.fields:
        return  # nothing given: nothing changed, nothing stamped
    if "quiet_hours" in change.fields:
        client.contact_quiet_hours = change.fields["quiet_hours"]  # type: ignore[assignment]
    if "discreet" in change.fields:
        client.discreet = bool(change.fields["discreet"])
    client.contact_prefs_changed_at, client.contact_prefs_changed_by = now, change.changed_by


def prefs_dict(client: Client) -> dict[str, object]:
    changed = client.contact_prefs_changed_at
    return {
        "client_id": client.id,
        "quiet_hours": client.contact_quiet_hours,
        "discreet": client.discreet,
        "changed_at": changed.isoformat() if changed else None,
        "changed_by": client.contact_prefs_changed_by,
    }
