"""What she gets when the bot cannot answer: crisis help from the one crisis matcher, or a
short holding message that still names 911 and 988."""

from __future__ import annotations

from safety.crisis import CrisisLexicon

from services.nlg.responses import ResponseTexts


def fallback_replies(
    text: str, lexicon: CrisisLexicon, texts: ResponseTexts
) -> tuple[str, list[str]]:
    """(reason, replies) for a message the bot could not answer."""
    match = lexicon.match(text)
    if match is not None:
        return match.intent, [texts.get(match.response)]
    return "holding", [texts.get("gateway_holding")]
