"""Her profile, asked at a natural pause and never in the way: the name she wants, pregnant or
postpartum (and dates); a pregnancy or infant loss; the welcome when she says hi. (The
one-line intro before the answer to any other first message: actions/language.py.)

Her message comes first. The two optional questions (name, then stage) are asked one at a
time, each at most once (slot profile_asked), at a pause: after a greeting, or after a
thanks or an "okay" that closes what she asked (bot/pause_policy.py decides when). Only a
reply that reads as an answer fills them (name_answer, parse_stage): anything else is
answered as itself and the question is let go. What she gives is saved with
PATCH /api/clients/{id}; if the API is down the slots still remember it for this
conversation.
"""

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.barriers import barrier_in
from actions.checkin import offer_need, parse_mood
from actions.profile import Stage, _plain, clean_name, parse_stage
from actions.signals import log_signal, save_profile

NAME, STAGE = "name", "stage"

# An explicit "this is my name": "call me jess", "my name is ana", "soy maria".
_NAME_LEAD = re.compile(
    r"^(?:(?:hi|hey|hello|hola)[, ]+)?(?:(?:you can |u can |just |please |pls )?call me|"
    r"my names?|my name'?s|my name is|names?|name'?s|name is|i go by|this is|it'?s|its|"
    r"me llamo|mi nombre es|me dicen)\s+(?P<rest>.+)$"
)
# "i'm X" / "soy X" says what she is as often as who: "im tired", "soy mama primeriza".
_IAM_LEAD = re.compile(r"^(?:i'?m|im|i am|soy)\s+(?P<rest>.+)$")

# Words that make a short reply something other than a name: feelings, states, needs,
# fillers. (Feelings and barriers also go through parse_mood and barrier_in.)
NOT_A_NAME = frozenset(
    """
    ok okay k kk yes yeah yea yep yup no nope nah sure fine good great bad sad mad tired
    scared afraid worried nervous stressed anxious lonely sick hungry broke homeless lost
    confused done over busy home here there back again still just really so very too
    thanks thank thx ty please pls sorry hello hi hey hola bye later soon now today tonight
    tomorrow yesterday morning evening night week weeks month months year years day days
    nvm nevermind whatever idk dunno what why who where when how which huh hmm um uh
    help need needs want wanted looking find ride rides bus car gas money food rent housing
    shelter job work clinic doctor dr appointment appt meds med medicine methadone suboxone
    subs sub bupe vivitrol narcan naloxone detox rehab treatment counseling therapy therapist
    wic snap formula diapers daycare childcare baby babies kid kids son daughter partner
    husband boyfriend bf mom mother dad pregnant postpartum due weeks using used relapse
    relapsed slipped clean sober high dope pills fent fentanyl heroin craving cravings
    stop quit cancel unsubscribe end skip pass none nothing nobody anything something
    si claro gracias bien mal nada ayuda necesito quiero embarazada metadona bebe cita
    """.split()
)


def name_answer(text: str | None) -> str | None:
    """Her name, when her reply reads as one: one or two words that are not a need, a
    feeling or a sentence ("jess", "call me Ana Lucia", "soy Maria"); None otherwise
    ("ride never came", "im tired", "ok thanks")."""
    if not text or "?" in text:
        return None
    t = _plain(text).strip(" .!")
    explicit = _NAME_LEAD.match(t)
    iam = None if explicit else _IAM_LEAD.match(t)
    rest = (explicit or iam).group("rest") if (explicit or iam) else t
    name = clean_name(rest)
    if name is None:
        return None
    words = name.lower().split()
    if len(words) > 2 or any(w in NOT_A_NAME for w in words):
        return None
    if parse_mood(rest) is not None or barrier_in(rest) != "other":
        return None
    if iam and (len(words) > 1 or re.search(r"(?:ing|ed)$", words[0]) and len(words[0]) > 4):
        return None  # "im struggling", "i'm exhausted"; "im Jess" is fine
    return name


def next_question(tracker: Tracker) -> str | None:
    """The profile question still to ask, if any: each once, her name first."""
    asked = set(tracker.get_slot("profile_asked") or [])
    if NAME not in asked and not tracker.get_slot("preferred_name"):
        return NAME
    if (
        STAGE not in asked
        and not tracker.get_slot("stage")
        and not tracker.get_slot("pregnancy_loss")
    ):
        return STAGE
    return None


def ask(
    dispatcher: CollectingDispatcher, tracker: Tracker, question: str, name: str | None = None
) -> list[EventType]:
    """Ask one profile question and remember that it was asked."""
    asked = [str(q) for q in tracker.get_slot("profile_asked") or []]
    if name:  # right after she gave it: "Thanks, Jess! Are you pregnant now...?"
        response = f"utter_ask_profile_{question}_after_name"
        dispatcher.utter_message(response=response, preferred_name=name)
    else:
        dispatcher.utter_message(response=f"utter_ask_profile_{question}")
    return [SlotSet("profile_question", question), SlotSet("profile_asked", [*asked, question])]


def _stage_slots(stage: Stage) -> dict[str, Any]:
    slots: dict[str, Any] = {"stage": stage.stage}
    if stage.due_date:
        slots["due_date"] = stage.due_date
    if stage.baby_birth_date:
        slots["baby_birth_date"] = stage.baby_birth_date
    return slots


async def note_stage(
    dispatcher: CollectingDispatcher, tracker: Tracker, stage: Stage
) -> list[EventType]:
    await save_profile(tracker, **stage.api_fields())
    if stage.stage == "pregnant":
        dispatcher.utter_message(response="utter_stage_pregnant")
    else:
        dispatcher.utter_message(response="utter_stage_postpartum")
    return [SlotSet(name, value) for name, value in _stage_slots(stage).items()]


class ActionGreet(Action):
    """A greeting: the full welcome the first time (it is her intro), else hello again."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("introduced"):
            dispatcher.utter_message(response="utter_greet_again")
            return []
        dispatcher.utter_message(response="utter_greet")
        return [SlotSet("introduced", True)]


class ActionAskProfile(Action):
    """At a pause (bot/profile_policy.py): the next profile question, if one is left."""

    def name(self) -> str:
        return "action_ask_profile"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        question = next_question(tracker)
        if question is None:
            return [SlotSet("profile_question", None)]
        return ask(dispatcher, tracker, question)


class ActionProfileAnswer(Action):
    """Her answer to the profile question just asked (the policy only predicts this when her
    reply reads as one): saved, then the stage question right after a name, if still left."""

    def name(self) -> str:
        return "action_profile_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        question = tracker.get_slot("profile_question")
        text = tracker.latest_message.get("text")
        if question == STAGE:
            stage = parse_stage(text)
            if stage.stage is None:  # the policy checked; never guess
                return [SlotSet("profile_question", None)]
            noted = await note_stage(dispatcher, tracker, stage)
            return [SlotSet("profile_question", None), *noted]
        name = name_answer(text)
        if name is None:
            return [SlotSet("profile_question", None)]
        await save_profile(tracker, preferred_name=name)
        events: list[EventType] = [SlotSet("preferred_name", name)]
        tracker.slots["preferred_name"] = name  # for next_question
        if next_question(tracker) == STAGE:
            return events + ask(dispatcher, tracker, STAGE, name=name)
        dispatcher.utter_message(response="utter_name_noted", preferred_name=name)
        return [*events, SlotSet("profile_question", None)]


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
        return [SlotSet("preferred_name", name)]


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
        return await note_stage(dispatcher, tracker, stage)


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
