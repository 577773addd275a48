"""A bare number ("2") means what the bot asked last: her pick of a place in the list she just
saw (the referral offer), her mood after a check-in question, or "1" (a good time to talk)
after a discreet check-in.

Above the modules it routes to (referral, checkin) and the list she saw (choices): none of
them imports this one.
"""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.checkin import (
    ASKED,
    CHECK_IN_SLOT,
    DISCREET,
    KIND_SLOT,
    MOOD_KINDS,
    NOTE_ACTION,
    REPLY_ACTION,
    answer_check_in,
    answer_mood,
)
from actions.choices import number_in
from actions.referral import offer_referral

# Actions after which a bare number is a place in the list; the check-in question after
# which it is her mood.
RESULT_ACTIONS = frozenset(
    {
        "action_search_services",
        "action_more_services",
        "action_filter_services",
        "action_service_details",
        "action_accept_offer",
    }
)
MOOD_QUESTION = "utter_checkin_ask_mood"
# A check-in the scheduler sent (the slots say which, and whether it was the discreet one).
CHECK_IN_ACTIONS = frozenset({NOTE_ACTION, REPLY_ACTION})


def last_question(tracker: Tracker) -> str | None:
    """ "results", "mood" or "check_in": what the bot asked last that a bare number can
    answer."""
    for event in reversed(tracker.events or []):
        if event.get("event") != "action":
            continue
        name = event.get("name")
        if name in RESULT_ACTIONS:
            return "results"
        if name == MOOD_QUESTION:
            return "mood"
        if name in CHECK_IN_ACTIONS:
            return "check_in"
    return None


class ActionHandleNumber(Action):
    """A bare "2": her pick of a place in the list she just saw (the referral offer), or her
    mood after a check-in question."""

    def name(self) -> str:
        return "action_handle_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        choice = number_in(text)
        context = last_question(tracker)
        if context == "mood" and isinstance(choice, int) and 1 <= choice <= 5:
            return await answer_mood(dispatcher, tracker, choice)
        if context == "check_in" and isinstance(choice, int):
            state = tracker.get_slot(CHECK_IN_SLOT)
            if state == DISCREET and choice == 1:
                return await answer_check_in(dispatcher, tracker, yes=True)
            if state == ASKED and tracker.get_slot(KIND_SLOT) in MOOD_KINDS and 1 <= choice <= 5:
                return await answer_check_in(dispatcher, tracker, yes=True, mood=choice)
        if context == "results" and tracker.get_slot("last_results"):
            return await offer_referral(dispatcher, tracker, text)
        dispatcher.utter_message(response="utter_number_unclear")
        return []
