"""The gateway's own words: its texts (data/gateway responses, with the program's name, support
contact and message frequency filled in), the bot's crisis reply or direct question from the
same judgement the bot uses, and the holding message when the bot cannot answer."""

from __future__ import annotations

from dataclasses import dataclass

from safety.crisis import guess_language
from safety.judge import ASK, CRISIS, Judgement, SafetyJudge
from services.nlg.responses import ResponseTexts
from services.settings import Settings

LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class GatewayTexts:
    settings: Settings
    texts: ResponseTexts
    judge: SafetyJudge

    def text(self, name: str, language: str | None = None) -> str:
        s = self.settings
        return self.texts.get(f"gateway_{name}", language).format(
            program=s.tandem_program_name,
            support=s.tandem_support_contact,
            frequency=s.tandem_message_frequency,
        )

    def language_if(self, name: str, sent: str) -> str | None:
        """The language in which `sent` is gateway text `name` (spacing aside), if it is."""
        sent = " ".join(sent.split())
        for language in LANGUAGES:
            if " ".join(self.text(name, language).split()) == sent:
                return language
        return None

    def crisis_reply(
        self, text: str, *, question: bool = True, judgement: Judgement | None = None
    ) -> list[str]:
        """The bot's own first words for a crisis (the crisis reply) or a possible one (the
        direct question, with 988 or 911 in it), from the same judgement the bot uses (or the
        one the caller already made of ``text``). ``question=False``: where nobody would read
        her answer, a possible crisis gets the crisis reply's lines instead of the question."""
        judgement = judgement or self.judge.judge(text)
        crisis = judgement.level == CRISIS or (judgement.level == ASK and not question)
        if crisis and judgement.category:
            return [self.texts.get(f"utter_crisis_{judgement.category}", judgement.language)]
        if judgement.level == ASK and judgement.category:
            name = f"utter_crisis_check_{judgement.category}"
            return [self.texts.get(name, judgement.language)]
        return []

    def fallback(self, text: str) -> list[str]:
        """When the bot cannot answer: crisis help, or a short holding message."""
        return self.crisis_reply(text) or [self.text("holding", guess_language(text))]
