"""CrisisPolicy: while a crisis is open, every message she sends goes to the crisis follow-up.

Rules give the first crisis reply (plain responses, no action server needed) and ask the
direct question for a possible crisis (intent ``crisis_check``). What she says next is not
a search, a name or a form answer: this policy sends it to ``action_crisis_followup``
(actions/crisis.py), which takes the next right step (the next overdose step, her answer to
the question, a safety plan, a person) and never repeats the first crisis text.

It also reads the conversation, not only the last text: her last few messages since the
last crisis step are judged together (``safety.judge``), and when they add up to a possible
crisis that no single one shows, it asks her directly.

Precedence: priority 7 (RulePolicy is 6), and it predicts only in the situations above;
everywhere else it returns all zeros and the other policies decide.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from actions.crisis_words import answer
from bot.crisis_guard import CATEGORY_ENTITY
from safety.judge import (
    ASK,
    CATEGORY_INTENTS,
    CHECK_INTENT,
    HISTORY_TEXTS,
    INTENT_CATEGORIES,
    NONE,
    SafetyJudge,
)

FOLLOWUP = "action_crisis_followup"
QUESTION = "utter_crisis_check"  # + "_<category>"
#: Actions after which a crisis step has been taken: the conversation layer starts afresh.
CRISIS_STEPS = ("utter_crisis_", "utter_ask_safe", "utter_overdose_", "utter_plan_", FOLLOWUP)
#: The direct question let go: her message was about something else.
RELEASE = [SlotSet("crisis_asked", False), SlotSet("crisis_step", None)]


#: Texts whose risk a Rasa process remembers (a few hundred KB).
REMEMBERED_RISKS = 4096


def remembering(judge: SafetyJudge) -> SafetyJudge:
    """``judge`` with each text's risk remembered. Every turn reads her last few texts again
    (``earlier_texts``), each a sentence embedding and two readers (about 5 ms of CPU a text);
    a text's risk depends on nothing but the text, so the answer is the same."""
    judge.risk = lru_cache(maxsize=REMEMBERED_RISKS)(judge.risk)  # type: ignore[method-assign]
    return judge


def earlier_texts(tracker: DialogueStateTracker) -> list[str]:
    """Her texts before the latest one, since the last crisis step, oldest first."""
    texts: list[str] = []
    latest_seen = False
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted) and str(event.action_name or "").startswith(
            CRISIS_STEPS
        ):
            break
        if isinstance(event, UserUttered):
            if not latest_seen:  # the latest message is judged on its own, not as history
                latest_seen = True
                continue
            if event.text and not is_external(event):
                texts.append(event.text)
            if len(texts) == HISTORY_TEXTS:
                break
    return texts[::-1]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class CrisisPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self._judge: SafetyJudge | None = None

    @property
    def judge(self) -> SafetyJudge:
        if self._judge is None:
            self._judge = remembering(SafetyJudge.load())
        return self._judge

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn: the judgement has its own data (data/safety)."""
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource):
            pass

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        result = self._default_predictions(domain)
        if self._released(tracker):
            # Applied whichever policy answers her message (Rasa applies ``events`` always).
            return self._prediction(result, events=RELEASE)
        action, events = self._decide(tracker)
        if action is not None and action in domain.action_names_or_texts:
            result[domain.index_for_action(action)] = 1.0
        return self._prediction(result, optional_events=events)

    def _released(self, tracker: DialogueStateTracker) -> bool:
        """After the direct question (only a question: no crisis is open), a message that
        answers nothing ("can u find me a counselor in westfield") and in which the judgement
        sees no risk is about something else: the question (988 was in it) lets go and her
        message is answered as itself, not asked again or read as danger."""
        if tracker.latest_action_name != ACTION_LISTEN_NAME or not tracker.latest_message:
            return False
        if is_external(tracker.latest_message):
            return False  # a check-in Tandem sent answers nothing
        if slot_before_her_message(tracker, "crisis_active"):
            return False
        if not slot_before_her_message(tracker, "crisis_asked"):
            return False
        intent = (tracker.latest_message.intent or {}).get("name")
        if intent in INTENT_CATEGORIES or intent == CHECK_INTENT:
            return False
        text = tracker.latest_message.text or ""
        if answer(text, intent) is not None:
            return False
        return self.judge.judge(text).level == NONE

    def _decide(self, tracker: DialogueStateTracker) -> tuple[str | None, list[Any]]:
        latest = tracker.latest_action_name or ""
        if latest == FOLLOWUP or latest.startswith(QUESTION):
            return ACTION_LISTEN_NAME, []
        if latest == ACTION_DEACTIVATE_LOOP_NAME and asking_since_her_message(tracker):
            return f"{QUESTION}_{tracker.get_slot('crisis_type') or 'suicide'}", []
        if latest != ACTION_LISTEN_NAME or not tracker.latest_message:
            return None, []
        if is_external(tracker.latest_message):
            return None, []  # a check-in went out (rules note it); her reply is what counts
        intent = (tracker.latest_message.intent or {}).get("name")
        was_open = slot_before_her_message(tracker, "crisis_active") or slot_before_her_message(
            tracker, "crisis_asked"
        )
        if intent in INTENT_CATEGORIES:
            # Still the same emergency ("he's still not waking up"): the next step, never the
            # first crisis text again. A new kind of emergency gets its own reply (rules).
            same = slot_before_her_message(tracker, "crisis_type") == INTENT_CATEGORIES[intent]
            return (FOLLOWUP, []) if was_open and same else (None, [])
        if was_open:
            return FOLLOWUP, []
        if intent == CHECK_INTENT:
            return self._ask(tracker, _category_entity(tracker) or "suicide")
        history = earlier_texts(tracker)
        if not history:
            return None, []
        judgement = self.judge.judge(tracker.latest_message.text or "", history)
        if judgement.level == ASK and judgement.source == "conversation":
            return self._ask(tracker, judgement.category or "suicide")
        return None, []

    @staticmethod
    def _ask(tracker: DialogueStateTracker, category: str) -> tuple[str, list[Any]]:
        """The direct question; an open form closes first (her answer is not a form answer)."""
        events = [SlotSet("crisis_type", category), SlotSet("crisis_asked", True)]
        if tracker.active_loop_name:
            return ACTION_DEACTIVATE_LOOP_NAME, events
        return f"{QUESTION}_{category}", events


def is_external(message: UserUttered) -> bool:
    """An event Tandem triggered (a check-in sent: EXTERNAL_check_in), not her words."""
    return str((message.intent or {}).get("name") or "").startswith("EXTERNAL_")


def _category_entity(tracker: DialogueStateTracker) -> str | None:
    for entity in tracker.latest_message.entities or []:
        if entity.get("entity") == CATEGORY_ENTITY and entity.get("value") in CATEGORY_INTENTS:
            return str(entity["value"])
    return None


def _her_message_index(events: list[Any]) -> int:
    for i in range(len(events) - 1, -1, -1):
        if isinstance(events[i], UserUttered):
            return i
    return len(events)


def slot_before_her_message(tracker: DialogueStateTracker, name: str) -> Any:
    """The slot's value before her latest message (Rasa has already applied the slot
    mappings of that message when policies run)."""
    events = list(tracker.events)
    value = None
    for event in events[: _her_message_index(events)]:
        if isinstance(event, SlotSet) and event.key == name:
            value = event.value
    return value


def asking_since_her_message(tracker: DialogueStateTracker) -> bool:
    """This policy decided to ask her directly after her latest message (it closed a form
    first) and has not asked yet."""
    events = list(tracker.events)
    after = events[_her_message_index(events) + 1 :]
    decided = any(
        isinstance(e, SlotSet) and e.key == "crisis_asked" and e.value is True for e in after
    )
    asked = any(
        isinstance(e, ActionExecuted) and str(e.action_name or "").startswith(QUESTION)
        for e in after
    )
    return decided and not asked
