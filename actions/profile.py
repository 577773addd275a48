"""Her name and her stage (pregnant, or postpartum with the baby's birth date) from her words.

Plain parsing of what women text ("call me jess", "22 weeks", "due 9/14", "had him 3 weeks
ago", "mi bebe tiene 2 meses"). Dates come back as ISO strings; an estimate is made when she
gives weeks or months rather than a date (a due date 40 weeks from conception, a birth date N
weeks or months ago, the 15th when she names only a month).
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from actions.sms import to_gsm7
from sms_text.loss import LOSS

MAX_NAME_CHARS = 30

_NAME_LEADS = (
    r"(?:hi|hey|hello|hola)[, ]+",
    r"my names?",
    r"my name'?s",
    r"my name is",
    r"name'?s",
    r"name is",
    r"(?:you can |u can |just |please |pls )?call me",
    r"i go by",
    r"(?:every ?one|people|they) calls? me",
    r"i'?m",
    r"i am",
    r"it'?s",
    r"its",
    r"this is",
    r"me llamo",
    r"mi nombre es",
    r"soy",
    r"me dicen",
)
_NAME_TRAILS = r"(?:[\s,.!]+(?:lol|lmao|haha|is fine|is good|works|please|pls|thanks|thx|ty|:\)))+$"
_NOT_NAMES = frozenset(
    """
    hi hey hello hola yes yeah yea yep no nope nah ok okay k kk idk what why who how skip
    none nothing help pass stop lol lmao haha sure fine good thanks thx ty maybe later
    pregnant postpartum baby mom here me you u it that this na nope not
    last bye goodbye
    """.split()
)

# Words that never are part of a name: "i need subs" is not a name.
_NOT_NAME_WORDS = frozenset(
    """
    i i'm im need needs want looking help can do does is are was the a an my your for with to
    in on at of from what where when how why who not dont don't have get got please pls
    quiero necesito que
    """.split()
)

MONTHS = {
    "jan": 1,
    "january": 1,
    "enero": 1,
    "feb": 2,
    "february": 2,
    "febrero": 2,
    "mar": 3,
    "march": 3,
    "marzo": 3,
    "apr": 4,
    "april": 4,
    "abril": 4,
    "may": 5,
    "mayo": 5,
    "jun": 6,
    "june": 6,
    "junio": 6,
    "jul": 7,
    "july": 7,
    "julio": 7,
    "aug": 8,
    "august": 8,
    "agosto": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "septiembre": 9,
    "oct": 10,
    "october": 10,
    "octubre": 10,
    "nov": 11,
    "november": 11,
    "noviembre": 11,
    "dec": 12,
    "december": 12,
    "diciembre": 12,
}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "un": 1,
    "una": 1,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "couple": 2,
    "few": 3,
}
_NUM = r"(\d{1,2}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_MONTH = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"

_PREGNANT = re.compile(
    r"\b(?:pregnant|pregnancy|preg|expecting|due|trimester|embarazada|embarazo|"
    r"weeks? along|months? along|wks? along)\b"
)
_POSTPARTUM = re.compile(
    r"\b(?:had (?:my|the|a|her|him|our) (?:baby|son|daughter|girl|boy|twins)|had (?:him|her|them)|"
    r"gave birth|delivered|born|postpartum|post partum|pp|baby came|"
    r"(?:baby|son|daughter|newborn|bebe|hijo|hija|he|she)(?:'s| is| es| tiene| turned)? "
    r"(?:\w+ )?\d*\s*(?:\w+ )?(?:days?|weeks?|wks?|months?|mos?|dias|semanas|meses)(?: old)?|"
    r"tuve a mi|ya tuve|ya naci|nacio|naci[oó]|di a luz|despues del parto)\b"
)


@dataclass(frozen=True)
class Stage:
    stage: str | None = None  # "pregnant" | "postpartum" | None
    due_date: str | None = None
    baby_birth_date: str | None = None

    def api_fields(self) -> dict[str, str]:
        """The profile fields to PATCH: only what she gave."""
        fields = (
            ("stage", self.stage),
            ("due_date", self.due_date),
            ("baby_birth_date", self.baby_birth_date),
        )
        return {name: value for name, value in fields if value}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("\u2019", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.split())


def clean_name(text: str | None) -> str | None:
    """The name in her reply ("my name's jess lol" -> "Jess"), or None if it is not a name."""
    if not text:
        return None
    t = _plain(text).strip(" .!?")
    # "danielle but call me dani": the name she wants to be called wins.
    later = re.search(r"\b(?:call me|go by|me dicen)\s+(.+)$", t)
    if later:
        t = later.group(1)
    for _ in range(2):
        for lead in _NAME_LEADS:
            t = re.sub(r"^" + lead + r"\s+", "", t)
    t = re.split(r"\s*(?:,|;|\.|!|\?| but | and | pero | y )\s*", t)[0]
    t = re.sub(_NAME_TRAILS, "", t).strip(" .!?,")
    words = t.split()
    if not 1 <= len(words) <= 3:
        return None
    if any(not re.fullmatch(r"[a-z][a-z'\-.]*", w) for w in words):
        return None
    if words[0] in _NOT_NAMES or any(w in _NOT_NAME_WORDS for w in words):
        return None
    name = " ".join(w[:1].upper() + w[1:] for w in words)
    name = to_gsm7(name).strip()
    return name if 0 < len(name) <= MAX_NAME_CHARS else None


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _explicit_date(t: str, today: date, future: bool) -> date | None:
    """9/14, 9/14/25, 09-14-2025, sept 14, 14 de septiembre, june (the 15th)."""
    m = re.search(r"\b(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2,4}))?\b", t)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        year = int(m.group(3)) if m.group(3) else today.year
        if year < 100:
            year += 2000
        found = _safe_date(year, month, day)
        if found and not m.group(3):
            found = _roll(found, today, future)
        return found
    m = re.search(r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b", t) or re.search(
        r"\b(\d{1,2})\s+de\s+" + _MONTH, t
    )
    if m:
        a, b = m.group(1), m.group(2)
        month, day = (MONTHS[a], int(b)) if a in MONTHS else (MONTHS[b], int(a))
        found = _safe_date(today.year, month, day)
        return _roll(found, today, future) if found else None
    m = re.search(r"\b(?:in|en|on|around|late|early|mid|end of|de)\s+" + _MONTH + r"(?!\w)", t)
    if m:
        return _roll(date(today.year, MONTHS[m.group(1)], 15), today, future)
    return None


def _roll(d: date, today: date, future: bool) -> date:
    """A date given without a year: the next one (a due date) or the last one (a birth)."""
    if future and d < today - timedelta(days=14):
        return _safe_date(d.year + 1, d.month, d.day) or d
    if not future and d > today + timedelta(days=1):
        return _safe_date(d.year - 1, d.month, d.day) or d
    return d


def _duration_days(t: str) -> int | None:
    """ "3 weeks", "two months", "5 dias": the span in days."""
    m = re.search(
        r"\b" + _NUM + r"\s*(?:-\s*)?(days?|dias?|weeks?|wks?|w|semanas?|months?|mos?|meses|mes)\b",
        t,
    )
    if not m:
        return None
    n = _number(m.group(1))
    if n is None:
        return None
    unit = m.group(2)
    if unit.startswith(("d",)):
        return n
    if unit.startswith(("w", "s")):
        return n * 7
    return round(n * 30.4)


def parse_stage(text: str | None, today: date | None = None) -> Stage:
    """Pregnant (and due date) or postpartum (and baby's birth date) from her reply."""
    today = today or date.today()
    t = _plain(text or "")
    if not t or LOSS.search(t):
        return Stage()
    pregnant = bool(_PREGNANT.search(t))
    postpartum = bool(_POSTPARTUM.search(t)) and not re.search(r"\bpregnant again\b", t)
    if pregnant and postpartum:
        # "due" or "pregnant" with a baby already here: she is pregnant again.
        postpartum = False
    if not pregnant and not postpartum:
        # "22 weeks", "5 months": alone, a span reads as how far along she is.
        if len(t.split()) <= 5 and _duration_days(t):
            pregnant = True
        else:
            return Stage()
    if pregnant:
        due = _explicit_date(t, today, future=True)
        if due is None:
            along = _duration_days(t)
            if along is not None and along <= 300:
                due = today + timedelta(days=280 - along)
        return Stage("pregnant", due_date=due.isoformat() if due else None)
    born = None
    if re.search(r"\byesterday\b|\bayer\b", t):
        born = today - timedelta(days=1)
    elif re.search(r"\btoday\b|\bhoy\b", t):
        born = today
    elif re.search(r"\blast week\b|\bsemana pasada\b", t):
        born = today - timedelta(days=7)
    else:
        born = _explicit_date(t, today, future=False)
        if born is None:
            age = _duration_days(t)
            if age is not None and age <= 3 * 365:
                born = today - timedelta(days=age)
    return Stage("postpartum", baby_birth_date=born.isoformat() if born else None)
