"""After a crisis reply or a direct safety question: the urgent alert for staff, and every
message she sends until she is safe (bot/crisis_policy.py routes them here).

The crisis replies themselves are plain responses (domain.yml) sent before these actions run,
so they never depend on the action server or the API. The alert (the API records its crisis
signal with it) carries the crisis category only, never her words.
"""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.crisis_words import (
    NO,
    OVERDOSE_NEXT,
    OVERDOSE_REPLIES,
    PASSIVE,
    PERSON,
    PLAN,
    SAFE,
    SKIP,
    UNSAFE,
    UNSURE,
    YES,
    answer,
    is_plan_reply,
    overdose_stage,
)
from actions.language import SAVED_SLOT, needs_saving, save_language
from actions.signals import raise_alert
from safety.judge import INTENT_CATEGORIES as CATEGORIES


class ActionCrisisAlert(Action):
    def name(self) -> str:
        return "action_crisis_alert"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        category = CATEGORIES.get(str(intent)) or str(tracker.get_slot("crisis_type") or "crisis")
        # The API records the crisis signal with the alert: logging one here too counted
        # every crisis twice.
        await raise_alert(tracker, "crisis", category)
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


# --- Everything she says while a crisis is open (bot/crisis_policy.py sends it here) -------

#: The question each open crisis asked last: a direct check (YES = danger) after a possible
#: crisis, or "Are you safe right now?" (YES = safe) after a crisis reply.
CHECK_REPLIES = {
    "suicide": "utter_crisis_suicide",
    "overdose": "utter_overdose_steps",
    "violence": "utter_crisis_violence",
    "medical": "utter_crisis_medical",
}
# What she says in an overdose that carries no stage of its own still moves to the next step;
# any other intent (a need, a question) first gets "are you safe right now?".
OVERDOSE_REPLY_INTENTS = frozenset(
    {
        "affirm",
        "deny",
        "nlu_fallback",
        "ask_help",
        "inform_safe",
        "crisis_overdose",
        "crisis_check",
        "need_naloxone",
        "out_of_scope",
        "chitchat",
    }
)
PLAN_STEPS = (
    "utter_plan_warning_signs",
    "utter_plan_reasons",
    "utter_plan_people",
    "utter_plan_safe_home",
)


def _judged_crisis(tracker: Tracker) -> str | None:
    """The crisis category the judgement gave her latest message, if it was a crisis."""
    crisis = tracker.latest_message.get("crisis") or {}
    return crisis.get("category") if crisis.get("level") == "crisis" else None


class ActionCrisisFollowup(Action):
    """The next right step: never the first crisis text again, never a form question."""

    def name(self) -> str:
        return "action_crisis_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        category = str(tracker.get_slot("crisis_type") or "suicide")
        step = str(tracker.get_slot("crisis_step") or "")
        said = answer(text, intent)
        events: list[EventType] = []
        if tracker.active_loop.get("name"):
            events.append(ActiveLoop(None))

        def say(*responses: str) -> None:
            for response in responses:
                dispatcher.utter_message(response=response)

        judged = _judged_crisis(tracker)
        if said == PERSON:
            ok = await raise_alert(tracker, "human_requested", f"during {category} crisis")
            say("utter_human_requested" if ok else "utter_human_request_failed")
            return events + [SlotSet("crisis_step", "person")]

        if tracker.get_slot("crisis_asked"):
            return events + await self._answer_to_check(
                tracker, say, category, said, judged, step, text, intent
            )
        if category == "overdose" and judged in (None, "overdose"):
            return events + self._overdose(say, text, step, said, intent)
        if category == "medical" and judged in (None, "medical"):
            return events + self._medical(say, text, step, said)
        if step.startswith("plan"):
            if is_plan_reply(text):  # the word she was asked to send, not a disclosure
                judged, said = None, PLAN
            return events + self._plan(say, step, said, judged)
        return events + await self._answer_to_safe(tracker, say, category, said, judged, step)

    async def _answer_to_check(self, tracker, say, category, said, judged, step, text, intent):  # type: ignore[no-untyped-def]
        """Her answer to the direct question (YES means danger)."""
        if category == "overdose" and overdose_stage(text) is not None:
            # "no he woke up after the narcan": not a no; the next step still matters.
            await raise_alert(tracker, "crisis", category)
            return _open(category, "") + self._overdose(say, text, "", said, intent)
        if judged or said in (YES, UNSAFE) or (said == UNSURE and category != "suicide"):
            category = judged or category
            await raise_alert(tracker, "crisis", category)
            say(CHECK_REPLIES[category])
            if category == "suicide":
                say("utter_offer_safety_plan")
                return _open(category, "plan_offer")
            return _open(category, "overdose:how" if category == "overdose" else "")
        if said in (PASSIVE, UNSURE):
            await raise_alert(tracker, "crisis", "suicide: thoughts, no plan")
            say("utter_passive_ideation", "utter_offer_safety_plan")
            return _open("suicide", "plan_offer")
        if said in (NO, SAFE):
            say("utter_check_no")
            return _close()
        if step != "asked_again":
            say("utter_check_again")
            return [SlotSet("crisis_step", "asked_again")]
        say("utter_crisis_release")
        return _close()

    async def _answer_to_safe(self, tracker, say, category, said, judged, step):  # type: ignore[no-untyped-def]
        """Her answer to "Are you safe right now?" (YES means safe)."""
        if judged and judged != category:
            await raise_alert(tracker, "crisis", judged)
            say(f"utter_crisis_{judged}")
            return _open(judged, "")
        if said in (YES, SAFE) and not judged:
            say("utter_glad_safe")
            return _close()
        if said in (PASSIVE, UNSURE) and category == "suicide" and not judged:
            say("utter_passive_ideation", "utter_offer_safety_plan")
            return _open("suicide", "plan_offer")
        if said in (NO, UNSAFE) or judged:
            if judged and slot_was_asked(tracker):
                # Her answer to the direct question was itself a crisis: staff hear of it.
                await raise_alert(tracker, "crisis", category)
            say("utter_medical_followup" if category == "medical" else "utter_not_safe")
            if category == "suicide":
                say("utter_offer_safety_plan")
                return _open(category, "plan_offer")
            return _open(category, "not_safe")
        if step not in ("asked_again", "not_safe"):
            say("utter_check_again")
            return [SlotSet("crisis_step", "asked_again")]
        say("utter_crisis_release")
        return _close()

    @staticmethod
    def _overdose(say, text, step, said, intent):  # type: ignore[no-untyped-def]
        stage = overdose_stage(text)
        if stage is None and said == SAFE:
            say("utter_help_there")
            return _close()
        if stage is None and step == "overdose:asked":
            if said in (YES, SAFE):
                say("utter_glad_safe")
                return _close()
            if said != NO:
                say("utter_crisis_release")
                return _close()
            stage = "how"
        if stage is None and intent not in OVERDOSE_REPLY_INTENTS:
            # Something else entirely ("i need a ride"): make sure everyone is safe first.
            say("utter_check_again")
            return [SlotSet("crisis_step", "overdose:asked")]
        if stage is None:
            last = step.removeprefix("overdose:") or None
            stage = OVERDOSE_NEXT.get(last, "breathing")
        say(OVERDOSE_REPLIES[stage])
        return [SlotSet("crisis_step", f"overdose:{stage}")]

    @staticmethod
    def _medical(say, text, step, said):  # type: ignore[no-untyped-def]
        if overdose_stage(text) == "ems" or said == SAFE:
            say("utter_help_there")
            return _close()
        if step != "medical_followed":
            say("utter_medical_followup")
            return [SlotSet("crisis_step", "medical_followed")]
        say("utter_crisis_stay")
        return [SlotSet("crisis_step", "medical_followed")]

    @staticmethod
    def _plan(say, step, said, judged):  # type: ignore[no-untyped-def]
        if judged:
            say("utter_not_safe")
            return [SlotSet("crisis_step", step)]
        if step == "plan_offer":
            if said in (NO, SKIP):
                say("utter_crisis_release")
                return _close()
            say(PLAN_STEPS[0])
            return [SlotSet("crisis_step", "plan_1")]
        done = int(step.removeprefix("plan_") or 0)
        if done >= len(PLAN_STEPS):
            say("utter_plan_done")
            return _close()
        say(PLAN_STEPS[done])
        return [SlotSet("crisis_step", f"plan_{done + 1}")]


def slot_was_asked(tracker: Tracker) -> bool:
    """Whether the direct question was open before her latest message (a crisis intent
    clears the slot as soon as her message is read)."""
    asked = before = False
    for event in tracker.events:
        if event.get("event") == "user":
            before = asked
        elif event.get("event") == "slot" and event.get("name") == "crisis_asked":
            asked = bool(event.get("value"))
    return before


def _open(category: str, step: str) -> list[EventType]:
    return [
        SlotSet("crisis_active", True),
        SlotSet("crisis_type", category),
        SlotSet("crisis_asked", False),
        SlotSet("crisis_step", step or None),
    ]


def _close() -> list[EventType]:
    return [
        SlotSet("crisis_active", False),
        SlotSet("crisis_asked", False),
        SlotSet("crisis_step", None),
    ]
