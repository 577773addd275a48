"""Finding services near her: the find_services_form validation and the search actions.

The services API does the work (place resolution, directory search, labels, the one-line
"why" of each result); these actions only shape its answers into SMS-sized messages.
"""

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.client import ApiError, TandemApi
from actions.sms import MAX_CHARS, gsm7_length, shorten, to_gsm7
from actions.taxonomy import refine_need

logger = logging.getLogger(__name__)

PAGE_SIZE = 3
ZIP_RE = re.compile(r"^0[12]\d{3}$")
_ZIP_IN_TEXT = re.compile(r"\b0[12]\d{3}\b")

FOOTER_MORE = "Text MORE for more, or tell me another kind of help."
FOOTER_LAST = "Tell me another kind of help, or another town."

# Words around a place in a reply like "im in holyoke rn" or "springfield ma".
_LEADING = [
    re.compile(r"^(?:vivo|estoy|estamos|vivimos)\s+(?:en|cerca de)\s+"),
    re.compile(
        r"^(?:(?:i'?m|i am|im|we'?re|we are|i|we|my|mi)\s+)?"
        r"(?:(?:live|living|stay|staying|am|is|moved|currently|now|rn)\s+)*"
        r"(?:(?:in|at|near|around|by|close to|outside of|outside|from|to)\s+)?"
        r"(?:(?:zip code|zipcode|zip|codigo postal)\s+(?:is\s+|es\s+)?)?"
    ),
]
_TRAILING = re.compile(r"(?:[\s,]+(?:ma|mass|massachusetts|area|rn|right now|pls|please|lol))+$")


def place_query(text: str) -> str:
    """The place in a free-text reply, without the words around it."""
    q = text.strip().lower().replace("\u2019", "'")
    q = re.sub(r"[.!?]+$", "", q).strip()
    for pattern in _LEADING:
        q = pattern.sub("", q, count=1).strip()
    q = _TRAILING.sub("", q).strip(" ,.")
    return q or text.strip()


def _entity_value(tracker: Tracker, entity: str) -> str | None:
    values = [
        e.get("value")
        for e in tracker.latest_message.get("entities") or []
        if e.get("entity") == entity and e.get("value")
    ]
    return str(values[-1]) if values else None


class ValidateFindServicesForm(FormValidationAction):
    def name(self) -> str:
        return "validate_find_services_form"

    async def validate_need(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Narrow a group to a code from her words: "moud" + "suboxone" -> "moud_buprenorphine"."""
        text = tracker.latest_message.get("text") or ""
        return {"need": refine_need(str(slot_value) if slot_value else None, text)}

    async def validate_location(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Resolve her place through the API: her zip, or the town's name ("Springfield")."""
        if not slot_value:
            return {"location": None}
        raw = str(slot_value).strip()
        query = raw
        if raw == (tracker.latest_message.get("text") or "").strip():
            # Her whole reply (from_text): prefer a zip or town the NLU found in it.
            zip_in_text = _ZIP_IN_TEXT.search(raw)
            query = (
                _entity_value(tracker, "zip")
                or _entity_value(tracker, "town")
                or (zip_in_text.group(0) if zip_in_text else None)
                or place_query(raw)
            )
        try:
            place = await TandemApi().resolve_place(query)
        except ApiError as err:
            if err.status in (400, 404):
                dispatcher.utter_message(response="utter_location_not_found")
                return {"location": None}
            # The API is down: keep what she said; the search will report the problem.
            return {"location": query}
        if ZIP_RE.match(query) and place.get("zip"):
            return {"location": str(place["zip"])}
        return {"location": str(place.get("town") or place.get("zip") or query)}


def _result_message(n: int, result: dict[str, Any]) -> str:
    name = to_gsm7(str(result.get("name") or "A service")).strip()
    town = to_gsm7(str(result.get("town") or "")).strip()
    phone = to_gsm7(str(result.get("phone") or "")).strip()
    why = to_gsm7(str(result.get("why") or "")).strip()

    head = f"{n}) {name}" + (f", {town}" if town else "") + "."
    call = f" Call {phone}." if phone else ""
    if gsm7_length(head + call) > MAX_CHARS - 20:  # a very long name: keep number and phone
        head = shorten(head, MAX_CHARS - 20 - gsm7_length(call))
    text = head + call
    if why:
        budget = MAX_CHARS - gsm7_length(text) - 1
        if budget > 10:
            text += " " + shorten(why, budget)
    return text


async def search_and_send(
    dispatcher: CollectingDispatcher, need: str, location: str, offset: int
) -> tuple[bool, list[EventType]]:
    """Send one page of results as SMS messages.

    Returns whether any result was shown, and slot events: a place or need the API did not
    know is cleared, so that the rules ask for it again.
    """
    try:
        data = await TandemApi().search_services(need, location, PAGE_SIZE, offset)
    except ApiError as err:
        if err.code == "place_not_found":
            dispatcher.utter_message(response="utter_location_not_found")
            return False, [SlotSet("location", None)]
        if err.code == "unknown_need":
            dispatcher.utter_message(response="utter_ask_need")
            return False, [SlotSet("need", None)]
        dispatcher.utter_message(response="utter_search_unavailable")
        return False, []

    results = [r for r in data.get("results") or [] if isinstance(r, dict)]
    if not results:
        if offset == 0:
            dispatcher.utter_message(response="utter_no_services_found")
        else:
            dispatcher.utter_message(response="utter_no_more_services")
        return False, []

    place = data.get("place") or {}
    town = to_gsm7(str(place.get("town") or location)).strip()
    label = to_gsm7(str((data.get("need") or {}).get("label") or need.replace("_", " ")))
    dispatcher.utter_message(text=shorten(f"Here are places near {town} for {label}:", MAX_CHARS))
    for i, result in enumerate(results):
        dispatcher.utter_message(text=_result_message(offset + i + 1, result))

    total = data.get("total")
    shown = offset + len(results)
    more = total > shown if isinstance(total, int) else len(results) >= PAGE_SIZE
    dispatcher.utter_message(text=FOOTER_MORE if more else FOOTER_LAST)
    return True, []


def ask_for_missing(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """Events that get her need or place when one is missing; None when both are known."""
    if not tracker.get_slot("need"):
        dispatcher.utter_message(response="utter_ask_need")
        return []
    if not tracker.get_slot("location"):
        return [FollowupAction("find_services_form")]
    return None


class ActionSearchServices(Action):
    """Runs when find_services_form is complete: the first page of results."""

    def name(self) -> str:
        return "action_search_services"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        missing = ask_for_missing(dispatcher, tracker)
        if missing is not None:
            return [SlotSet("search_offset", 0.0), *missing]
        need, location = tracker.get_slot("need"), tracker.get_slot("location")
        _, events = await search_and_send(dispatcher, str(need), str(location), 0)
        return [SlotSet("search_offset", 0.0), *events]


class ActionMoreServices(Action):
    """MORE: the next page of the same search."""

    def name(self) -> str:
        return "action_more_services"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        missing = ask_for_missing(dispatcher, tracker)
        if missing is not None:
            return missing
        need, location = tracker.get_slot("need"), tracker.get_slot("location")
        try:
            offset = int(float(tracker.get_slot("search_offset") or 0)) + PAGE_SIZE
        except (TypeError, ValueError):
            offset = PAGE_SIZE
        shown, events = await search_and_send(dispatcher, str(need), str(location), offset)
        if shown:
            events.append(SlotSet("search_offset", float(offset)))
        return events
