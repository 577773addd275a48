"""The check of each action server answer (bot/action_answers.py) judges every answer as
Rasa's own did (jsonschema.validate against Rasa's response schema): a good answer passes,
a malformed one fails the action with the same error and Rasa's hint."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate, validators
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import action_answers

SCHEMA = RemoteAction.action_response_format_spec()
GOOD = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "zip", "value": "01105"}],
        "responses": [{"text": "Here are 3 places near 01105.", "buttons": []}],
    },
    {"events": [{"event": "action_execution_rejected", "name": "validate_find_form"}]},
]
BAD = [
    {"events": "slot"},
    {"events": [{"name": "zip"}]},
    {"responses": {"text": "not a list"}},
    {"events": [{"event": 7}]},
]


@pytest.fixture
def action(monkeypatch) -> RemoteAction:
    monkeypatch.setattr(
        RemoteAction, "_validate_action_result", RemoteAction._validate_action_result
    )
    action_answers.install()
    return RemoteAction("action_find_services", EndpointConfig("http://127.0.0.1:9"))


@pytest.mark.parametrize("answer", GOOD)
def test_a_good_answer_passes(action: RemoteAction, answer: dict) -> None:
    validate(answer, SCHEMA)  # Rasa's own check agrees
    assert action._validate_action_result(answer) is True


@pytest.mark.parametrize("answer", BAD)
def test_a_malformed_answer_fails_as_before(action: RemoteAction, answer: dict) -> None:
    with pytest.raises(ValidationError) as rasa_said:
        validate(answer, SCHEMA)
    with pytest.raises(ValidationError) as said:
        action._validate_action_result(answer)
    assert said.value.message.startswith(rasa_said.value.message)
    assert "Failed to validate Action server response" in said.value.message
    assert list(said.value.path) == list(rasa_said.value.path)


def test_the_schema_is_checked_once_not_on_every_answer(action: RemoteAction, monkeypatch) -> None:
    cls = validators.validator_for(SCHEMA)
    checks: list[dict] = []
    check_schema = cls.check_schema
    monkeypatch.setattr(
        cls, "check_schema", lambda schema: (checks.append(schema), check_schema(schema))
    )
    action_answers._validator.cache_clear()
    for answer in GOOD * 3:
        action._validate_action_result(answer)
    assert checks == [SCHEMA]
