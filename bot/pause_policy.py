"""PausePolicy: her message first; Tandem's own questions wait for a pause and let go.

Two jobs, one idea: a question Tandem asked never swallows what she texts next.

1. The profile questions (her name, then pregnant or postpartum; actions/onboarding.py).
   They are asked at a natural pause only: right after a greeting, a "you're welcome" or an
   "okay" that closes what she asked, with no form, offer or consent open, no crisis in
   this conversation, and not right after she left the last one unanswered. Each is asked
   once (the action keeps ``profile_asked``). Her next message fills it only when it reads
   as an answer (``name_answer``, ``parse_stage``); anything else goes to the rules and is
   answered as itself, and the question is let go.
2. Her check-in preferences (actions/checkin_preferences.py). When Tandem asked how often to
   check in or the hours not to text, her next message goes back to that action only if it
   reads as an answer ("2", "weekly", "not after 5"), whatever NLU called it; anything else
   is answered as itself, and the question is let go.
3. Forms. When a form's question gets a reply that does not answer it, the form rejects,
   a rule answers her message as itself (RulePolicy would then bring the form straight back
   with the same question); instead this policy runs ``action_pause_form``, which closes the
   form and, unless her message closed the matter or the answer offered something, asks
   once whether she still wants the search ("Still want places for Suboxone?").

A crisis is never an answer: while one is open, or when her message is a crisis intent,
this policy predicts nothing (bot/crisis_policy.py decides). Opt-outs never reach Rasa
(the gateway handles them).

Precedence: priority 7, above the RulePolicy's 6; CrisisPolicy (also 7, listed first) wins a
tie, and the two never predict in the same situation. Everywhere else it returns all zeros.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from actions import checkin_preferences as preferences
from actions.onboarding import NAME, STAGE, name_answer
from actions.profile import parse_stage
from safety.judge import CRISIS_INTENTS

ASK = "action_ask_profile"
ANSWER = "action_profile_answer"
PAUSE_FORM = "action_pause_form"
OWN_ACTIONS = (ASK, ANSWER, PAUSE_FORM)
PREFERENCE_ACTIONS = frozenset(preferences.ACTION_OF.values())

#: Replies after which nothing is pending: a good moment for one profile question.
PAUSES = frozenset({"action_greet", "utter_you_are_welcome", "utter_ok"})
#: A form asking its own question again is not an answer to something else.
FORM_QUESTIONS = frozenset({"utter_ask_location", "utter_ask_need"})

#: Intents a short reply to "What name...?" may get from NLU: a bare "Jess" is often a
#: fallback or small talk, "Sharon" a town. Any other intent must be unsure (below
#: SURE) for the reply to count as a name; the words themselves are checked either way.
NAME_INTENTS = frozenset(
    {"inform_name", "nlu_fallback", "chitchat", "out_of_scope", "greet", "inform_location"}
)
STAGE_INTENTS = frozenset(
    {
        "inform_stage",
        "inform_name",
        "nlu_fallback",
        "chitchat",
        "out_of_scope",
        "affirm",
        "inform_number",
        "checkin_mood",
    }
)
NEVER_ANSWERS = frozenset(CRISIS_INTENTS) | {
    "report_loss",
    "checkin_start",
    "inform_safe",
    "EXTERNAL_check_in",
}
SURE = 0.6


def bot_action_before_her_message(tracker: DialogueStateTracker) -> str | None:
    """The last thing the bot did before her latest message (not listening)."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if seen_user:
                return None
            seen_user = True
        elif seen_user and isinstance(event, ActionExecuted):
            if event.action_name != ACTION_LISTEN_NAME:
                return event.action_name
    return None


def pending_question(tracker: DialogueStateTracker) -> str | None:
    """The profile question her latest message replies to, if the bot asked one last."""
    if bot_action_before_her_message(tracker) not in (ASK, ANSWER):
        return None
    question = tracker.get_slot("profile_question")
    return question if question in (NAME, STAGE) else None


def reads_as_answer(question: str, text: str, intent: str | None, confidence: float) -> bool:
    """Whether her reply answers the profile question (else it is answered as itself)."""
    if intent in NEVER_ANSWERS:
        return False
    if question == NAME:
        allowed = intent in NAME_INTENTS or confidence < SURE
        return allowed and name_answer(text) is not None
    allowed = intent in STAGE_INTENTS or confidence < SURE
    return allowed and parse_stage(text).stage is not None


def preference_pending(tracker: DialogueStateTracker) -> str | None:
    """The check-in preference question (cadence, hours) asked just before her message."""
    return preferences.question_pending(e.as_dict() for e in reversed(tracker.events))


def quiet_moment(tracker: DialogueStateTracker) -> bool:
    """Nothing open that a profile question would talk over."""
    return not (
        tracker.active_loop_name
        or tracker.get_slot("consent_pending")
        or tracker.get_slot("offer") not in (None, "none")
        or tracker.get_slot("crisis_active")
        or tracker.get_slot("crisis_asked")
    )


#: A crisis step in this conversation: no profile question until her next conversation.
CRISIS_STEPS = (
    "utter_crisis_",
    "action_crisis_",
    "utter_ask_safe",
    "utter_overdose_",
    "utter_plan_",
)


def crisis_in_this_conversation(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            return False
        if isinstance(event, ActionExecuted) and str(event.action_name or "").startswith(
            CRISIS_STEPS
        ):
            return True
    return False


def questions_left(tracker: DialogueStateTracker) -> bool:
    asked = set(tracker.get_slot("profile_asked") or [])
    name_left = NAME not in asked and not tracker.get_slot("preferred_name")
    stage_left = (
        STAGE not in asked
        and not tracker.get_slot("stage")
        and not tracker.get_slot("pregnancy_loss")
    )
    return name_left or stage_left


def decide(tracker: DialogueStateTracker) -> str | None:
    """The action this policy insists on next, or None to leave it to the others."""
    if tracker.get_slot("crisis_active") or tracker.get_slot("crisis_asked"):
        return None
    message = tracker.latest_message
    intent = (message.intent or {}).get("name") if message else None
    if intent in CRISIS_INTENTS:
        return None
    latest = tracker.latest_action_name
    if latest in OWN_ACTIONS:
        return ACTION_LISTEN_NAME
    loop = tracker.active_loop_name
    if latest in PREFERENCE_ACTIONS and not (loop and tracker.is_active_loop_rejected):
        return ACTION_LISTEN_NAME  # also after an answer this policy sent there
    if latest == ACTION_LISTEN_NAME:
        preference = preference_pending(tracker)
        text = message.text if message else None
        if (
            preference
            and intent not in NEVER_ANSWERS
            and preferences.reads_as_answer(preference, text)
        ):
            return preferences.ACTION_OF[preference]
        question = pending_question(tracker)
        if question and message and message.text:
            confidence = float((message.intent or {}).get("confidence") or 0.0)
            if reads_as_answer(question, message.text, intent, confidence):
                return ANSWER
        return None
    if loop and tracker.is_active_loop_rejected:
        if latest not in (loop, ACTION_DEACTIVATE_LOOP_NAME, *FORM_QUESTIONS):
            return PAUSE_FORM  # her message was answered as itself: the form lets go
        return None
    if (
        latest in PAUSES
        and quiet_moment(tracker)
        and questions_left(tracker)
        and pending_question(tracker) is None  # she just left one unanswered: not now
        and not crisis_in_this_conversation(tracker)
    ):
        return ASK
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class PausePolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7}

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn: the judgement is in the code above."""
        with self._model_storage.write_to(self._resource):
            pass
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        result = self._default_predictions(domain)
        action = decide(tracker)
        if action is not None and action in domain.action_names_or_texts:
            result[domain.index_for_action(action)] = 1.0
        return self._prediction(result)
