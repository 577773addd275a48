"""After a crisis reply: the urgent alert for staff, and her answer to "Are you safe?".

The crisis replies themselves are plain responses (domain.yml) sent before these actions run,
so they never depend on the action server or the API. The alert and the signal carry the
crisis category only, never her words.
"""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.language import SAVED_SLOT, needs_saving, save_language
from actions.signals import log_signal, raise_alert

CATEGORIES = {
    "crisis_overdose": "overdose",
    "crisis_suicide": "suicide",
    "crisis_violence": "violence",
}


class ActionCrisisAlert(Action):
    def name(self) -> str:
        return "action_crisis_alert"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        category = CATEGORIES.get(str(intent)) or str(tracker.get_slot("crisis_type") or "crisis")
        await raise_alert(tracker, "crisis", category)
        await log_signal(tracker, "crisis", category)
        # Her language, if this is her first Spanish message (held back before the reply).
        language = tracker.get_slot("language")
        if needs_saving(tracker, language) and await save_language(tracker, str(language)):
            return [SlotSet(SAVED_SLOT, language)]
        return []


class ActionMarkSafe(Action):
    """She answered "yes" to "Are you safe right now?"."""

    def name(self) -> str:
        return "action_mark_safe"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SlotSet("crisis_active", False)]
