"""The GSM-7 alphabet and how many SMS segments a text costs (GSM-7 or UCS-2), as Twilio
counts them. The one copy: the bot's actions and the services' gateway both import it."""

from __future__ import annotations

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension characters cost two septets (escape + char) and are never split across segments.
GSM7_EXTENDED = set("|^€{}[]~\\\f")


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def gsm7_length(text: str) -> int:
    """Septets the text takes in GSM-7 (an extension character takes two)."""
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)


def count_segments(text: str) -> int:
    if not text:
        return 1
    if is_gsm7(text):
        units = [2 if ch in GSM7_EXTENDED else 1 for ch in text]
        single, multi = 160, 153
    else:
        # UTF-16 code units: a character outside the BMP (most emoji) takes two, kept together.
        units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        single, multi = 70, 67
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for size in units:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments
