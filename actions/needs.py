"""Several needs in one text, and the one that cannot wait.

"i need a ride to the clinic and im out of subs tmrw, also daycare for my son" names three
needs; the NLU gives one intent. These functions read her words against the taxonomy's
keywords (data/taxonomy.yml) so the bot can acknowledge every need at once, start with the
urgent one, and offer the others after:

    needs_in("ride to the clinic and daycare")          # ["transportation", "childcare"]
    first_need("transportation", "im out of subs tmrw and need a ride")   # "moud"
    urgent_moud("se me acaban las tiras manana")       # True

Urgent means what she cannot go a day without: her medication running out (a supply gap:
withdrawal, and in pregnancy a risk to the baby too) and a place to sleep tonight.
"""

import re

from actions.taxonomy import load_taxonomy, mentions, normalise

# Her MOUD running out: "im out tmrw", "last strip", "se me acaban", "no me quedan".
_RUNNING_OUT = re.compile(
    r"\b(?:run(?:ning)? out|ran out|runs out"
    r"|(?:i'?m|im|almost|ill be|i'll be|gonna be) out"
    r"(?= (?:tomorrow|tmrw|tmr|today|tonight|by|on)\b|$|[.!,])"
    r"|out of (?:my )?(?:subs?|strips|films|meds|methadone|suboxone|medication|bupe|script)"
    r"|last (?:dose|strip|film|pill|one)|no (?:more )?(?:subs?|strips|meds) left"
    r"|se me (?:acab|termin)\w*|no me queda\w*|ya casi no (?:me )?queda\w*)"
)
# Nowhere to sleep tonight: "kicked out", "on the street tonight", "me botaron".
_NO_BED_TONIGHT = re.compile(
    r"\b(?:nowhere to (?:sleep|stay|go) tonight|(?:kicked|thrown) out|on the streets?(?: tonight)?"
    r"|sleeping in (?:my|the) car|me (?:botaron|echaron)|en la calle)"
)
_URGENT_ORDER = ("moud", "housing")


def _normalise(text: str) -> str:
    return " ".join(normalise(text).split())  # one space between words, for the patterns


def needs_in(text: str) -> list[str]:
    """The needs (the keys of the need_* intents: a group or a code outside any group) whose
    keywords she used, in taxonomy order, each once."""
    taxonomy = load_taxonomy()
    in_group = {c: g for g, spec in taxonomy["groups"].items() for c in spec.get("codes") or []}
    found: list[str] = []
    for code, spec in taxonomy["codes"].items():
        key = in_group.get(code, code)
        if key not in found and mentions(text, list(spec.get("keywords") or [])):
            found.append(key)
    return found


def urgent_moud(text: str) -> bool:
    """She is about to be without her medication (today or tomorrow)."""
    return bool(_RUNNING_OUT.search(_normalise(text)))


def _urgent(need: str, text: str) -> bool:
    if need == "moud":
        return urgent_moud(text)
    return need == "housing" and bool(_NO_BED_TONIGHT.search(_normalise(text)))


def first_need(need: str, text: str) -> str:
    """The need to start with: an urgent one she named, else the one the NLU read."""
    named, key = needs_in(text), need_key(need)
    for candidate in _URGENT_ORDER:
        if (candidate == key or candidate in named) and _urgent(candidate, text):
            return need if candidate == key else candidate
    return need


def need_key(need: str) -> str:
    """The need_* intent's key for a taxonomy code: its group ("moud_methadone" -> "moud")."""
    groups = load_taxonomy()["groups"]
    return next((g for g, spec in groups.items() if need in (spec.get("codes") or [])), need)


def other_needs(first: str, need: str, text: str) -> list[str]:
    """The other needs of her text, to offer after the first: the NLU's need (when the urgent
    one went first) and every other need she named."""
    rest = [need_key(n) for n in [need, *needs_in(text)]]
    return list(dict.fromkeys(n for n in rest if n != need_key(first)))
