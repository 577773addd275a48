"""Rasa's event classes by type name, kept after the first look-up (bot/event_types.py): the
same class as Rasa's own look-up for every event type, the same error and default for an
unknown one."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot import event_types


@pytest.mark.parametrize("cls", sorted(all_subclasses(Event), key=lambda c: c.type_name))
def test_every_event_type_resolves_to_rasas_own_class(cls: type[Event]) -> None:
    rasa_answer = event_types._rasa_resolve(cls.type_name)
    assert event_types.resolve_by_type(cls.type_name) is rasa_answer
    assert event_types.resolve_by_type(cls.type_name) is rasa_answer  # and again, kept


def test_an_unknown_type_raises_or_gets_the_default_and_is_never_kept() -> None:
    with pytest.raises(ValueError, match="Unknown event name"):
        event_types.resolve_by_type("no_such_event")
    assert event_types.resolve_by_type("no_such_event", SlotSet) is SlotSet
    assert "no_such_event" not in event_types._known


def test_installed_events_read_back_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Event, "resolve_by_type", Event.resolve_by_type)  # undone after
    event_types.install()
    stored = [
        UserUttered("hi", {"name": "greet", "confidence": 1.0}).as_dict(),
        ActionExecuted("action_listen").as_dict(),
        SlotSet("location", "01105").as_dict(),
    ]
    events = [Event.from_parameters(e) for e in stored]
    assert [type(e) for e in events] == [UserUttered, ActionExecuted, SlotSet]
    assert [e.as_dict() for e in events] == stored
