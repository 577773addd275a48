"""The domain's slot mappings that keep a consent safe, run through Rasa's own
action_extract_slots, and first contact as one mechanism (no rule per intent).

A "yes" grants a consent only while consent_pending is true, and Rasa clears consent_pending
itself, before any policy or action runs, on every message but yes, no or a privacy question:
so after a crisis (or a new need, or any other message) the next "yes" is never a consent.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


def extracted(domain: Domain, intent: str, slots: dict[str, Any]) -> dict[str, Any]:
    """The slots Rasa sets from her message with this intent, given the slots before it.
    (No action server here: the global validation action is skipped, as when it is down.)"""
    events = [ActionExecuted("action_listen")]
    events += [SlotSet(name, value) for name, value in slots.items()]
    events.append(UserUttered("...", intent={"name": intent, "confidence": 1.0}, entities=[]))
    tracker = DialogueStateTracker.from_events("client-7", events, slots=domain.slots)
    action = ActionExtractSlots(action_endpoint=None)
    result = asyncio.run(
        action.run(
            CollectingOutputChannel(),
            TemplatedNaturalLanguageGenerator(domain.responses),
            tracker,
            domain,
        )
    )
    return {e.key: e.value for e in result if isinstance(e, SlotSet)}


@pytest.mark.parametrize(
    "intent",
    [
        "crisis_suicide",
        "crisis_overdose",
        "crisis_violence",
        "inform_safe",
        "need_childcare",
        "thanks",
        "greet",
        "choose_service",
        "withdraw_consent",
        "nlu_fallback",
        "out_of_scope",
    ],
)
def test_any_other_message_clears_the_pending_consent(domain: Domain, intent: str) -> None:
    assert extracted(domain, intent, {"consent_pending": True})["consent_pending"] is False


@pytest.mark.parametrize("intent", ["affirm", "deny", "ask_privacy"])
def test_yes_no_or_a_privacy_question_keep_it(domain: Domain, intent: str) -> None:
    assert "consent_pending" not in extracted(domain, intent, {"consent_pending": True})


def test_the_intro_is_not_a_slot_mapping_any_more(domain: Domain) -> None:
    """action_greet (the welcome) and action_validate_slot_mappings (the one-line intro before
    the answer to any other first message) set it; no intent does."""
    assert "introduced" not in extracted(domain, "greet", {})
    assert "introduced" not in extracted(domain, "need_moud", {})


def test_first_contact_is_one_mechanism_not_a_rule_per_intent() -> None:
    assert not (REPO / "data" / "rules" / "first_contact.yml").exists()
    for path in (REPO / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            assert not rule.get("conversation_start"), rule["rule"]
            assert {"action": "action_introduce"} not in rule["steps"], rule["rule"]
            assert "onboarding_form" not in str(rule), rule["rule"]


@pytest.mark.parametrize(
    "intent", ["thanks", "deny", "ask_privacy", "request_human", "report_barrier", "crisis_check"]
)
def test_no_reply_to_the_place_question_is_her_place_by_mapping_alone(
    domain: Domain, intent: str
) -> None:
    """Only a zip or town the NLU found; her whole reply only through extract_location."""
    slots = {"requested_slot": "location", "need": "moud"}
    assert "location" not in extracted(domain, intent, slots)
