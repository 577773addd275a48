"""Details about one place in the list she saw ("tell me about #2"): address, phone, hours,
what intake is like, what to bring and what it costs, from the services API, in her language
(the `language` slot: the API's days and labels, and the words around them)."""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.client import ApiError, TandemApi
from actions.choices import DETAILS_SLOT, number_in, shown_results
from actions.result_messages import details_messages, language_of


async def send_details(
    dispatcher: CollectingDispatcher, tracker: Tracker, choice: int | str | None
) -> list[EventType]:
    shown = shown_results(tracker)
    if not shown:
        dispatcher.utter_message(response="utter_details_no_list")
        return []
    n = len(shown) if choice == "last" else choice
    if not isinstance(n, int) or not 1 <= n <= len(shown):
        dispatcher.utter_message(response="utter_details_which")
        return []
    service_id, _, location_id = shown[n - 1].partition("|")
    if not service_id:
        dispatcher.utter_message(response="utter_details_unavailable")
        return []
    language = language_of(tracker.get_slot("language"))
    try:
        details = await TandemApi().service_details(service_id, location_id or None, language)
    except ApiError:
        dispatcher.utter_message(response="utter_details_unavailable")
        return []
    for message in details_messages(n, details, language):
        dispatcher.utter_message(text=message)
    # "i want that one" next picks this place (actions/choices.py, picked_place).
    return [SlotSet(DETAILS_SLOT, float(n))]


class ActionServiceDetails(Action):
    """ "tell me about #2": address, hours, what to expect at intake, what to bring."""

    def name(self) -> str:
        return "action_service_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choice = number_in(tracker.latest_message.get("text") or "")
        return await send_details(dispatcher, tracker, choice)
