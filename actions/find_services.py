"""Finding services near her: the find_services_form validation, the search, MORE, filters
("do they take masshealth"), details ("tell me about #2") and a bare number (after results, her
pick of a place: actions/referral.py offers the referral).

The services API does the work (place resolution, directory search, labels, the one-line
"why" of each result, a service's details); these actions only shape its answers into
SMS-sized messages and keep what she saw (slots search_offset, search_features, last_results).
"""

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.client import ApiError, TandemApi
from actions.checkin import answer_mood
from actions.features import features_in, wants_all
from actions.signals import log_signal
from actions.sms import MAX_CHARS, gsm7_length, shorten, to_gsm7
from actions.taxonomy import feature_label, label_of, refine_need

logger = logging.getLogger(__name__)

PAGE_SIZE = 3
# The directory covers Massachusetts; a place in another state is not "near" anything in it.
SERVED_STATE = "MA"
ZIP_RE = re.compile(r"^0[12]\d{3}$")
_ZIP_IN_TEXT = re.compile(r"\b0[12]\d{3}\b")

FOOTER_MORE = (
    "Text MORE for more, or tell me another kind of help. Want one of them to reach out to "
    "you? Text its number."
)
FOOTER_LAST = (
    "Tell me another kind of help, or another town. Want one of them to reach out to you? "
    "Text its number."
)

# Features taken from the message that starts a search ("a sub doctor that takes
# masshealth"). The others are words a need itself uses ("i need a ride", "childcare",
# "pregnant", "asap") and only count in a follow-up filter.
FEATURES_IN_A_NEW_SEARCH = ("masshealth", "spanish", "telehealth", "walk_in", "women_only")

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


# Words no town reply has: her whole message is only taken as a place when it could be one
# ("springfeld", "west side of holyoke"), never "ok thanks", "nvm" or a sentence.
_NOT_PLACE_WORDS = frozenset(
    """
    ok okay k kk thanks thank thx ty yes yeah yep no nope nah nvm nevermind never mind forget
    it that this i i'm im me my we you u your he she they can could would should will do
    does did don't dont not need want help how what why when who which reschedule appointment
    appt partner phone text texts call called about please pls sorry idk later maybe
    gracias si claro nada olvidalo
    """.split()
)
MAX_PLACE_WORDS = 4


def looks_like_place(text: str) -> bool:
    """Whether her whole reply could be a zip or a town name she typed her own way."""
    if "?" in text:
        return False
    if _ZIP_IN_TEXT.search(text):
        return True
    words = re.findall(r"[a-z0-9'\-.]+", place_query(text).lower().replace("\u2019", "'"))
    return 1 <= len(words) <= MAX_PLACE_WORDS and not any(w in _NOT_PLACE_WORDS for w in words)


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
        if place.get("state") and place["state"] != SERVED_STATE:
            # Places "near" a Connecticut zip would be Massachusetts ones miles away: say what
            # Tandem covers and where to look instead; a Massachusetts town still works.
            dispatcher.utter_message(response="utter_out_of_area")
            return {"location": None}
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


def _result_key(result: dict[str, Any]) -> str:
    return f"{result.get('service_id') or ''}|{result.get('location_id') or ''}"


async def search_and_send(
    dispatcher: CollectingDispatcher,
    need: str,
    location: str,
    offset: int,
    features: list[str] | None = None,
) -> tuple[bool, list[EventType], list[str]]:
    """Send one page of results as SMS messages.

    Returns whether any result was shown, slot events (a place or need the API did not know
    is cleared, so that the rules ask for it again), and the shown places' keys.
    """
    features = list(features or [])
    try:
        data = await TandemApi().search_services(need, location, PAGE_SIZE, offset, features)
    except ApiError as err:
        if err.code == "place_not_found":
            dispatcher.utter_message(response="utter_location_not_found")
            return False, [SlotSet("location", None)], []
        if err.code == "unknown_need":
            dispatcher.utter_message(response="utter_ask_need")
            return False, [SlotSet("need", None)], []
        if err.code in ("unknown_feature", "invalid_field") and features:
            # The API does not know a filter yet: show the whole list rather than nothing.
            return await search_and_send(dispatcher, need, location, offset, [])
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

    place = data.get("place") or {}
    town = to_gsm7(str(place.get("town") or location)).strip()
    label = to_gsm7(str((data.get("need") or {}).get("label") or need.replace("_", " ")))
    header = f"Here are places near {town} for {label}"
    if features:
        header += " (" + ", ".join(to_gsm7(feature_label(f)) for f in features) + ")"
    dispatcher.utter_message(text=shorten(header + ":", MAX_CHARS))
    for i, result in enumerate(results):
        dispatcher.utter_message(text=_result_message(offset + i + 1, result))

    total = data.get("total")
    shown = offset + len(results)
    more = total > shown if isinstance(total, int) else len(results) >= PAGE_SIZE
    dispatcher.utter_message(text=FOOTER_MORE if more else FOOTER_LAST)
    return True, [], [_result_key(r) for r in results]


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
    shown, events, keys = await search_and_send(dispatcher, need, location, 0, features)
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
        return events


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
            dispatcher, str(need), str(location), offset, _features(tracker)
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


# --- one place in the list ------------------------------------------------------------------

_ORDINALS = {
    "first": 1, "1st": 1, "primero": 1, "primer": 1, "primera": 1,
    "second": 2, "2nd": 2, "segundo": 2, "segunda": 2,
    "third": 3, "3rd": 3, "tercero": 3, "tercer": 3, "tercera": 3,
    "fourth": 4, "4th": 4, "cuarto": 4, "cuarta": 4,
    "fifth": 5, "5th": 5, "quinto": 5, "quinta": 5,
    "sixth": 6, "6th": 6, "sexto": 6, "sexta": 6,
    "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "9th": 9,
}
_CARDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
}
_LAST = ("last", "ultimo", "ultima")
# "that one", "the one near me": "one" after these words is not the number 1.
_NOT_A_NUMBER_BEFORE_ONE = frozenset(
    "that this the which a any other same good last right closest nearest".split()
)


def number_in(text: str) -> int | str | None:
    """The number she means: "#2", "the second one", "number two" -> 2; "last" -> "last"."""
    t = to_gsm7(text.lower())
    words = re.findall(r"[a-z0-9]+", t)
    for word in words:
        if word in _ORDINALS:
            return _ORDINALS[word]
    if any(word in _LAST for word in words):
        return "last"
    digits = re.search(r"(?<![\d/])(\d{1,2})(?![\d/])", t)
    if digits:
        return int(digits.group(1))
    for i, word in enumerate(words):
        if word == "one" and i > 0 and words[i - 1] in _NOT_A_NUMBER_BEFORE_ONE:
            continue
        if word in _CARDINALS:
            return _CARDINALS[word]
    return None


def _clean(value: Any) -> str:
    return " ".join(to_gsm7(str(value or "")).split()).strip(" .")


def details_messages(n: int, details: dict[str, Any]) -> list[str]:
    """Two SMS at most: where, phone, hours; then intake, what to bring, cost."""
    name = _clean(details.get("name")) or "This place"
    address = _clean(details.get("address"))
    phone = _clean(details.get("phone"))
    hours = _clean(details.get("hours"))
    labels = details.get("feature_labels") or []
    first = f"{n}) {name}" + (f", {address}" if address else "") + "."
    if phone:
        first += f" Call {phone}."
    if hours:
        first += f" Hours: {hours}."
    if labels:
        first += " " + _clean(", ".join(str(x) for x in labels)).capitalize() + "."
    second_parts = []
    for title, key in (
        ("To start", "application_process"),
        ("Bring", "what_to_bring"),
        ("Cost", "fees_description"),
    ):
        value = _clean(details.get(key))
        if value:
            second_parts.append(f"{title}: {value}.")
    messages = [shorten(first, MAX_CHARS)]
    if second_parts:
        messages.append(shorten(" ".join(second_parts), MAX_CHARS))
    return messages


def shown_results(tracker: Tracker) -> list[str]:
    """The places she saw in this search, in the order they were numbered for her, as
    "service_id|location_id" ("" for a place of an earlier page that is not known)."""
    return [str(k) for k in tracker.get_slot("last_results") or []]


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
    try:
        details = await TandemApi().service_details(service_id, location_id or None)
    except ApiError:
        dispatcher.utter_message(response="utter_details_unavailable")
        return []
    for message in details_messages(n, details):
        dispatcher.utter_message(text=message)
    # "i want that one" next picks this place (actions/referral.py).
    return [SlotSet("details_shown", float(n))]


class ActionServiceDetails(Action):
    """ "tell me about #2": address, hours, what to expect at intake, what to bring."""

    def name(self) -> str:
        return "action_service_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choice = number_in(tracker.latest_message.get("text") or "")
        return await send_details(dispatcher, tracker, choice)


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
            # Imported here: actions.referral builds on this module.
            from actions.referral import offer_referral

            return await offer_referral(dispatcher, tracker, text)
        dispatcher.utter_message(response="utter_number_unclear")
        return []


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
        place = f" near {to_gsm7(str(location))}" if location else ""
        dispatcher.utter_message(
            response="utter_resume_search" if location else "utter_resume_search_place",
            need_label=to_gsm7(label_of(str(need), str(tracker.get_slot("language") or "en"))),
            place=place,
        )
        return [*events, SlotSet("offer", "need"), SlotSet("offered", str(need))]
