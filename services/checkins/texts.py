"""What each check-in says, in English and Spanish.

Short (at most two SMS segments: Spanish accents make a text UCS-2, 67 characters a
segment), warm, never judging, and discreet: Tandem starts these texts, and someone else may
see her phone, so none names a drug, recovery, a clinic or a pregnancy. None promises what
Tandem does not do.
"""

from __future__ import annotations

import re

from safety.crisis import normalize

TEXTS: dict[str, dict[str, str]] = {
    "regular": {
        "en": "Hi, it's {program}, checking in. How are you doing? Reply anytime, no pressure.",
        "es": "Hola, soy {program}. ¿Cómo estás? Responde cuando quieras, sin presión.",
    },
    "referral_follow_up": {
        "en": "Hi, it's {program}. Checking in about your referral: were you able to reach "
        "them? If something got in the way, tell me and I can help.",
        "es": "Hola, soy {program}. ¿Pudiste comunicarte con el lugar de tu referido? Si algo "
        "te lo impidió, cuéntame y te ayudo.",
    },
    "missed_appointment": {
        "en": "Hi, it's {program}. Sorry the appointment didn't work out. What got in the way? "
        "A ride, childcare, something else? I can help look for options.",
        "es": "Hola, soy {program}. Siento lo de la cita. ¿Qué te lo impidió? ¿Transporte, "
        "niños, otra cosa? Puedo ayudarte a buscar opciones.",
    },
    "appointment_follow_up": {
        "en": "Hi, it's {program}. How did your appointment go? Tell me if anything got in "
        "the way or if you need help with what comes next.",
        "es": "Hola, soy {program}. ¿Cómo te fue en tu cita? Cuéntame si algo te lo impidió "
        "o si necesitas ayuda con lo que sigue.",
    },
    "support": {
        "en": "Hi, it's {program}. Thinking of you today. How are you feeling? You don't have "
        "to reply, but I'm here if you want to talk.",
        "es": "Hola, soy {program}. Hoy pensé en ti. ¿Cómo te sientes? No tienes que "
        "responder; aquí estoy si quieres hablar.",
    },
}
KINDS = frozenset(TEXTS)
# Sent instead of any check-in or stage message to a woman who asked for discreet texts: it
# says nothing but a name (TANDEM_DISCREET_NAME) and that she can reply.
DISCREET: dict[str, str] = {
    "en": "Hi, it's {name}. Reply 1 if it's a good time to talk.",
    "es": "Hola, soy {name}. Responde 1 si es un buen momento para hablar.",
}


def check_in_text(kind: str, language: str, program: str) -> str:
    by_language = TEXTS[kind]
    return by_language.get(language, by_language["en"]).format(program=program)


def discreet_text(language: str, name: str) -> str:
    return DISCREET.get(language, DISCREET["en"]).format(name=name)


# Words that would tell whoever sees her phone that she is in treatment for opioid use (her
# medication, withdrawal, the Plan of Safe Care of a substance-exposed newborn, drugs,
# recovery), as safety.crisis.normalize writes them (lowercase, no accents). Nothing Tandem
# starts may hold one: the check-ins above, the stage messages (checked when staff save one:
# services/checkins/stage_library.validate_edit).
_REVEALING = re.compile(
    r"\b(?:methadone|metadona|buprenorphine|buprenorfina|suboxone|subutex|sublocade|vivitrol|"
    r"naltrexone|naltrexona|naloxone|naloxona|narcan|opioids?|opiates?|opioides?|fentanyl|"
    r"withdrawal|abstinencia|nows|nas|moud|mat|oud|drugs?|drogas?|addiction|adiccion|addicted|"
    r"recovery|recuperacion|relapse|recaida|sober|sobriety|plan of safe care|"
    r"plan de cuidado seguro|dcf|detox)\b"
)


def revealing_words(text: str) -> list[str]:
    """The words in ``text`` that would reveal her treatment to someone reading her phone."""
    return sorted({m.group(0) for m in _REVEALING.finditer(normalize(text))})
