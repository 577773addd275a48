"""Shape bot text for SMS: GSM-7 characters only, at most two segments (306 characters).

The GSM-7 alphabet and segment counting are shared with the services runtime (sms_text/); what
is here is the bot's own: typographic characters replaced, accents dropped, and texts cut to a
budget.
"""

import unicodedata

from sms_text.segments import GSM7_BASIC, gsm7_length, is_gsm7

MAX_CHARS = 306  # two concatenated GSM-7 segments of 153 characters

_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2012": "-",
    "\u2212": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2022": "-",
    "\u00b7": "-",
    "\t": " ",
}


def to_gsm7(text: str) -> str:
    """Replace typographic characters and strip accents GSM-7 lacks (a -> a, not dropped)."""
    out = []
    for ch in text:
        ch = _REPLACEMENTS.get(ch, ch)
        if is_gsm7(ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append("".join(c for c in base if c in GSM7_BASIC))
    return "".join(out)


def shorten(text: str, budget: int) -> str:
    """Cut text to at most budget GSM-7 characters, on a word boundary, ending in '...'."""
    if gsm7_length(text) <= budget:
        return text
    if budget <= 3:
        return ""
    cut = text
    while gsm7_length(cut) > budget - 3:
        cut = cut[:-1]
    word_cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
    if len(word_cut) >= len(cut) // 2:
        cut = word_cut
    return cut.rstrip(" ,;:.-") + "..."
