"""Every need is wired by mechanisms, not copies (issue 10, point 7).

data/taxonomy.yml is the one list of needs. A need she can name (a group, or a code in no
group) has a need_* intent named after its key, examples the classifier learns it from, the
one rule that opens find_services_form for every need, and the one slot mapping that reads the
key from the intent (action_validate_slot_mappings, extract_need). Adding a need without any of
these, or an intent without its taxonomy entry, fails here.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.constants import RULE_SNIPPET_ACTION_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.language import ValidateSlotMappings
from actions.taxonomy import NEED_INTENT_PREFIX, load_taxonomy, needs_she_can_name, refine_need
from tests.bot.fake_api import tracker
from tests.bot.test_nlu_data import examples
from tests.ports import closed_port_url

REPO = Path(__file__).resolve().parents[2]
FORM = "find_services_form"
# Enough examples for the intent classifier to learn a need from (the fewest today: 62).
MIN_EXAMPLES = 20


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


@pytest.fixture(scope="module")
def need_intents(domain: Domain) -> list[str]:
    return [i for i in domain.intents if i.startswith(NEED_INTENT_PREFIX)]


def test_every_need_she_can_name_has_an_intent_and_every_need_intent_a_need(
    need_intents: list[str],
) -> None:
    named = {NEED_INTENT_PREFIX + key for key in needs_she_can_name()}
    assert named == set(need_intents), named ^ set(need_intents)


def test_a_code_in_a_group_is_reached_by_narrowing_the_group() -> None:
    taxonomy = load_taxonomy()
    for group, spec in taxonomy["groups"].items():
        for code in spec["codes"]:
            keywords = taxonomy["codes"][code]["keywords"]
            assert keywords and refine_need(group, str(keywords[0])) == code, (group, code)


def test_every_need_intent_has_examples_to_learn_from(need_intents: list[str]) -> None:
    counts = Counter(
        intent
        for path in sorted((REPO / "data" / "nlu").glob("*.yml"))
        for _, intent in examples(path)
    )
    thin = {intent: counts[intent] for intent in need_intents if counts[intent] < MIN_EXAMPLES}
    assert not thin, f"need intents with fewer than {MIN_EXAMPLES} NLU examples: {thin}"


def test_one_rule_opens_the_services_form_for_every_need(
    domain: Domain, need_intents: list[str]
) -> None:
    """As Rasa trains on it: the `or:` rule becomes a rule tracker per need, with no condition."""
    rules = YAMLStoryReader(domain).read_from_file(str(REPO / "data/rules/find_services.yml"))
    trackers = TrainingDataGenerator(StoryGraph(rules), domain, augmentation_factor=0).generate()
    skip = ("action_listen", RULE_SNIPPET_ACTION_NAME)
    opens = set()
    for t in trackers:
        events = [
            e for e in t.events if not (isinstance(e, ActionExecuted) and e.action_name in skip)
        ]
        if events[1:] == [ActionExecuted(FORM), ActiveLoop(FORM)] and isinstance(
            events[0], UserUttered
        ):
            opens.add(events[0].intent_name)
    assert opens == set(need_intents), opens ^ set(need_intents)

    data = yaml.safe_load((REPO / "data/rules/find_services.yml").read_text(encoding="utf-8"))
    spelled = [r["rule"] for r in data["rules"] if re.search(r"'intent': 'need_", str(r["steps"]))]
    assert spelled == ["a need opens the services form"]  # one rule, not one per need


def test_the_need_slot_has_one_mapping_and_no_need_is_spelled_out_again_in_the_domain(
    need_intents: list[str],
) -> None:
    data = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    assert data["slots"]["need"]["mappings"] == [{"type": "custom"}]
    rest = str({k: v for k, v in data.items() if k != "intents"})
    assert not [i for i in need_intents if re.search(rf"\b{i}\b", rest)]


class InProcessActionServer(EndpointConfig):
    """Rasa's action endpoint, answered by the rasa-sdk executor in this process."""

    def __init__(self) -> None:
        super().__init__(url="http://in-process")
        self.executor = ActionExecutor()
        self.executor.register_action(ValidateSlotMappings())

    async def request(self, json: dict[str, Any], **_: Any) -> Any:  # type: ignore[override]
        return await self.executor.run(json)


def extracted(
    domain: Domain, intent: str, entities: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The slots Rasa's own action_extract_slots sets from her message (slot mappings, then
    action_validate_slot_mappings), after she had asked for housing."""
    events = [
        ActionExecuted("action_listen"),
        SlotSet("introduced", True),
        SlotSet("need", "housing"),
        ActionExecuted("action_listen"),
        UserUttered("...", intent={"name": intent, "confidence": 1.0}, entities=entities or []),
    ]
    tracker = DialogueStateTracker.from_events("client-7", events, slots=domain.slots)
    action = ActionExtractSlots(action_endpoint=InProcessActionServer())
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    result = asyncio.run(action.run(CollectingOutputChannel(), nlg, tracker, domain))
    return {e.key: e.value for e in result if isinstance(e, SlotSet)}


def test_rasa_sets_the_need_every_need_intent_names(
    monkeypatch: pytest.MonkeyPatch, domain: Domain, need_intents: list[str]
) -> None:
    monkeypatch.setenv("TANDEM_API_URL", closed_port_url())
    for intent in need_intents:
        need = extracted(domain, intent).get("need")
        assert need == intent[len(NEED_INTENT_PREFIX) :], intent  # a new need replaces the old
        assert refine_need(need, "") == need  # a need the form and the search know
    assert "need" not in extracted(domain, "inform_location")


def test_rasa_takes_her_place_from_a_need_message(
    monkeypatch: pytest.MonkeyPatch, domain: Domain
) -> None:
    monkeypatch.setenv("TANDEM_API_URL", closed_port_url())
    town = {"entity": "town", "value": "holyoke", "start": 0, "end": 7}
    zip_code = {"entity": "zip", "value": "01040", "start": 8, "end": 13}
    assert extracted(domain, "need_childcare", [town])["location"] == "holyoke"
    assert extracted(domain, "need_childcare", [town, zip_code])["location"] == "01040"
    assert "location" not in extracted(domain, "inform_name", [town])


def validate_slots(monkeypatch: pytest.MonkeyPatch, **tracker_args: Any) -> list[dict[str, Any]]:
    """Events of action_validate_slot_mappings after her message (no intro, no API call)."""
    monkeypatch.setenv("TANDEM_API_URL", closed_port_url())
    dispatcher = CollectingDispatcher()
    tracker_args.setdefault("active_loop", None)
    events = asyncio.run(ValidateSlotMappings().run(dispatcher, tracker(**tracker_args), {}))
    assert dispatcher.messages == []
    return events


@pytest.mark.parametrize(
    "intent", ["inform_location", "affirm", "request_referral", "crisis_overdose", "need_"]
)
def test_no_other_intent_sets_or_clears_the_need(
    monkeypatch: pytest.MonkeyPatch, intent: str
) -> None:
    events = validate_slots(monkeypatch, text="...", intent=intent, slots={"need": "housing"})
    assert not [e for e in events if e["name"] == "need"]


@pytest.mark.parametrize(
    ("intent", "entities", "active_loop", "place"),
    [
        # a town in any need message, with or without the form (was one intent list per need)
        ("need_housing", [{"entity": "town", "value": "holyoke"}], None, "holyoke"),
        ("need_legal_advocacy", [{"entity": "town", "value": "lowell"}], FORM, "lowell"),
        ("inform_location", [{"entity": "town", "value": "sharon"}], None, "sharon"),
        (
            "inform_location",
            [{"entity": "town", "value": "a"}, {"entity": "town", "value": "b"}],
            None,
            "b",
        ),  # the last one, as Rasa's entity mapping took it
        # some town names are people's names: not from any other message
        ("inform_name", [{"entity": "town", "value": "sharon"}], None, None),
        ("crisis_violence", [{"entity": "town", "value": "holyoke"}], FORM, None),
        # a zip is the zip mapping's, and beats the town
        (
            "need_moud",
            [{"entity": "zip", "value": "01105"}, {"entity": "town", "value": "holyoke"}],
            None,
            None,
        ),
    ],
)
def test_a_town_is_her_place_only_from_a_message_about_a_place_or_a_need(
    monkeypatch: pytest.MonkeyPatch,
    intent: str,
    entities: list[dict[str, Any]],
    active_loop: str | None,
    place: str | None,
) -> None:
    events = validate_slots(
        monkeypatch,
        text="...",
        intent=intent,
        entities=entities,
        active_loop=active_loop,
        slots={"requested_slot": "location" if active_loop else None},
    )
    found = [e["value"] for e in events if e["name"] == "location"]
    assert found == ([place] if place else [])
