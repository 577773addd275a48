"""Service features she asks for in her own words: "do they take masshealth" -> "masshealth".

Keys are the feature keys of data/taxonomy.yml ("features"); the words are matched as whole
words in her lowercased text, accents removed.
"""

import re
import unicodedata

FEATURE_WORDS: dict[str, tuple[str, ...]] = {
    "masshealth": (
        "masshealth", "mass health", "masshealt", "medicaid", "insurance", "my insurance",
        "caresource", "bmc healthnet", "tufts together",
    ),
    "childcare_onsite": (
        "childcare", "child care", "daycare", "day care", "bring my kids", "bring my kid",
        "bring my baby", "bring the baby", "bring the kids", "kids can come", "babysitting",
        "watch my kids", "watch the kids", "watch my baby",
    ),
    "transport_help": (
        "ride", "rides", "transport", "transportation", "van", "pick me up", "pick up",
        "give rides", "help with rides",
    ),
    "perinatal": (
        "pregnant", "pregnancy", "moms", "mothers", "new moms", "perinatal", "for moms",
        "mamas", "embarazadas",
    ),
    "women_only": (
        "women only", "only women", "women-only", "just women", "all women", "female only",
        "womens program", "women's program", "solo mujeres",
    ),
    "evening_hours": (
        "evening", "evenings", "night", "nights", "at night", "late", "open late", "after 5",
        "after 6", "after work", "after five", "noche", "tarde",
    ),
    "weekend_hours": (
        "weekend", "weekends", "saturday", "saturdays", "sunday", "sundays", "sat", "sun",
        "fin de semana", "sabado",
    ),
    "telehealth": (
        "telehealth", "video", "online", "virtual", "virtually", "zoom", "over the phone",
        "by phone", "telemedicine", "from home",
    ),
    "spanish": ("spanish", "espanol", "habla espanol", "hablan espanol", "en espanol", "latina"),
    "walk_in": (
        "walk in", "walk-in", "walk ins", "walk-ins", "walkin", "walkins", "walk into",
        "without an appointment", "no appointment", "just show up", "just walk in",
    ),
    "same_week_intake": (
        "this week", "same week", "asap", "right away", "fast", "soon", "quick", "quickly",
        "today", "tomorrow", "right now", "rn", "take me fast", "esta semana",
    ),
}

# "show all", "drop the filters": back to the whole list.
CLEAR_WORDS = (
    "show all", "all of them", "all again", "drop the filter", "drop the filters",
    "no filter", "no filters", "clear", "reset", "any of them", "doesnt matter",
    "doesn't matter", "dont care", "don't care", "todos",
)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("\u2019", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w'\- ]+", " ", text).split())


def _has(text: str, phrase: str) -> bool:
    return re.search(r"(?<![\w'])" + re.escape(phrase) + r"(?![\w'])", text) is not None


def features_in(text: str | None) -> list[str]:
    """The feature keys she named, in taxonomy order."""
    norm = _normalise(text or "")
    return [key for key, words in FEATURE_WORDS.items() if any(_has(norm, w) for w in words)]


def wants_all(text: str | None) -> bool:
    """She asked to see every place again, without filters."""
    norm = _normalise(text or "")
    return any(_has(norm, w) for w in CLEAR_WORDS)
