"""Onboarding and her profile: the name she wants, pregnant or postpartum (and dates), and a
pregnancy or infant loss.

Every question is optional: "skip" or "no" skips it (the onboarding slots' from_intent
mappings), and anything that is not a name or a stage is taken as a skip rather than asked
again. What she gives is saved with PATCH /api/clients/{id}; if the API is down the slots
still remember it for this conversation.
"""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.checkin import offer_need
from actions.profile import Stage, clean_name, parse_stage
from actions.signals import log_signal, save_profile

SKIPPED = "skipped"


def _stage_slots(stage: Stage) -> dict[str, Any]:
    slots: dict[str, Any] = {"stage": stage.stage}
    if stage.due_date:
        slots["due_date"] = stage.due_date
    if stage.baby_birth_date:
        slots["baby_birth_date"] = stage.baby_birth_date
    return slots


class ValidateOnboardingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_onboarding_form"

    async def validate_onboarding_name(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Her name, cleaned ("my names jess lol" -> "Jess"), or skipped."""
        name = None if slot_value == SKIPPED else clean_name(str(slot_value or ""))
        if name is None:
            return {"onboarding_name": SKIPPED, "onboarded": True}
        await save_profile(tracker, preferred_name=name)
        return {"onboarding_name": "given", "preferred_name": name, "onboarded": True}

    async def validate_onboarding_stage(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Pregnant (due date) or postpartum (baby's birth date), or skipped."""
        stage = Stage() if slot_value == SKIPPED else parse_stage(str(slot_value or ""))
        if stage.stage is None:
            return {"onboarding_stage": SKIPPED}
        await save_profile(tracker, **stage.api_fields())
        return {"onboarding_stage": "given", **_stage_slots(stage)}


class ActionUpdateName(Action):
    """ "call me jess", any time."""

    def name(self) -> str:
        return "action_update_name"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        name = clean_name(tracker.latest_message.get("text"))
        if name is None:
            dispatcher.utter_message(response="utter_name_unclear")
            return []
        await save_profile(tracker, preferred_name=name)
        dispatcher.utter_message(response="utter_name_noted", preferred_name=name)
        return [SlotSet("preferred_name", name), SlotSet("onboarded", True)]


class ActionUpdateStage(Action):
    """ "i had my baby!", "due 9/14", any time."""

    def name(self) -> str:
        return "action_update_stage"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        stage = parse_stage(tracker.latest_message.get("text"))
        if stage.stage is None:
            dispatcher.utter_message(response="utter_stage_unclear")
            return []
        await save_profile(tracker, **stage.api_fields())
        if stage.stage == "pregnant":
            dispatcher.utter_message(response="utter_stage_pregnant")
        else:
            dispatcher.utter_message(response="utter_stage_postpartum")
        return [SlotSet(name, value) for name, value in _stage_slots(stage).items()]


class ActionReportLoss(Action):
    """A pregnancy or infant loss: condolence and support first, then every stage-based
    message stops (pregnancy_loss on her profile, a pregnancy_loss signal, the slots)."""

    def name(self) -> str:
        return "action_report_loss"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_loss_condolence")
        dispatcher.utter_message(response="utter_loss_support")
        await save_profile(tracker, pregnancy_loss=True)
        await log_signal(tracker, "pregnancy_loss")
        return [
            SlotSet("pregnancy_loss", True),
            SlotSet("stage", None),
            SlotSet("due_date", None),
            *offer_need("mental_health"),
        ]


class ActionIntroduce(Action):
    """First contact, whatever she texts first (but a greeting, which gets the full welcome,
    or a crisis, which gets the crisis reply and nothing before it): who Tandem is in one
    line, that it is not an emergency service, and that STOP stops it. The rules then answer
    her message (data/rules/first_contact.yml)."""

    def name(self) -> str:
        return "action_introduce"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_intro")
        return [SlotSet("introduced", True)]
