"""The domain's slot mappings that keep a consent safe, run through Rasa's own
action_extract_slots, and the first-contact rules' coverage.

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


def test_a_greeting_counts_as_the_intro(domain: Domain) -> None:
    assert extracted(domain, "greet", {})["introduced"] is True
    assert "introduced" not in extracted(domain, "need_moud", {})


def test_every_first_message_but_a_greeting_or_a_crisis_gets_the_intro(domain: Domain) -> None:
    rules = yaml.safe_load((REPO / "data" / "rules" / "first_contact.yml").read_text())["rules"]
    # A feature may keep its first-contact rule beside its own rules (data/rules/knowledge.yml).
    for path in sorted((REPO / "data" / "rules").glob("*.yml")):
        if path.name != "first_contact.yml":
            more = yaml.safe_load(path.read_text()).get("rules") or []
            rules += [rule for rule in more if rule.get("conversation_start")]
    covered: set[str] = set()
    for rule in rules:
        assert rule.get("conversation_start") is True, rule["rule"]
        condition = rule["condition"][0]["slot_was_set"]
        assert {"introduced": False} in condition and {"crisis_active": False} in condition
        first = rule["steps"][0]
        intents = [s["intent"] for s in first["or"]] if "or" in first else [first["intent"]]
        assert rule["steps"][1] == {"action": "action_introduce"}, rule["rule"]
        covered |= set(intents)
    not_first = {
        "greet",  # the full welcome and the onboarding questions
        "crisis_overdose",
        "crisis_suicide",
        "crisis_violence",
        "crisis_medical",  # the crisis reply, nothing before it
        "crisis_check",  # the direct safety question, nothing before it
        "checkin_start",  # the scheduler's, for women who texted before
        "inform_safe",  # only ever an answer to "Are you safe right now?"
    }
    intents = set(yaml.safe_load((REPO / "domain.yml").read_text())["intents"])
    assert covered == (intents | {"nlu_fallback"}) - not_first
