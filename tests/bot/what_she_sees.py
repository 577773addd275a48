"""What she reads: the messages an action sent, with each domain response rendered as Rasa
renders it (rasa's TemplatedNaturalLanguageGenerator on domain.yml: the variant her slots
select, its placeholders filled from her slots and the values the action gave)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa_sdk.executor import CollectingDispatcher

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
# The keys of a CollectingDispatcher message that are not values for the response.
MESSAGE_KEYS = {
    "text", "buttons", "elements", "custom", "template", "response", "image", "attachment",
    "json_message",
}  # fmt: skip


@cache
def generator() -> TemplatedNaturalLanguageGenerator:
    with DOMAIN.open(encoding="utf-8") as f:
        return TemplatedNaturalLanguageGenerator(yaml.safe_load(f)["responses"])


def rendered(name: str, slots: dict[str, Any], **values: Any) -> str:
    """The text of response `name` for her slots, as Rasa would send it."""
    response = generator().generate_from_slots(name, slots, "twilio", **values)
    assert response is not None, f"no response {name}"
    return str(response["text"])


def what_she_sees(dispatcher: CollectingDispatcher, slots: dict[str, Any]) -> list[str]:
    """Every message the action sent, in order, as she reads it."""
    seen = []
    for message in dispatcher.messages:
        if message.get("response"):
            values = {k: v for k, v in message.items() if k not in MESSAGE_KEYS}
            seen.append(rendered(message["response"], slots, **values))
        elif message.get("text"):
            seen.append(str(message["text"]))
    return seen
