"""bot.language.LanguageDetector: the language entity that picks Spanish replies."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("rasa", reason="runs in the bot venv (.venv-bot)")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from rasa.shared.nlu.constants import ENTITIES, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.crisis_guard import CRISIS_KEY
    from bot.language import LANGUAGE_ENTITY, LanguageDetector, detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("necesito un doctor para mi bebe", "es"),
        ("hola", "es"),
        ("gracias", "es"),
        ("estoy embarazada y necesito ayuda", "es"),
        ("¿Dónde está la clínica?", "es"),
        ("i need a ride to my appt", "en"),
        ("hi", "en"),
        ("ok", "en"),
        ("si", "es"),
        ("no", None),
        ("01105", None),
        ("", None),
    ],
)
def test_detect_language(text: str, language: str | None) -> None:
    assert detect_language(text) == language


def process(text: str, crisis: dict | None = None, entities: list | None = None) -> Message:
    message = Message(data={TEXT: text, ENTITIES: list(entities or [])})
    if crisis is not None:
        message.set(CRISIS_KEY, crisis, add_to_output=True)
    LanguageDetector({}).process([message])
    return message


def language_entities(message: Message) -> list[dict]:
    return [e for e in message.get(ENTITIES, []) if e["entity"] == LANGUAGE_ENTITY]


def test_spanish_gets_the_entity_over_the_whole_message() -> None:
    text = "necesito pañales para mi bebe"
    (entity,) = language_entities(process(text))
    assert entity["value"] == "es"
    assert (entity["start"], entity["end"]) == (0, len(text))
    assert entity["extractor"] == "LanguageDetector"


def test_english_and_short_replies_get_no_entity() -> None:
    assert language_entities(process("i need a ride")) == []
    assert language_entities(process("ok")) == []


def test_a_crisis_message_always_gets_the_crisis_match_language() -> None:
    crisis = {"intent": "crisis_suicide", "language": "en"}
    (entity,) = language_entities(process("i want to die", crisis))
    assert entity["value"] == "en"
    crisis = {"intent": "crisis_suicide", "language": "es"}
    (entity,) = language_entities(process("me quiero morir", crisis))
    assert entity["value"] == "es"


def test_other_entities_are_kept_and_the_language_is_not_doubled() -> None:
    zip_entity = {"entity": "zip", "value": "01105", "start": 13, "end": 18}
    old = {"entity": LANGUAGE_ENTITY, "value": "en", "start": 0, "end": 18}
    message = process("vivo cerca de 01105", entities=[zip_entity, old])
    assert zip_entity in message.get(ENTITIES)
    assert [e["value"] for e in language_entities(message)] == ["es"]
