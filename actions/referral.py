"""Referrals with her consent (42 CFR Part 2, section 2.31), in conversation.

She picks a place from the results she saw ("the first one", "#2", "sign me up for 2",
"quiero la 2"): action_offer_referral asks the services API for a draft referral and the
pending consent that covers it, and sends the consent text the API wrote, part by part and
word for word (the services side owns that text: the consent record stores exactly what she
was shown). The consent id waits in the referral_consent slot for her answer:

* YES: action_grant_consent grants it with the id of her inbound message (her signature), and
  tells her honestly what happens next: who will contact her, and how to cancel. Only an
  explicit YES signs (data/consent/yes.yml, checked here and again by the service); anything
  else that the classifier took for agreement gets the question again.
* NO: action_decline_consent declines it, and she gets the place's contact details to reach
  out herself. Nothing is shared.

Any other message clears referral_consent (its slot mapping in domain.yml) except a privacy
question: a crisis, a new need or a question in between means a later "yes" answers something
else (like "Are you safe right now?"), never the consent. No referral is offered while a
crisis is open (crisis_active).

She can take back her consent at any time (action_withdraw_consent): every active or pending
consent of hers is withdrawn at once and the referrals relying on them are cancelled.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.client import ApiError, TandemApi
from actions.choices import picked_place, shown_results
from actions.consent_yes import reads_as_yes
from actions.result_messages import call_words, clean, language_of
from actions.signals import message_sid
from actions.sms import MAX_CHARS, shorten

logger = logging.getLogger(__name__)

PENDING_SLOT = "consent_pending"
CONSENT_SLOT = "referral_consent"
SERVICE_SLOT = "referral_service"

# Longest names put into a response (test_responses.py fills the placeholders with these).
MAX_SERVICE_CHARS = 60
MAX_SERVICES_CHARS = 90


# The words these actions put into a text or a response's placeholder, in her language (the
# Spanish written as domain.yml's: no accented a/i/o/u).
_THAT_PLACE = {"en": "that place", "es": "ese lugar"}
_PLACES_SAID_YES = {
    "en": "the places you said yes to",
    "es": "los lugares a los que dijiste que si",
}
_AND = {"en": " and ", "es": " y "}


def service_label(service: dict[str, Any] | None, language: str = "en") -> str:
    """The place's name as she saw it in the list, cut to fit a response."""
    service = service or {}
    name = (
        clean(service.get("name"))
        or clean(service.get("organization"))
        or _THAT_PLACE[language_of(language)]
    )
    return shorten(name, MAX_SERVICE_CHARS)


def contact_message(service: dict[str, Any], language: str = "en") -> str | None:
    """ "Demo Recovery Program 2, 102 Main St, Springfield. Call (413) 555-0102." ("Llama al"
    in Spanish)."""
    name = clean(service.get("name")) or clean(service.get("organization"))
    address = clean(service.get("address"))
    phone = clean(service.get("phone"))
    if not name or not (address or phone):
        return None
    text = name + (f", {address}" if address else "") + "." + call_words(phone, language)
    return shorten(text, MAX_CHARS)


def _cleared() -> list[EventType]:
    return [SlotSet(PENDING_SLOT, False), SlotSet(CONSENT_SLOT, None), SlotSet(SERVICE_SLOT, None)]


async def offer_referral(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str | None = None
) -> list[EventType]:
    """Her pick from the list: a draft referral and the consent text for her YES or NO."""
    if tracker.get_slot("crisis_active"):
        # No referral while a crisis is open: she is asked first whether she is safe.
        dispatcher.utter_message(response="utter_ask_safe_first")
        return []
    shown = shown_results(tracker)
    if not any(shown):
        dispatcher.utter_message(response="utter_details_no_list")
        return []
    if text is None:
        text = tracker.latest_message.get("text") or ""
    n = picked_place(tracker, text)
    if n is None:
        dispatcher.utter_message(response="utter_referral_which")
        return []
    # The list shows a service at one location: the referral is to that place.
    service_id, _, location_id = shown[n - 1].partition("|")
    language = language_of(tracker.get_slot("language"))
    need = tracker.get_slot("need")
    try:
        data = await TandemApi().create_referral(
            tracker.sender_id, service_id, str(need) if need else None, language, location_id
        )
    except ApiError as err:
        logger.warning("referral not created: %s", err.code)
        dispatcher.utter_message(response="utter_referral_failed")
        return []
    consent = data.get("consent") if isinstance(data.get("consent"), dict) else {}
    consent_id = consent.get("id")
    parts = [p for p in consent.get("parts") or [] if isinstance(p, str) and p.strip()]
    if not consent_id or not parts:
        # Never wait for a YES to a consent text she was not shown.
        logger.warning("referral answer without a consent id or text")
        dispatcher.utter_message(response="utter_referral_failed")
        return []
    for part in parts:
        dispatcher.utter_message(text=part)  # word for word: the record stores this text
    return [
        SlotSet(PENDING_SLOT, True),
        SlotSet(CONSENT_SLOT, str(consent_id)),
        SlotSet(SERVICE_SLOT, shown[n - 1]),
        SlotSet("offer", "none"),
        SlotSet("offered", None),
    ]


class ActionOfferReferral(Action):
    """ "the first one", "sign me up for 2", "can u refer me to the 3rd", "quiero la 2"."""

    def name(self) -> str:
        return "action_offer_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await offer_referral(dispatcher, tracker)


def _do_not_contact(data: dict[str, Any]) -> bool:
    """Whether the provider may not contact her directly (GUIDE.md: on by default for
    domestic-violence services). The services API decides, and says so on every referral it
    answers with (services/openapi.yaml: `do_not_contact`); an answer without it is read the
    careful way: her case manager reaches out, not the provider."""
    referral = data.get("referral") if isinstance(data.get("referral"), dict) else {}
    flag = referral.get("do_not_contact")
    return flag if isinstance(flag, bool) else True


class ActionGrantConsent(Action):
    """Her YES to the consent text: the consent is granted with her message id, the referral
    is requested, and she hears who will contact her and how to cancel."""

    def name(self) -> str:
        return "action_grant_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        consent_id = tracker.get_slot(CONSENT_SLOT)
        if (
            not consent_id
            or not tracker.get_slot(PENDING_SLOT)
            or tracker.get_slot("crisis_active")
        ):
            # Only a YES to the consent text she was just sent is a consent.
            dispatcher.utter_message(response="utter_ok")
            return _cleared()
        if not reads_as_yes(tracker.latest_message.get("text") or ""):
            # Agreeable but not an explicit YES ("i guess"): her signature must be one, so
            # the question stays open and she is asked again.
            dispatcher.utter_message(response="utter_consent_reminder")
            return []
        try:
            data = await TandemApi().grant_consent(
                str(consent_id), tracker.sender_id, message_sid(tracker)
            )
        except ApiError as err:
            logger.warning("consent not granted: %s", err.code)
            if err.code == "not_a_yes":
                dispatcher.utter_message(response="utter_consent_reminder")
                return []
            if err.status in (404, 409, 410):
                # Withdrawn, expired or already answered: nothing new is shared.
                dispatcher.utter_message(response="utter_referral_closed")
                return _cleared()
            # Not recorded: nothing is shared, and her next YES tries again.
            dispatcher.utter_message(response="utter_consent_grant_failed")
            return []
        service = data.get("service") if isinstance(data.get("service"), dict) else {}
        label = service_label(service, language_of(tracker.get_slot("language")))
        if _do_not_contact(data):
            dispatcher.utter_message(response="utter_referral_sent_private", service=label)
        else:
            dispatcher.utter_message(response="utter_referral_sent", service=label)
        return _cleared()


class ActionDeclineConsent(Action):
    """Her NO: nothing is shared, and she gets the place's contact details, no pressure."""

    def name(self) -> str:
        return "action_decline_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        consent_id = tracker.get_slot(CONSENT_SLOT)
        if not consent_id:
            dispatcher.utter_message(response="utter_ok")
            return _cleared()
        service: dict[str, Any] = {}
        try:
            data = await TandemApi().decline_consent(str(consent_id), tracker.sender_id)
            if isinstance(data.get("service"), dict):
                service = data["service"]
        except ApiError as err:
            # Not recorded as declined; it stays pending, unsigned, so nothing is shared.
            logger.warning("consent not declined: %s", err.code)
        language = language_of(tracker.get_slot("language"))
        contact = contact_message(service, language) if service else None
        if contact is None:
            contact = await _contact_from_directory(tracker, language)
        dispatcher.utter_message(response="utter_referral_declined")
        if contact:
            dispatcher.utter_message(text=contact)
        else:
            dispatcher.utter_message(response="utter_referral_contact_in_list")
        return _cleared()


async def _contact_from_directory(tracker: Tracker, language: str = "en") -> str | None:
    """The place's contact details from the directory, when the decline did not send them."""
    key = tracker.get_slot(SERVICE_SLOT)
    service_id, _, location_id = str(key or "").partition("|")
    if not service_id:
        return None
    try:
        details = await TandemApi().service_details(service_id, location_id or None, language)
    except ApiError:
        return None
    return contact_message(details, language)


def _services_text(services: list[Any], language: str = "en") -> str:
    """ "A, B and C" ("A, B y C"), or the places she said yes to when the API named none."""
    language = language_of(language)
    names = [clean(s) for s in services if clean(s)]
    names = list(dict.fromkeys(names))
    if not names:
        return _PLACES_SAID_YES[language]
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + _AND[language] + names[-1]
    return shorten(text, MAX_SERVICES_CHARS)


class ActionWithdrawConsent(Action):
    """ "cancel my referral", "don't share my info", "no compartan mi informacion": every
    consent of hers is withdrawn at once (POST /api/clients/{id}/consents/withdraw, with the
    id of this message), and she hears what was withdrawn, or that nothing is shared."""

    def name(self) -> str:
        return "action_withdraw_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            data = await TandemApi().withdraw_consents(tracker.sender_id, message_sid(tracker))
        except ApiError as err:
            logger.warning("consent not withdrawn: %s", err.code)
            dispatcher.utter_message(response="utter_consent_withdraw_failed")
            return _cleared()
        withdrawn = data.get("withdrawn")
        if isinstance(withdrawn, int) and withdrawn > 0:
            dispatcher.utter_message(
                response="utter_consent_withdrawn",
                services=_services_text(
                    list(data.get("services") or []), str(tracker.get_slot("language"))
                ),
            )
        else:
            dispatcher.utter_message(response="utter_consent_nothing_shared")
        return _cleared()
