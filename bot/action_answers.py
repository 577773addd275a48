"""Rasa's check of each action server answer, with its schema checked once.

Rasa validates every answer of the action server (several per turn: the form validation
action, each custom action) with `jsonschema.validate`, which first checks the schema itself
against JSON Schema's metaschema, on every call. The schema is Rasa's constant, and that
check was the largest single cost of a turn: about a third of a Rasa process's CPU
(bench/turn_profile.py). Here the validator is built once, with the schema checked then;
an answer is judged exactly as before (jsonschema.validate's best-match error, with Rasa's
hint appended).

bot/rasa_server.py installs it before Rasa starts.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@cache
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(_: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result, with the validator built once."""
    error = best_match(_validator().iter_errors(result))
    if error is not None:
        # Rasa's own wording (rasa/core/actions/action.py).
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
