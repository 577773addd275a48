"""A bare number ("2") means what the bot asked last: her pick of a place in the list she just
saw (the referral offer), or her mood after a check-in question.

Above the modules it routes to (referral, checkin) and the list she saw (choices): none of
them imports this one.
"""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.checkin import answer_mood
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


def last_question(tracker: Tracker) -> str | None:
    """ "results" or "mood": what the bot asked last that a bare number can answer."""
    for event in reversed(tracker.events or []):
        if event.get("event") != "action":
            continue
        name = event.get("name")
        if name in RESULT_ACTIONS:
            return "results"
        if name == MOOD_QUESTION:
            return "mood"
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
        if context == "results" and tracker.get_slot("last_results"):
            return await offer_referral(dispatcher, tracker, text)
        dispatcher.utter_message(response="utter_number_unclear")
        return []
