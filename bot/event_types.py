"""Rasa's look-up of an event's class by its type name, kept after the first time.

Rasa turns every stored or returned event into its class with `Event.resolve_by_type`, which
walks every subclass of `Event` again (`all_subclasses`, recursive, with an `isabstract`
check on each) for every event: 4.4% of a Rasa process's busy time under load, reading her
session back (bench/results/turn_profile.md, cut 6). The classes are fixed once Rasa has
imported them, so the answer for a type name is kept; a name not known yet is looked up as
before (and raises as before), and a default given for an unknown name is never kept.

bot/rasa_server.py installs it before Rasa starts.
"""

from __future__ import annotations

from rasa.shared.core.events import Event

_rasa_resolve = Event.resolve_by_type
_known: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Event.resolve_by_type, with each type name's class kept after the first look-up."""
    cls = _known.get(type_name)
    if cls is None:
        cls = _rasa_resolve(type_name, default)
        if cls is not None and cls.type_name == type_name:
            _known[type_name] = cls
    return cls


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
