"""Needs and barriers, her providers, DCF worries, a person, and taking an offer (consent and
referrals: actions/referral.py).

What gets in the way (rides, childcare, cost, hours, fear of DCF, feeling judged) is logged
as a barrier signal and answered with matching help: a search for rides or childcare, legal
help, a peer recovery coach, a case manager, or the same search narrowed to evening and
weekend hours. The offer waits in the offer slot for her "yes".
"""

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.barriers import NO_CALLBACK, barrier_in
from actions.checkin import offer_human, offer_need
from actions.find_services import first_page
from actions.signals import log_signal, raise_alert
from actions.sms import to_gsm7


class ActionHandleBarrier(Action):
    def name(self) -> str:
        return "action_handle_barrier"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        barrier = barrier_in(tracker.latest_message.get("text"))
        await log_signal(tracker, "barrier_reported", barrier)
        return answer_barrier(dispatcher, tracker, barrier)


# "because", "couldnt", "no ride": she says why, not only what ("i missed the baby's checkup"
# names the baby, not a barrier).
_SAYS_WHY = re.compile(
    r"\b(?:because|bc|cuz|cause|couldn ?t|could not|didn ?t have|had no|no|porque|no tenia|"
    r"no tuve|no pude|no habia)\b"
)


class ActionAppointmentMissed(Action):
    """A missed appointment: no judgment. When she says what got in the way ("missed it bc no
    ride"), the signal carries it and she gets help with it; otherwise she is asked (her answer
    is a report_barrier). "Nobody answered when I called" is no missed appointment but the
    place not calling back (mostly her answer to the referral follow-up)."""

    def name(self) -> str:
        return "action_appointment_missed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        barrier = barrier_in(text)
        if barrier == NO_CALLBACK:
            await log_signal(tracker, "barrier_reported", NO_CALLBACK)
            return answer_barrier(dispatcher, tracker, NO_CALLBACK)
        if barrier == "other" or not _SAYS_WHY.search(to_gsm7(text.lower())):
            dispatcher.utter_message(response="utter_ask_missed_reason")
            await log_signal(tracker, "appointment_missed")
            return []
        await log_signal(tracker, "appointment_missed", barrier)
        return answer_barrier(dispatcher, tracker, barrier)


def answer_barrier(
    dispatcher: CollectingDispatcher, tracker: Tracker, barrier: str
) -> list[EventType]:
    """The help that matches what got in the way, and its offer (waiting for her "yes")."""
    if barrier == "rides":
        dispatcher.utter_message(response="utter_barrier_transport")
        return offer_need("transportation")
    if barrier == "childcare":
        dispatcher.utter_message(response="utter_barrier_childcare")
        return offer_need("childcare")
    if barrier == "dcf_fear":
        dispatcher.utter_message(response="utter_dcf_facts")
        return offer_need("legal_advocacy")
    if barrier == "felt_judged":
        dispatcher.utter_message(response="utter_barrier_judged")
        return offer_need("peer_recovery")
    if barrier == NO_CALLBACK:
        # Mostly her answer to "were you able to reach them?" (a referral follow-up).
        dispatcher.utter_message(response="utter_barrier_no_callback")
        return offer_human()
    if barrier == "cost":
        dispatcher.utter_message(response="utter_barrier_cost")
        return offer_human()
    if barrier == "hours":
        if tracker.get_slot("need") and tracker.get_slot("location"):
            dispatcher.utter_message(response="utter_barrier_hours")
            return [SlotSet("offer", "filter"), SlotSet("offered", "evening_hours")]
        dispatcher.utter_message(response="utter_barrier_hours_no_search")
        return []
    dispatcher.utter_message(response="utter_barrier_other")
    return offer_human()


# Her provider relationship on the taxonomy's 1-5 scale: the bot hears praise or a complaint,
# not a score, so they sit short of the ends (staff can record what she rates it herself).
PRAISE, COMPLAINT = 4, 2


class ActionProviderFeedback(Action):
    """Her provider judged her, or is great: listen, log it, offer another way."""

    def name(self) -> str:
        return "action_provider_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "provider_feedback_positive":
            dispatcher.utter_message(response="utter_provider_positive")
            await log_signal(tracker, "provider_rating", PRAISE)
            return []
        dispatcher.utter_message(response="utter_provider_negative")
        await log_signal(tracker, "provider_rating", COMPLAINT)
        return offer_need("peer_recovery")


class ActionDcfWorry(Action):
    """Fear of DCF: plain facts, no promises, an offer of legal advocacy."""

    def name(self) -> str:
        return "action_dcf_worry"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_dcf_facts")
        await log_signal(tracker, "barrier_reported", "dcf_fear")
        return offer_need("legal_advocacy")


class ActionRequestHuman(Action):
    """A case manager: an escalation record for the dashboard, and honest timing."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # The API records the human_requested signal with the alert (once).
        if await raise_alert(tracker, "human_requested", "asked by text"):
            dispatcher.utter_message(response="utter_human_requested")
        else:
            dispatcher.utter_message(response="utter_human_request_failed")
        return [SlotSet("offer", "none"), SlotSet("offered", None)]


class ActionAcceptOffer(Action):
    """Her "yes" to an offer: the offered need becomes her need (the rules then open
    find_services_form), or the offered filter narrows the search she saw."""

    def name(self) -> str:
        return "action_accept_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offer, offered = tracker.get_slot("offer"), tracker.get_slot("offered")
        cleared: list[EventType] = [SlotSet("offer", "none"), SlotSet("offered", None)]
        if offer == "need" and offered:
            return [*cleared, SlotSet("need", str(offered))]
        if offer == "filter" and offered:
            features = [f for f in str(offered).split(",") if f]
            if tracker.get_slot("need") and tracker.get_slot("location"):
                return [*cleared, *await first_page(dispatcher, tracker, features)]
        dispatcher.utter_message(response="utter_ok")
        return cleared
