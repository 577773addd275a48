"""Her past states kept while her history stays the same (bot/past_states.py): the policies
get exactly what Rasa would work out, each call its own copy, and a new event is seen."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bench.tracker_store import one_turn
from bot import past_states

REPO = Path(__file__).resolve().parents[2]
RULE_ONLY = {"rule_only_slots": ["crisis_active"], "rule_only_loops": []}
ARGUMENTS = [
    {},
    {"omit_unset_slots": True},
    {"ignore_rule_only_turns": True, "rule_only_data": RULE_ONLY},
]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(REPO / "domain.yml")


def session(domain: Domain, turns: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker("her", domain.slots)
    for event in (ActionExecuted("action_session_start"), SessionStarted()):
        tracker.update(event)
    tracker.update(ActionExecuted("action_listen"))
    for i in range(turns):
        one_turn(tracker, i)
    return tracker


def rasas_own(tracker: DialogueStateTracker, domain: Domain, **arguments: object) -> list:
    return past_states._rasa_past_states(tracker, domain, **arguments)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The kept states installed; counts Rasa's own computations."""
    computed: list[int] = []
    own = past_states._rasa_past_states

    def counted(*args: object, **kwargs: object) -> list:
        computed.append(1)
        return own(*args, **kwargs)

    monkeypatch.setattr(past_states, "_rasa_past_states", counted)
    monkeypatch.setattr(DialogueStateTracker, "past_states", past_states.past_states)
    return computed


def test_the_states_are_rasas_and_worked_out_once_per_history(
    installed: list[int], domain: Domain
) -> None:
    tracker = session(domain, 6)
    for arguments in ARGUMENTS:
        installed.clear()
        first = tracker.past_states(domain, **arguments)
        again = tracker.past_states(domain, **arguments)
        assert first == again == rasas_own(tracker, domain, **arguments)
        assert len(installed) == 2  # once by the kept function, once by rasas_own above


def test_each_caller_may_edit_its_states(installed: list[int], domain: Domain) -> None:
    tracker = session(domain, 3)
    expected = rasas_own(tracker, domain)
    edited = tracker.past_states(domain)
    for state in edited:  # what Rasa's featurizer does to the last user state
        state.get("user", {}).pop("intent", None)
        state.get("user", {}).pop("text", None)
    assert tracker.past_states(domain) == expected


def test_a_new_event_is_seen(installed: list[int], domain: Domain) -> None:
    tracker = session(domain, 2)
    before = tracker.past_states(domain)
    tracker.update(UserUttered("01105", {"name": "inform_location", "confidence": 0.9}))
    tracker.update(SlotSet("location", "01105"))
    after = tracker.past_states(domain)
    assert after != before
    assert after == rasas_own(tracker, domain)
