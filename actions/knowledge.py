"""Answers to practical questions (intent ask_info) from the knowledge base
(actions/knowledge_base.py, data/knowledge/answers.yml): dose changes, take-homes, pharmacy
gaps, NOWS, breastfeeding on MOUD, MassHealth rides...

Below the matcher's threshold the bot says honestly that it doesn't have that answer, points
her to her clinic or prescriber, and offers a case manager. An entry's `offer` (a service
code) follows the answer as a question; her "yes" starts that search (the offer slot,
data/rules/support.yml).
"""

from __future__ import annotations

from collections.abc import Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.checkin import offer_need
from actions.knowledge_base import index
from actions.support import offer_human


def language_of(tracker: Tracker) -> str:
    return "es" if tracker.get_slot("language") == "es" else "en"


class ActionAnswerQuestion(Action):
    """A practical question: the knowledge base's answer and its offer, or an honest "I don't
    have that answer" with her clinic, her prescriber and a case manager."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        entry, _score = index().match(text)
        if entry is None:
            dispatcher.utter_message(response="utter_knowledge_no_answer")
            return offer_human()
        lang = language_of(tracker)
        dispatcher.utter_message(text=entry.answer[lang])
        if entry.offer and entry.offer_text:
            dispatcher.utter_message(text=entry.offer_text[lang])
            return offer_need(entry.offer)
        return []


def answer_for(text: str, language: str = "en") -> Sequence[str]:
    """The texts the bot would send for this question (tests and the benchmark)."""
    entry, _ = index().match(text)
    if entry is None:
        return []
    out = [entry.answer[language]]
    if entry.offer_text:
        out.append(entry.offer_text[language])
    return out
