"""Finding services near her: the find_services_form validation, the search, MORE, filters
("do they take masshealth"), and the form letting go of a question answered by something else.

The services API does the work (place resolution, directory search, labels, the one-line
"why" of each result); these actions only shape its answers into SMS-sized messages
(actions/result_messages.py) and keep what she saw (slots search_offset, search_features,
last_results). Details about one place: actions/service_details.py; her pick of one:
actions/choices.py, actions/referral.py and, for a bare number, actions/bare_number.py.
"""

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.client import ApiError, TandemApi
from actions.checkin import offer_need
from actions.features import features_in, wants_all
from actions.knowledge_base import load_knowledge
from actions.needs import first_need, need_key, other_needs, urgent_moud
from actions.place_text import ZIP_IN_TEXT, ZIP_RE, place_query
from actions.result_messages import (
    footer,
    language_of,
    result_key,
    result_message,
    search_header,
)
from actions.signals import log_signal
from actions.sms import shorten, to_gsm7
from actions.taxonomy import join_labels, label_of, refine_need

logger = logging.getLogger(__name__)

PAGE_SIZE = 3
# The needs she named, listed back to her in one text (utter_many_needs), at most this long.
MAX_LABELS = 100
# The directory covers Massachusetts; a place in another state is not "near" anything in it.
SERVED_STATE = "MA"

# Features taken from the message that starts a search ("a sub doctor that takes
# masshealth"). The others are words a need itself uses ("i need a ride", "childcare",
# "pregnant", "asap") and only count in a follow-up filter.
FEATURES_IN_A_NEW_SEARCH = ("masshealth", "spanish", "telehealth", "walk_in", "women_only")


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
        """Narrow a group to a code from her words: "moud" + "suboxone" -> "moud_buprenorphine".
        A text with several needs starts with the urgent one (her medication running out:
        first what to do today) and keeps the others to offer after the results."""
        text = tracker.latest_message.get("text") or ""
        if not slot_value:
            return {"need": None}
        need, language = str(slot_value), language_of(tracker.get_slot("language"))
        first = first_need(need, text)
        rest = other_needs(first, need, text)
        if (tracker.latest_message.get("intent") or {}).get("name") == "affirm":
            # Her yes to the next need offered after a search: the rest stay to come.
            pending = [str(n) for n in tracker.get_slot("next_needs") or []]
            rest = [n for n in pending if need_key(n) != need_key(first)]
        if need_key(first) == "moud" and urgent_moud(text):
            # What to do today comes before any list of places.
            dispatcher.utter_message(text=load_knowledge().get("pharmacy_gap").answer[language])
        if rest:
            dispatcher.utter_message(
                response="utter_many_needs",
                need_labels=shorten(to_gsm7(join_labels([first, *rest], language)), MAX_LABELS),
                first_label=to_gsm7(label_of(first, language)),
            )
        return {"need": refine_need(first, text), "next_needs": rest}

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
            zip_in_text = ZIP_IN_TEXT.search(raw)
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
        if place.get("state") and place["state"] != SERVED_STATE:
            # Places "near" a Connecticut zip would be Massachusetts ones miles away: say what
            # Tandem covers and where to look instead; a Massachusetts town still works.
            dispatcher.utter_message(response="utter_out_of_area")
            return {"location": None}
        if ZIP_RE.match(query) and place.get("zip"):
            return {"location": str(place["zip"])}
        return {"location": str(place.get("town") or place.get("zip") or query)}


async def search_and_send(
    dispatcher: CollectingDispatcher,
    need: str,
    location: str,
    offset: int,
    features: list[str] | None = None,
    language: str = "en",
) -> tuple[bool, list[EventType], list[str]]:
    """Send one page of results as SMS messages, in her language ("en" or "es").

    Returns whether any result was shown, slot events (a place or need the API did not know
    is cleared, so that the rules ask for it again), and the shown places' keys.
    """
    features = list(features or [])
    try:
        data = await TandemApi().search_services(
            need, location, PAGE_SIZE, offset, features, language
        )
    except ApiError as err:
        if err.code == "place_not_found":
            dispatcher.utter_message(response="utter_location_not_found")
            return False, [SlotSet("location", None)], []
        if err.code == "unknown_need":
            dispatcher.utter_message(response="utter_ask_need")
            return False, [SlotSet("need", None)], []
        if err.code in ("unknown_feature", "invalid_field") and features:
            # The API does not know a filter yet: show the whole list rather than nothing.
            return await search_and_send(dispatcher, need, location, offset, [], language)
        dispatcher.utter_message(response="utter_search_unavailable")
        return False, [], []

    results = [r for r in data.get("results") or [] if isinstance(r, dict)]
    if not results:
        if offset == 0 and features:
            dispatcher.utter_message(response="utter_no_filtered_services")
        elif offset == 0:
            dispatcher.utter_message(response="utter_no_services_found")
        else:
            dispatcher.utter_message(response="utter_no_more_services")
        return False, [], []

    town = str((data.get("place") or {}).get("town") or location)
    label = str((data.get("need") or {}).get("label") or label_of(need, language))
    dispatcher.utter_message(text=search_header(town, label, features, language))
    for i, result in enumerate(results):
        dispatcher.utter_message(text=result_message(offset + i + 1, result, language))

    # The API's `more`, not its `total` (which may count only the services found so far).
    dispatcher.utter_message(text=footer(data.get("more") is True, language))
    return True, [], [result_key(r) for r in results]


def ask_for_missing(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """Events that get her need or place when one is missing; None when both are known."""
    if not tracker.get_slot("need"):
        dispatcher.utter_message(response="utter_ask_need")
        return []
    if not tracker.get_slot("location"):
        return [FollowupAction("find_services_form")]
    return None


def _features(tracker: Tracker) -> list[str]:
    value = tracker.get_slot("search_features")
    return [str(f) for f in value] if isinstance(value, list) else []


async def first_page(
    dispatcher: CollectingDispatcher, tracker: Tracker, features: list[str]
) -> list[EventType]:
    """The first page of her search with these features, and the slots that remember it."""
    need, location = str(tracker.get_slot("need")), str(tracker.get_slot("location"))
    language = language_of(tracker.get_slot("language"))
    shown, events, keys = await search_and_send(dispatcher, need, location, 0, features, language)
    return [
        SlotSet("search_offset", 0.0),
        SlotSet("search_features", features),
        SlotSet("last_results", keys if shown else []),
        SlotSet("details_shown", None),
        *events,
    ]


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
        text = tracker.latest_message.get("text") or ""
        features = [f for f in features_in(text) if f in FEATURES_IN_A_NEW_SEARCH]
        events = await first_page(dispatcher, tracker, features)
        await log_signal(tracker, "need_expressed", str(tracker.get_slot("need")))
        return events + offer_next_need(dispatcher, tracker)


def offer_next_need(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """After the results for one of her needs, the next one she named, as an offer."""
    pending = [str(n) for n in tracker.get_slot("next_needs") or []]
    if not pending:
        return []
    language = language_of(tracker.get_slot("language"))
    dispatcher.utter_message(
        response="utter_offer_next_need", need_label=to_gsm7(label_of(pending[0], language))
    )
    return [*offer_need(pending[0]), SlotSet("next_needs", pending[1:])]


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
        shown, events, keys = await search_and_send(
            dispatcher,
            str(need),
            str(location),
            offset,
            _features(tracker),
            language_of(tracker.get_slot("language")),
        )
        if shown:
            seen = [str(k) for k in tracker.get_slot("last_results") or []][:offset]
            seen += [""] * (offset - len(seen))  # keep "#4" the fourth place she saw
            events.append(SlotSet("search_offset", float(offset)))
            events.append(SlotSet("last_results", seen + keys))
        return events


class ActionFilterServices(Action):
    """ "do they take masshealth", "one with childcare", "en espanol": the same search again,
    narrowed to places with those features (added to the ones she asked for before);
    "show all" drops them."""

    def name(self) -> str:
        return "action_filter_services"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        if wants_all(text):
            features: list[str] = []
        else:
            asked = features_in(text)
            if not asked:
                dispatcher.utter_message(response="utter_filter_which")
                return []
            features = list(dict.fromkeys(_features(tracker) + asked))
        missing = ask_for_missing(dispatcher, tracker)
        if missing is not None:
            return [SlotSet("search_features", features), *missing]
        return await first_page(dispatcher, tracker, features)


# utter_resume_search's {place}, in her language.
_NEAR = {"en": " near {place}", "es": " cerca de {place}"}

# Her message closed the matter: nothing to ask back.
CLOSING_INTENTS = frozenset({"thanks", "goodbye", "deny", "affirm"})


class ActionPauseForm(Action):
    """The form's question got a reply that answers something else; that was answered
    (bot/pause_policy.py). The form lets go, and asks once whether she still wants the
    search, unless her reply closed it ("ok thanks", "nvm") or the answer just offered her
    something. Her "yes" re-opens it (the offer slot); a zip or town searches right away."""

    def name(self) -> str:
        return "action_pause_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None)]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        need = tracker.get_slot("need")
        busy = tracker.get_slot("offer") not in (None, "none") or tracker.get_slot(
            "consent_pending"
        )
        if intent in CLOSING_INTENTS or busy or not need:
            return events
        location = tracker.get_slot("location")
        language = language_of(tracker.get_slot("language"))
        place = _NEAR[language].format(place=to_gsm7(str(location))) if location else ""
        dispatcher.utter_message(
            response="utter_resume_search" if location else "utter_resume_search_place",
            need_label=to_gsm7(label_of(str(need), language)),
            place=place,
        )
        return [*events, SlotSet("offer", "need"), SlotSet("offered", str(need))]
