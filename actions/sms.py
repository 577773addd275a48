"""Shape bot text for SMS: GSM-7 characters only, at most two segments (306 characters)."""

import unicodedata

MAX_CHARS = 306  # two concatenated GSM-7 segments of 153 characters

_GSM7_BASIC = set(
    "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5"
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9"
    " !\"#\u00a4%&'()*+,-./0123456789:;<=>?"
    "\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7"
    "\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0"
)
_GSM7_EXTENDED = set("^{}\\[~]|\u20ac\f")  # each takes two characters of a segment

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


def gsm7_length(text: str) -> int:
    return sum(2 if c in _GSM7_EXTENDED else 1 for c in text)


def to_gsm7(text: str) -> str:
    """Replace typographic characters and strip accents GSM-7 lacks (a -> a, not dropped)."""
    out = []
    for ch in text:
        ch = _REPLACEMENTS.get(ch, ch)
        if all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append("".join(c for c in base if c in _GSM7_BASIC))
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in text)


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
