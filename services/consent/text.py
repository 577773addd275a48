"""The one home of the consent text: every 42 CFR Part 2 §2.31 element in plain words, English
and Spanish, as a few SMS parts of at most two segments each (GSM-7 where possible).

§2.31 elements and where they are said: her name (or "you"); who discloses (the program); what
information, specifically; to whom (organization and service); the purpose; her right to revoke
and how (and that it does not undo what was already shared); the expiry date; that her YES is her
signature. The date is the record's `created_at`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sms_text.segments import GSM7_BASIC, GSM7_EXTENDED, is_gsm7

VALID_DAYS = 90
MAX_SEGMENTS = 2
LANGUAGES = ("en", "es")
# What she texts to take it back; the bot recognises these (and plainer words) as a withdrawal.
REVOKE_WORDS = {
    "en": ("STOP SHARING", "cancel my referral"),
    "es": ("NO COMPARTIR", "cancela mi referido"),
}

MONTHS = {
    "en": (
        "January February March April May June July August September October November December"
    ).split(),
    "es": (
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
    ).split(),
}


@dataclass(frozen=True)
class ConsentText:
    """The §2.31 elements as shown to her, and the exact parts sent."""

    language: str
    patient_name: str | None
    disclosed_by: str
    information: str
    recipient: str
    purpose: str
    revocation: str
    expires_on: date
    expires_at: datetime
    parts: tuple[str, ...]


def to_gsm7(text: str) -> str:
    """Drop accents the GSM-7 alphabet lacks (á í ó ú) so a part costs 153, not 67, characters
    a segment; letters GSM-7 has (é ñ ü ¿ ¡) stay as they are."""

    def fold(ch: str) -> str:
        if ch in GSM7_BASIC or ch in GSM7_EXTENDED:
            return ch
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        return base if base and is_gsm7(base) else ch

    return "".join(fold(ch) for ch in text)


def expiry(now: datetime, tz: str) -> tuple[date, datetime]:
    """The last day the consent holds (in the program's time zone) and the instant it ends."""
    zone = ZoneInfo(tz)
    last_day = now.astimezone(zone).date() + timedelta(days=VALID_DAYS)
    ends = datetime.combine(last_day + timedelta(days=1), time(0), zone)
    return last_day, ends.astimezone(UTC)


def _listed(items: list[str | None], conjunction: str) -> str:
    """ "a, b and c" of the items given (None: left out)."""
    shown = [item for item in items if item]
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} {conjunction} {shown[-1]}"


def _long_date(day: date, language: str) -> str:
    month = MONTHS[language][day.month - 1]
    if language == "es":
        return f"{day.day} de {month} de {day.year}"
    return f"{month} {day.day}, {day.year}"


def consent_text(
    *,
    language: str,
    first_name: str | None,
    program: str,
    organization: str,
    service: str,
    need_label: str,
    do_not_contact: bool,
    now: datetime,
    tz: str,
) -> ConsentText:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}")
    last_day, ends = expiry(now, tz)
    until = _long_date(last_day, language)
    recipient = f"{organization} ({service})" if service != organization else organization
    # Only what Tandem has and may share: no name she never gave, no phone with do-not-contact
    # (contact then goes through her case manager).
    stop, cancel = REVOKE_WORDS[language]
    if language == "en":
        who = f"{first_name}, here" if first_name else "Here"
        information = _listed(
            ["your first name" if first_name else None]
            + [None if do_not_contact else "phone number" if first_name else "your phone number"]
            + [f"that you're looking for {need_label}"],
            "and",
        )
        purpose = (
            "so they can work with your case manager to get you started. They won't contact "
            "you directly"
            if do_not_contact
            else "so they can contact you about getting started"
        )
        revocation = (
            f'You can take back your OK any time by texting {stop} or "{cancel}" (it can\'t '
            "undo what was already shared)"
        )
        parts = (
            f"{who} is what I'd share. {program} would give only {information}.",
            f"It would go to {recipient}, {purpose}.",
            f"It's protected by federal law (42 CFR Part 2). Saying no won't change anything "
            f"with {program}. {revocation}. Otherwise it ends {until}.",
            "Reply YES to sign this OK and share, or NO to keep it to yourself (I'll give you "
            "their number).",
        )
    else:
        who = f"{first_name}, esto" if first_name else "Esto"
        information = _listed(
            ["tu primer nombre" if first_name else None]
            + [None if do_not_contact else "tu número de teléfono"]
            + [f"que buscas {need_label}"],
            "y",
        )
        purpose = (
            "para que hablen con tu trabajadora de caso y puedas empezar. No te contactarán "
            "directamente"
            if do_not_contact
            else "para que te contacten y puedas empezar"
        )
        revocation = (
            f'Puedes retirar tu permiso cuando quieras escribiendo {stop} o "{cancel}" (no '
            "deshace lo que ya se compartió)"
        )
        parts = (
            f"{who} es lo que compartiría. {program} solo daría {information}.",
            f"Se lo daría a {recipient}, {purpose}.",
            f"La ley federal (42 CFR Parte 2) protege esta información. Decir que no, no cambia "
            f"nada con {program}. {revocation}. Si no, termina el {until}.",
            "Responde SÍ para firmar este permiso y compartir, o NO para no compartir (te doy "
            "su número).",
        )
    parts = tuple(to_gsm7(p) for p in parts)
    return ConsentText(
        language=language,
        patient_name=first_name,
        disclosed_by=program,
        information=information,
        recipient=recipient,
        purpose=purpose,
        revocation=revocation,
        expires_on=last_day,
        expires_at=ends,
        parts=parts,
    )
