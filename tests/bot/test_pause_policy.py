"""bot/pause_policy.py: her message first. A profile question waits for a pause, is asked
once, and is filled only by a reply that reads as an answer; a form whose question gets
another kind of message lets go once that message is answered. Never during a crisis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.pause_policy import ANSWER, ASK, PAUSE_FORM, decide

REPO = Path(__file__).resolve().parents[2]
LISTEN = "action_listen"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


def user(text: str, intent: str, confidence: float = 0.95) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": confidence}, [])


def conversation(domain: Domain, *events: Event, **slots: Any) -> DialogueStateTracker:
    start: list[Event] = [ActionExecuted("action_session_start"), SessionStarted()]
    start += [SlotSet(name, value) for name, value in slots.items()]
    return DialogueStateTracker.from_events("client-7", [*start, *events], slots=domain.slots)


def asked(question: str) -> list[Event]:
    """The bot asked a profile question and waits for her."""
    return [
        ActionExecuted(ASK),
        SlotSet("profile_question", question),
        SlotSet("profile_asked", ["name"] if question == "name" else ["name", "stage"]),
        ActionExecuted(LISTEN),
    ]


HI = [ActionExecuted(LISTEN), user("hi", "greet"), ActionExecuted("action_greet")]


# --- when to ask ----------------------------------------------------------------------------


def test_after_a_greeting_the_name_question(domain: Domain) -> None:
    assert decide(conversation(domain, *HI)) == ASK


def test_after_her_request_is_answered_and_she_says_thanks(domain: Domain) -> None:
    events = [
        ActionExecuted(LISTEN), user("i missed my appt", "report_appointment_missed"),
        ActionExecuted("action_appointment_missed"), ActionExecuted(LISTEN),
    ]
    assert decide(conversation(domain, *events)) is None  # her message goes to the rules
    events += [user("thanks", "thanks"), ActionExecuted("utter_you_are_welcome")]
    assert decide(conversation(domain, *events)) == ASK


@pytest.mark.parametrize(
    "slots",
    [
        {"offer": "need", "offered": "transportation"},  # the answer offered something
        {"consent_pending": True},
        {"crisis_active": True},
        {"crisis_asked": True},
        {"profile_asked": ["name", "stage"]},  # each once
        {"preferred_name": "Jess", "stage": "pregnant"},  # nothing left to ask
        {"preferred_name": "Jess", "pregnancy_loss": True, "profile_asked": ["name"]},
    ],
)
def test_no_question_over_something_open_or_twice(domain: Domain, slots: dict[str, Any]) -> None:
    assert decide(conversation(domain, *HI, **slots)) is None


def test_no_question_while_a_form_is_open(domain: Domain) -> None:
    events = [ActiveLoop("find_services_form"), *HI]
    assert decide(conversation(domain, *events)) is None


def test_not_right_after_she_left_one_unanswered(domain: Domain) -> None:
    events = [*asked("name"), user("skip", "deny"), ActionExecuted("utter_ok")]
    assert decide(conversation(domain, *events)) is None


def test_after_its_own_actions_it_listens(domain: Domain) -> None:
    for action in (ASK, ANSWER, PAUSE_FORM):
        assert decide(conversation(domain, ActionExecuted(action))) == LISTEN


# --- what answers it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        ("Jess", "inform_name", 0.96),
        ("jess", "nlu_fallback", 0.25),
        ("call me Ana Lucia", "inform_name", 0.9),
        ("Sharon", "inform_location", 0.8),
        ("Bree", "withdraw_consent", 0.4),  # unsure NLU; the words read as a name
    ],
)
def test_a_name_answers_the_name_question(
    domain: Domain, text: str, intent: str, confidence: float
) -> None:
    events = [*asked("name"), user(text, intent, confidence)]
    assert decide(conversation(domain, *events)) == ANSWER


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        ("ride never came", "nlu_fallback", 0.25),  # the outside probe's
        ("ride never came", "report_barrier", 0.9),
        ("can you send my details to the clinic", "request_referral", 0.8),
        ("i missed my appointment", "report_appointment_missed", 0.98),
        ("rough week", "checkin_mood", 0.7),
        ("i relapsed", "report_return_to_use", 0.97),
        ("estoy embarazada y estoy en metadona", "inform_stage", 0.77),
        ("dont text me in the evening", "nlu_fallback", 0.3),
        ("i need suboxone", "need_moud", 0.98),
        ("skip", "deny", 0.97),
        ("Hope", "crisis_check", 1.0),  # a crisis is never an answer
        ("Jess", "crisis_suicide", 1.0),
        ("Brandy", "need_moud", 0.9),  # NLU is sure it is something else
    ],
)
def test_anything_else_is_answered_as_itself(
    domain: Domain, text: str, intent: str, confidence: float
) -> None:
    events = [*asked("name"), user(text, intent, confidence)]
    assert decide(conversation(domain, *events)) is None


def test_only_the_very_next_message_answers_it(domain: Domain) -> None:
    events = [
        *asked("name"), user("who sees my texts", "ask_privacy"),
        ActionExecuted("utter_privacy"), ActionExecuted(LISTEN), user("Jess", "inform_name"),
    ]
    assert decide(conversation(domain, *events)) is None  # the rules: "call me" any time


@pytest.mark.parametrize(
    ("text", "intent", "answer"),
    [
        ("22 weeks", "inform_stage", True),
        ("had him 3 weeks ago", "nlu_fallback", True),
        ("yes due in june", "affirm", True),
        ("i need a ride to my prenatal appt", "need_transportation", False),
        ("i lost the baby", "report_loss", False),
        ("idk", "nlu_fallback", False),
    ],
)
def test_the_stage_question(domain: Domain, text: str, intent: str, answer: bool) -> None:
    events = [*asked("stage"), user(text, intent)]
    assert decide(conversation(domain, *events)) == (ANSWER if answer else None)


def test_nothing_while_a_crisis_is_open(domain: Domain) -> None:
    events = [*asked("name"), user("Jess", "inform_name")]
    assert decide(conversation(domain, *events, crisis_active=True)) is None


# --- forms let go ---------------------------------------------------------------------------


def place_question() -> list[Event]:
    return [
        ActionExecuted(LISTEN), user("i need suboxone", "need_moud"), SlotSet("need", "moud"),
        ActionExecuted("find_services_form"), ActiveLoop("find_services_form"),
        SlotSet("requested_slot", "location"), ActionExecuted(LISTEN),
    ]


def test_a_form_lets_go_after_her_other_message_is_answered(domain: Domain) -> None:
    events = [
        *place_question(), user("my partner reads my phone", "ask_privacy"),
        ActionExecutionRejected("find_services_form"), ActionExecuted("utter_privacy"),
    ]
    assert decide(conversation(domain, *events)) == PAUSE_FORM


def test_ok_thanks_ends_a_form_the_same_way(domain: Domain) -> None:
    events = [
        *place_question(), user("ok thanks", "thanks"),
        ActionExecutionRejected("find_services_form"), ActionExecuted("utter_you_are_welcome"),
    ]
    assert decide(conversation(domain, *events)) == PAUSE_FORM


def test_a_form_answered_or_asking_again_is_left_alone(domain: Domain) -> None:
    answered = [*place_question(), user("01105", "inform_location")]
    assert decide(conversation(domain, *answered)) is None
    again = [
        *place_question(), user("more", "ask_more"),
        ActionExecutionRejected("find_services_form"), ActionExecuted("utter_ask_location"),
    ]
    assert decide(conversation(domain, *again)) is None
