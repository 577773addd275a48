"""The signal taxonomy: every engagement signal type, what its value may be, and its words.

One home for the types (README "Engagement signals" is the same list in prose). A signal's
`value` is a code, a 1-5 score or a span of time, never her message text. Only a provider
relationship rating may carry free `words`, and only from staff (stored encrypted like the
dashboard's notes; never in the API, the logs or the research export).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import cache

from services.referrals.lifecycle import OUTCOMES


class Kind(Enum):
    NONE = "none"  # no value
    SCORE = "score"  # an integer 1-5
    CODE = "code"  # one of `codes`
    SPAN = "span"  # a span of time in recovery: "30 days", "1 year"
    RECORD = "record"  # the id of one of Tandem's records (a consent)
    DATE = "date"  # a day, "YYYY-MM-DD" (an appointment she mentioned)


BARRIERS: dict[str, str] = {
    "rides": "rides, getting there",
    "childcare": "childcare",
    "cost": "cost, insurance",
    "hours": "hours, work",
    "dcf_fear": "fear of DCF",
    "felt_judged": "felt judged",
    "no_callback": "could not reach them, no call back",
    "other": "something else",
}
# Why she missed an appointment: a barrier, or one of these.
MISSED_REASONS: dict[str, str] = {**BARRIERS, "sick": "sick (her or the baby)", "forgot": "forgot"}
CRISIS_CATEGORIES = ("overdose", "medical", "violence", "suicide")  # safety/judge.py's
OPT_OUT_BY = ("sms_keyword", "twilio_opt_out_type", "twilio_21610")  # clients/status.py's
SPAN = re.compile(r"[1-9]\d{0,3} (?:day|week|month|year)s?")
RECORD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_WORDS_CHARS = 1000


@cache
def service_codes() -> frozenset[str]:
    """The service taxonomy's codes and groups (data/taxonomy.yml): a need she named."""
    from services.directory.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    return frozenset(taxonomy.labels) | frozenset(taxonomy.groups)


@dataclass(frozen=True)
class SignalType:
    code: str
    label: str  # for staff and the README
    kind: Kind = Kind.NONE
    codes: tuple[str, ...] = ()
    required: bool = False  # the value must be given
    words: bool = False  # staff may add free words (encrypted)
    by_staff: bool = False  # offered on her dashboard page

    def allowed(self) -> tuple[str, ...]:
        return tuple(sorted(service_codes())) if self.code in SERVICE_CODED else self.codes


SERVICE_CODED = frozenset(
    {"need_expressed", "referral_offered", "referral_accepted", "referral_declined"}
)

TYPES: dict[str, SignalType] = {
    t.code: t
    for t in (
        SignalType("message_in", "She texted"),
        SignalType("checkin_mood", "Check-in: her mood (1-5)", Kind.SCORE),
        SignalType("craving", "Craving", by_staff=True),
        SignalType("return_to_use", "Return to use", by_staff=True),
        SignalType("milestone", "Milestone", Kind.SPAN, by_staff=True),
        SignalType("need_expressed", "Need she named", Kind.CODE, required=True, by_staff=True),
        SignalType(
            "barrier_reported",
            "Barrier",
            Kind.CODE,
            tuple(BARRIERS),
            required=True,
            by_staff=True,
        ),
        SignalType("referral_offered", "Referral offered", Kind.CODE),
        SignalType("referral_accepted", "Referral accepted (she consented)", Kind.CODE),
        SignalType("referral_declined", "Referral declined", Kind.CODE),
        SignalType("referral_completed", "Referral completed", Kind.CODE, tuple(OUTCOMES)),
        SignalType("consent_given", "Consent given", Kind.RECORD),
        SignalType("consent_withdrawn", "Consent withdrawn", Kind.RECORD),
        SignalType("appointment_upcoming", "An appointment coming up", Kind.DATE, required=True),
        SignalType("appointment_attended", "Went to an appointment", by_staff=True),
        SignalType(
            "appointment_missed",
            "Missed an appointment",
            Kind.CODE,
            tuple(MISSED_REASONS),
            by_staff=True,
        ),
        SignalType(
            "provider_rating",
            "Her provider relationship (1-5)",
            Kind.SCORE,
            required=True,
            words=True,
            by_staff=True,
        ),
        SignalType("crisis", "Crisis detected", Kind.CODE, CRISIS_CATEGORIES),
        SignalType("human_requested", "Asked for a person"),
        SignalType("opt_out", "Opted out of texts", Kind.CODE, OPT_OUT_BY),
        SignalType("opt_in", "Opted back in", Kind.CODE, OPT_OUT_BY),
        SignalType("pregnancy_loss", "Loss reported"),
    )
}
SIGNAL_TYPES: frozenset[str] = frozenset(TYPES)
STAFF_TYPES: tuple[str, ...] = tuple(code for code, t in TYPES.items() if t.by_staff)


class InvalidValue(ValueError):
    """A value this type does not take (the API answers 422)."""

    field = "value"


def check_value(signal_type: str, value: str | None) -> str | None:
    """The value as stored ("4", "rides", "30 days"), or InvalidValue saying what fits."""
    spec = TYPES[signal_type]
    if value is None:
        if spec.required:
            raise InvalidValue(f"{signal_type} needs a value: {_expected(spec)}.")
        return None
    if spec.kind is Kind.NONE:
        raise InvalidValue(f"{signal_type} takes no value.")
    if spec.kind is Kind.SCORE:
        if value not in {"1", "2", "3", "4", "5"}:
            raise InvalidValue(f"{signal_type} must be a whole number from 1 to 5.")
        return value
    if spec.kind is Kind.RECORD:
        if not RECORD_ID.fullmatch(value):
            raise InvalidValue(f"{signal_type} must be the id of the consent.")
        return value
    if spec.kind is Kind.DATE:
        if not _is_day(value):
            raise InvalidValue(f"{signal_type} must be a date written YYYY-MM-DD.")
        return value
    if spec.kind is Kind.SPAN:
        if not SPAN.fullmatch(value):
            raise InvalidValue(f'{signal_type} must be a span like "30 days" or "1 year".')
        return value
    if value not in spec.allowed():
        raise InvalidValue(f"{signal_type} must be one of: {', '.join(spec.allowed())}.")
    return value


def _is_day(value: str) -> bool:
    try:
        return len(value) == 10 and date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _expected(spec: SignalType) -> str:
    if spec.kind is Kind.DATE:
        return "a date written YYYY-MM-DD"
    if spec.kind is Kind.SCORE:
        return "a whole number from 1 to 5"
    if spec.kind is Kind.SPAN:
        return 'a span like "30 days"'
    if spec.kind is Kind.RECORD:
        return "the id of the consent"
    return "one of: " + ", ".join(spec.allowed())


def label(signal_type: str, value: str | None) -> str:
    """How staff read a signal: "Barrier: rides, getting there", "Her provider ... : 4"."""
    spec = TYPES.get(signal_type)
    if spec is None:
        return signal_type
    if value is None:
        return spec.label
    words = {**BARRIERS, **MISSED_REASONS, **OUTCOMES}
    shown = words.get(value, value) if spec.kind is Kind.CODE else value
    return f"{spec.label}: {shown}"
