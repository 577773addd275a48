"""Her place in her own words: the zip or town in a reply like "im in holyoke rn", and whether
a whole reply could be a place at all (so "ok thanks" is never searched as a town)."""

import re

ZIP_RE = re.compile(r"^0[12]\d{3}$")
ZIP_IN_TEXT = re.compile(r"\b0[12]\d{3}\b")

# Words around a place in a reply like "im in holyoke rn" or "springfield ma".
_LEADING = [
    re.compile(r"^(?:vivo|estoy|estamos|vivimos)\s+(?:en|cerca de)\s+"),
    re.compile(
        r"^(?:(?:i'?m|i am|im|we'?re|we are|i|we|my|mi)\s+)?"
        r"(?:(?:live|living|stay|staying|am|is|moved|currently|now|rn)\s+)*"
        r"(?:(?:in|at|near|around|by|close to|outside of|outside|from|to)\s+)?"
        r"(?:(?:zip code|zipcode|zip|codigo postal)\s+(?:is\s+|es\s+)?)?"
    ),
]
_TRAILING = re.compile(r"(?:[\s,]+(?:ma|mass|massachusetts|area|rn|right now|pls|please|lol))+$")


def place_query(text: str) -> str:
    """The place in a free-text reply, without the words around it."""
    q = text.strip().lower().replace("\u2019", "'")
    q = re.sub(r"[.!?]+$", "", q).strip()
    for pattern in _LEADING:
        q = pattern.sub("", q, count=1).strip()
    q = _TRAILING.sub("", q).strip(" ,.")
    return q or text.strip()


# Words no town reply has: her whole message is only taken as a place when it could be one
# ("springfeld", "west side of holyoke"), never "ok thanks", "nvm" or a sentence.
_NOT_PLACE_WORDS = frozenset(
    """
    ok okay k kk thanks thank thx ty yes yeah yep no nope nah nvm nevermind never mind forget
    it that this i i'm im me my we you u your he she they can could would should will do
    does did don't dont not need want help how what why when who which reschedule appointment
    appt partner phone text texts call called about please pls sorry idk later maybe
    gracias si claro nada olvidalo
    """.split()
)
MAX_PLACE_WORDS = 4


def looks_like_place(text: str) -> bool:
    """Whether her whole reply could be a zip or a town name she typed her own way."""
    if "?" in text:
        return False
    if ZIP_IN_TEXT.search(text):
        return True
    words = re.findall(r"[a-z0-9'\-.]+", place_query(text).lower().replace("\u2019", "'"))
    return 1 <= len(words) <= MAX_PLACE_WORDS and not any(w in _NOT_PLACE_WORDS for w in words)
