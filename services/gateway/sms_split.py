"""Segment-aware splitting and trimming of long texts for SMS.

Each part is sized with `count_segments`, so a part is measured in its own encoding: a long
GSM-7 text whose only emoji sits near the end keeps its first parts in GSM-7. Parts end at a
sentence end when one is close to the limit, else at a word boundary; a word is only cut when
it alone is too long, and then never inside a character cluster (an emoji with its modifiers,
a ZWJ sequence, a flag, a letter with its combining marks). Python strings index code points,
so a surrogate pair or a GSM-7 escape pair (one character, two septets) is never split either.
"""

from __future__ import annotations

import re
import unicodedata

from sms_text.segments import count_segments

ELLIPSIS = "..."
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_ZWJ = "\u200d"


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _extends_previous(ch: str) -> bool:
    """Characters that belong to the cluster before them."""
    code = ord(ch)
    return (
        ch == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors (e.g. the emoji presentation one)
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")  # combining marks, keycap
    )


def is_cluster_boundary(text: str, index: int) -> bool:
    """May `text` be cut between text[index - 1] and text[index]?"""
    if index <= 0 or index >= len(text):
        return True
    before, after = text[index - 1], text[index]
    if before == "\r" and after == "\n":
        return False
    if before == _ZWJ or _extends_previous(after):
        return False
    if _is_regional_indicator(before) and _is_regional_indicator(after):
        # Flags are pairs of regional indicators: cut only after an even run of them.
        run = 0
        while index - 1 - run >= 0 and _is_regional_indicator(text[index - 1 - run]):
            run += 1
        return run % 2 == 0
    return True


def _longest_fitting(text: str, max_segments: int, suffix: str = "") -> int:
    """The largest n such that text[:n] + suffix fits in max_segments (0 if none does)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if count_segments(text[:middle] + suffix) <= max_segments:
            low = middle
        else:
            high = middle - 1
    return low


def _hard_cut(text: str, limit: int) -> int:
    for index in range(limit, 0, -1):
        if is_cluster_boundary(text, index):
            return index
    return max(limit, 1)  # one cluster longer than the limit: nothing better exists


def _word_cut(text: str, limit: int) -> int | None:
    """The last cut at or before `limit` that falls on whitespace, after some text."""
    for index in range(limit, 0, -1):
        if text[index].isspace() and text[:index].strip():
            return index
    return None


def _sentence_cut(text: str, limit: int) -> int | None:
    """The last sentence or line end at or before `limit`, if it is not too far back."""
    for index in range(limit, limit // 2, -1):
        if not text[index].isspace():
            continue
        head = text[:index].rstrip()
        if head and (text[index] == "\n" or _SENTENCE_END.search(head)):
            return index
    return None


def split_for_sms(text: str, max_segments: int = 2) -> list[str]:
    """Split `text` into parts of at most `max_segments` segments each ([] for blank text)."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if count_segments(rest) <= max_segments:
            parts.append(rest)
            break
        limit = _longest_fitting(rest, max_segments)  # < len(rest)
        cut = _sentence_cut(rest, limit) or _word_cut(rest, limit) or _hard_cut(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


def trim_for_sms(text: str, max_segments: int = 2) -> str:
    """`text` if it fits in `max_segments`, else cut at a word boundary and ended with '...'."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    text = text.strip()
    if count_segments(text) <= max_segments:
        return text
    limit = _longest_fitting(text, max_segments, ELLIPSIS)
    cut = _word_cut(text, limit) if limit < len(text) else None
    head = text[: cut or _hard_cut(text, limit)].rstrip().rstrip(".,;:-").rstrip()
    if not head:
        head = text[: _hard_cut(text, limit)]
    return head + ELLIPSIS
