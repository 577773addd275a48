"""A tracker's past states, worked out once for each length of her history.

Rasa's RulePolicy turns her whole session into states (replaying every event on a fresh
tracker) twice for every prediction, once reading her last message as text and once as an
intent, and a turn makes several predictions: 2.2 ms for a session of 73 events each time
(bench/results/turn_profile.md, cut 9). The states depend only on the events, the domain and
the arguments, so the last answer is kept on the tracker and handed out again while her
history has not changed. Each caller gets its own copy of every state, two levels deep, as
deep as Rasa's featurizer edits them (it deletes the intent or the text from a state's user
part).

bot/rasa_server.py installs it before Rasa starts.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker

KEPT = "_tandem_past_states"
_rasa_past_states = DialogueStateTracker.past_states


def _copy(states: list[State]) -> list[State]:
    return [{part: dict(values) for part, values in state.items()} for state in states]


def past_states(
    self: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """DialogueStateTracker.past_states, kept while her events stay the same."""
    events = self.events
    key = (
        id(domain),
        len(events),
        id(events[-1]) if events else None,
        omit_unset_slots,
        ignore_rule_only_turns,
        None
        if rule_only_data is None
        else tuple(sorted((k, tuple(v)) for k, v in rule_only_data.items())),
    )
    kept = getattr(self, KEPT, None)
    if kept is None or kept[0] != key:
        states = _rasa_past_states(
            self,
            domain,
            omit_unset_slots=omit_unset_slots,
            ignore_rule_only_turns=ignore_rule_only_turns,
            rule_only_data=rule_only_data,
        )
        kept = (key, states)  # Rasa's own list, handed to nobody: copies go out
        setattr(self, KEPT, kept)
    return _copy(kept[1])


def install() -> None:
    DialogueStateTracker.past_states = past_states  # type: ignore[method-assign]
