"""What her reply means during a crisis: an answer to a safety question, or how an overdose
is going. English and Spanish, over the crisis matcher's normal form (lowercase, no accents or
apostrophes, shorthand expanded: "idk" -> "i dont know", "rn" -> "right now").

Only the meaning of short answers lives here. Whether a text is itself a crisis is always the
judgement's (safety/judge.py), never these lists'.
"""

from __future__ import annotations

import re

from safety.crisis import normalize

PASSIVE = "passive"  # thoughts without a plan: "i just think about it", "every day"
UNSAFE = "unsafe"  # "im not ok", "no estoy a salvo"
UNSURE = "unsure"
SAFE = "safe"
YES = "yes"
NO = "no"
PERSON = "person"
PLAN = "plan"
SKIP = "skip"


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


_PASSIVE = _words(
    r"just (?:think|thinking|thought)",
    r"only (?:think|thinking)",
    r"(?:think|thought|thinking) about it",
    r"not (?:tonight|today|right now)",
    r"wont do (?:anything|it|nothing)",
    r"(?:would|wouldnt|will) never (?:do|act)",
    r"not going to do (?:anything|it|nothing)",
    r"no (?:voy a hacer|lo voy a hacer)",
    r"solo (?:lo )?pienso",
    r"nomas (?:lo )?pienso",
    r"a veces (?:lo )?pienso",
    r"(?:wish|wishing) i (?:wasnt|was not|werent) here",
    r"dont want to wake up",
    r"not be here",
    # how often, not whether: "every day", "all the time", "more than i want to admit"
    r"every ?day",
    r"all the time",
    r"a lot",
    r"more than i",
    r"most days",
    r"every night",
    r"todos los dias",
    r"todo el tiempo",
    r"siempre",
    r"cada dia",
    r"cada noche",
)
_UNSAFE = _words(
    r"(?:im|i am|were|we are|i dont feel|i dont) not (?:safe|ok|okay|fine|good|alright)",
    r"not (?:safe|ok|okay|fine)",
    r"(?:no estoy|no me siento|no estamos) (?:bien|a salvo|segura|seguras|tranquila)",
    r"(?:hes|shes|he is|she is|el|ella) (?:still|sigue|todavia)",
)
_UNSURE = _words(
    r"i dont know",
    r"dont know",
    r"not sure",
    r"maybe",
    r"kinda",
    r"kind of",
    r"sort of",
    r"sometimes",
    r"a little",
    r"i guess",
    r"idk",
    r"no se",
    r"tal vez",
    r"a veces",
    r"mas o menos",
    r"quizas",
    r"puede ser",
    r"not really sure",
)
_SAFE = _words(
    r"im (?:safe|ok|okay|fine|good|alright|all right|better)",
    r"i am (?:safe|ok|okay|fine|good)",
    r"we are (?:safe|ok|okay|fine)",
    r"were (?:safe|ok|okay|fine)",
    r"(?:hes|shes|he is|she is|they are|theyre) (?:gone|asleep|ok|okay|fine|breathing fine)",
    r"estoy (?:bien|a salvo|segura|tranquila)",
    r"ya estoy bien",
    r"todo bien",
    r"no danger",
    r"not in danger",
)
_YES = re.compile(
    r"^(?:yes|yeah|yea|yep|yup|ya|y|si|sip|sii|claro|correct|true|i am|i do|it is|yes i am)\b"
)
_NO = re.compile(r"^(?:no|nope|nah|naw|never|nunca|not at all|not really|no no|n)\b")
# A yes later in the text: "tbh yes", "la verdad que si", "honestly yeah".
_YES_LATER = _words(
    r"yes", r"yeah", r"yea", r"yep", r"yup", r"claro", r"(?:que|verdad|pues|bueno) si"
)
_PERSON = _words(r"person", r"persona", r"human", r"someone real", r"a real person", r"call me")
_PLAN = _words(r"plan")
_SKIP = _words(r"skip", r"saltar", r"pass", r"paso")


# The reply word Tandem offered, said back with a yes or a please at most ("plan", "si plan",
# "the plan pls"): round 23's readers put "plan" alone over the crisis line (0.54).
_PLAN_REPLY = re.compile(
    r"(?:(?:yes|yeah|ok|okay|si|sure|the|el|please|pls|porfa|send|send me|mandame) )*plan"
    r"(?: (?:please|pls|porfa|por favor|thanks|thank you|gracias))*"
)


def is_plan_reply(text: str) -> bool:
    """She sends back the word the safety-plan offer asked for, and nothing more."""
    return _PLAN_REPLY.fullmatch(normalize(text)) is not None


def answer(text: str, intent: str | None = None) -> str | None:
    """Her answer in her words: UNSAFE, PASSIVE, UNSURE, SAFE, YES, NO, PERSON, PLAN, SKIP, or None
    when the text answers nothing. The meaning of YES and NO depends on the question."""
    norm = normalize(text)
    if not norm:
        return None
    if _PERSON.search(norm) or intent == "request_human":
        return PERSON
    if _UNSAFE.search(norm):
        return UNSAFE
    if _PASSIVE.search(norm):
        return PASSIVE
    if _SAFE.search(norm) or intent == "inform_safe":
        return SAFE
    if _UNSURE.search(norm):
        return UNSURE
    if _NO.search(norm) or intent == "deny":
        return NO
    if _YES.search(norm) or _YES_LATER.search(norm) or intent == "affirm":
        return YES
    if _PLAN.search(norm):
        return PLAN
    if _SKIP.search(norm):
        return SKIP
    return None


# Overdose: where things are, from what she says. The first pattern that matches wins.
OVERDOSE_STAGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ems",
        _words(
            r"ems",
            r"ambulance",
            r"paramedics?",
            r"medics?",
            r"firefighters?",
            r"(?:911|they|police|cops) (?:is |are )?(?:here|came|arrived|got here)",
            r"(?:helps?|they) (?:is |are )?here",
            r"at the hospital",
            r"en el hospital",
            r"ambulancia",
            r"paramedicos",
            r"llegaron",
            r"ya llego",
        ),
    ),
    (
        "no_naloxone",
        _words(
            r"(?:no|dont have|dont got|out of|no tengo|sin) (?:any )?(?:narcan|naloxone|naloxona)",
            r"(?:narcan|naloxone) (?:is )?(?:gone|used|all used)",
        ),
    ),
    (
        "locked",
        _words(
            r"locked",
            r"cant get in",
            r"cant get to (?:her|him|them)",
            r"not answering",
            r"wont open",
            r"puerta (?:esta )?cerrada",
            r"no abre",
            r"no contesta",
        ),
    ),
    (
        "breathing",
        _words(
            r"(?:is |hes |shes |theyre )?breathing (?:again|a little|now|better|some)",
            r"started breathing",
            r"(?<!not )(?<!never )woke up",
            r"(?<!not )waking up",
            r"coming to",
            r"moving",
            r"moaning",
            r"coughing",
            r"opened (?:his|her|their) eyes",
            r"respira",
            r"desperto",
            r"se esta moviendo",
        ),
    ),
    (
        "not_waking",
        _words(
            r"still not",
            r"not waking",
            r"wont wake",
            r"not breathing",
            r"didnt work",
            r"no response",
            r"nothing (?:happened|is happening|happens)",
            r"still blue",
            r"no despierta",
            r"sigue igual",
            r"no respira",
            r"no funciono",
        ),
    ),
    (
        "how",
        _words(
            r"what do i do",
            r"what should i do",
            r"how",
            r"what now",
            r"help me",
            r"que hago",
            r"como",
            r"ayudame",
            r"steps?",
        ),
    ),
)


def overdose_stage(text: str) -> str | None:
    norm = normalize(text)
    for stage, pattern in OVERDOSE_STAGES:
        if pattern.search(norm):
            return stage
    return None


#: The overdose response for each stage.
OVERDOSE_REPLIES = {
    "ems": "utter_overdose_ems",
    "no_naloxone": "utter_overdose_no_naloxone",
    "locked": "utter_overdose_locked",
    "breathing": "utter_overdose_breathing",
    "not_waking": "utter_overdose_second_dose",
    "how": "utter_overdose_steps",
}
#: When her text says nothing clear, the next step after the last one given.
OVERDOSE_NEXT = {
    None: "how",
    "how": "not_waking",
    "no_naloxone": "not_waking",
    "locked": "how",
    "not_waking": "breathing",
    "breathing": "breathing",
}
