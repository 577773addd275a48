"""What Rasa checks on every message of hers, before any policy or action runs
(action_validate_slot_mappings, a global ValidationAction):

- the one-line intro on first contact (who Tandem is, not an emergency service, STOP), before
  the answer to her first message, whatever it asks: so no rule has to be copied per intent
  to put the intro in front of it. A greeting gets the full welcome instead (action_greet),
  a crisis the crisis reply with nothing before it; after a crisis first message the intro
  waits for her next conversation;
- her need from the need_* intent she used, "need_moud" -> "moud" (extract_need): one
  mapping for every need, named in data/taxonomy.yml, instead of one slot mapping per intent;
- her place (the location slot's custom mapping, extract_location): a town the NLU found in a
  message about a place or a need, and her whole reply only when it could be one: "ok thanks",
  "nvm" or a question about rescheduling is answered as itself;
- her language on her profile.

Her language on her profile: the first time a message of hers reads as Spanish
(bot.language.LanguageDetector sets the `language` slot), it is saved once with
PATCH /api/clients/{id}, so that staff and later proactive messages know.

action_validate_slot_mappings runs after every message of hers (Rasa's action_extract_slots
calls it with the slots her message set). It never holds up a crisis reply: on a crisis
message it does nothing, and action_crisis_alert saves the language after the crisis reply.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.api.client import ApiError, TandemApi
from actions.place_text import looks_like_place
from actions.taxonomy import need_of_intent
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


# Not her first contact's message to introduce: the welcome has its own action, a crisis
# its own reply; the others only ever come after Tandem has texted her.
# Intents of a reply that may be her place typed her own way ("springfeld", "by the mall in
# holyoke"): never a crisis, a question, thanks or "nvm".
PLACE_INTENTS = frozenset({"inform_location", "nlu_fallback"})
# Towns only from messages about a place (or a need, below): some town names are also
# people's names (Sharon, Florence) and must not quietly set her place.
TOWN_INTENTS = frozenset({"inform_location"})
ZIP_LIKE = re.compile(r"\d{5}(?:-\d{4})?")
NO_INTRO_INTENTS = frozenset(
    {"greet", "checkin_start", "inform_safe", "EXTERNAL_check_in", *CRISIS_INTENTS}
)


def first_message_of_conversation(tracker: Tracker) -> bool:
    """Whether her latest message is her first since the conversation (session) started."""
    users = 0
    for event in reversed(tracker.events or []):
        if event.get("event") == "session_started":
            break
        if event.get("event") == "user":
            users += 1
    return users == 1


def needs_intro(tracker: Tracker) -> bool:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return not (
        tracker.get_slot("introduced")
        or intent in NO_INTRO_INTENTS
        or tracker.get_slot("crisis_active")
        or tracker.get_slot("crisis_asked")
        or not first_message_of_conversation(tracker)
    )


class ValidateSlotMappings(ValidationAction):
    """Global slot validation (action_validate_slot_mappings): the intro on first contact,
    her place only from a reply that could be one, her language."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not needs_intro(tracker):
            return await super().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_intro")  # before anything else she hears
        events = await super().run(dispatcher, tracker, domain)
        return [*events, SlotSet("introduced", True)]

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return ["language", "need", "location"]

    async def extract_need(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The taxonomy key her need_* intent names; no conditions: a new need replaces the
        old one. validate_find_services_form narrows a group from her words."""
        need = need_of_intent((tracker.latest_message.get("intent") or {}).get("name"))
        return {"need": need} if need else {}

    async def validate_need(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Narrowed by the form (validate_find_services_form), which reads her words."""
        return {"need": slot_value}

    async def extract_location(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Her place: a zip the NLU found is the zip mapping's (it wins). A town it found, from
        a message about a place or a need, at any time. Else her whole reply, while the
        services form asks for it, only when it reads as one: a place message or one the NLU
        is unsure of, and words a place could have. Anything else leaves the slot alone, so
        the form steps aside and her message is answered."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        entities = tracker.latest_message.get("entities") or []
        if any(e.get("entity") == "zip" for e in entities):
            return {}
        towns = [e.get("value") for e in entities if e.get("entity") == "town" and e.get("value")]
        if towns:
            about_a_place = intent in TOWN_INTENTS or need_of_intent(intent) is not None
            return {"location": towns[-1]} if about_a_place else {}
        if tracker.active_loop.get("name") != "find_services_form":
            return {}
        if tracker.get_slot("requested_slot") != "location":
            return {}
        text = (tracker.latest_message.get("text") or "").strip()
        if not text or intent in CRISIS_INTENTS:
            return {}
        if intent not in PLACE_INTENTS and not ZIP_LIKE.fullmatch(text):
            return {}  # a bare 5-digit number is a zip here, even one out of state
        return {"location": text} if looks_like_place(text) else {}

    async def validate_location(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Resolved by the form (validate_find_services_form), which knows her need."""
        return {"location": slot_value}

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
