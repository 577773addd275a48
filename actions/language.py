"""Her language on her profile: the first time a message of hers reads as Spanish
(bot.language.LanguageDetector sets the `language` slot), it is saved once with
PATCH /api/clients/{id}, so that staff and later proactive messages know.

action_validate_slot_mappings runs after every message of hers (Rasa's action_extract_slots
calls it with the slots her message set). It never holds up a crisis reply: on a crisis
message it does nothing, and action_crisis_alert saves the language after the crisis reply.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.api.client import ApiError, TandemApi
from safety.judge import CRISIS_INTENTS

SAVED_SLOT = "language_saved"
# Short: it runs before the bot answers her message.
SAVE_TIMEOUT_S = 2.0


async def save_language(tracker: Tracker, language: str) -> bool:
    """PATCH her profile's language; whether it worked."""
    try:
        await TandemApi(timeout_s=SAVE_TIMEOUT_S).update_client(
            tracker.sender_id, language=language
        )
        return True
    except ApiError:
        return False


def needs_saving(tracker: Tracker, language: Any) -> bool:
    return language == "es" and tracker.get_slot(SAVED_SLOT) != language


class ValidateSlotMappings(ValidationAction):
    """Global slot validation (action_validate_slot_mappings): only the language slot."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return ["language"]

    async def validate_language(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in CRISIS_INTENTS or not needs_saving(tracker, slot_value):
            return {"language": slot_value}
        if await save_language(tracker, str(slot_value)):
            return {"language": slot_value, SAVED_SLOT: slot_value}
        return {"language": slot_value}  # tried again on her next Spanish message
