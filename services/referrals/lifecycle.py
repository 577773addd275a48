"""The one home of a referral's lifecycle: statuses, allowed transitions, reason and outcome rules.

Statuses are FHIR R4 TaskStatus as profiled by the Gravity SDOH Clinical Care IG for referral
management (without `ready` and `received`). Terminal statuses can still be marked
entered-in-error, the requester's correction for a referral that should never have existed.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES: tuple[str, ...] = (
    "draft",
    "requested",
    "accepted",
    "rejected",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
)

_ERROR = "entered-in-error"
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"requested", "cancelled", _ERROR}),
    "requested": frozenset({"accepted", "rejected", "cancelled", _ERROR}),
    "accepted": frozenset({"in-progress", "cancelled", _ERROR}),
    "in-progress": frozenset({"on-hold", "failed", "completed", "cancelled", _ERROR}),
    "on-hold": frozenset({"in-progress", "failed", "cancelled", _ERROR}),
    "rejected": frozenset({_ERROR}),
    "cancelled": frozenset({_ERROR}),
    "failed": frozenset({_ERROR}),
    "completed": frozenset({_ERROR}),
    _ERROR: frozenset(),
}
# Closed: nothing more happens for her (only a correction to entered-in-error).
TERMINAL: frozenset[str] = frozenset(s for s, to in TRANSITIONS.items() if to <= {_ERROR})
REASON_REQUIRED: frozenset[str] = frozenset({"rejected", "cancelled", "on-hold", "failed"})
# How a referral ended for her (modelled on findhelp's closed-loop outcomes).
OUTCOMES: dict[str, str] = {
    "got_help": "Got help",
    "couldnt_contact": "Couldn't contact",
    "no_capacity": "No capacity",
    "not_eligible": "Not eligible",
    "no_longer_interested": "No longer interested",
    "referred_elsewhere": "Referred elsewhere",
}
OUTCOME_REQUIRED: frozenset[str] = frozenset({"completed"})
# An outcome may also say why a referral closed without help (rejected: no capacity, ...).
OUTCOME_ALLOWED: frozenset[str] = frozenset({"completed", "rejected", "cancelled", "failed"})
MAX_REASON_CHARS = 500


class TransitionError(ValueError):
    """A status change the lifecycle refuses; `field` names the culprit."""

    field = "to"


class UnknownStatus(TransitionError):
    pass


class InvalidTransition(TransitionError):
    def __init__(self, current: str, to: str) -> None:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        super().__init__(f"A {current} referral cannot become {to} (allowed: {allowed}).")
        self.current, self.to = current, to


class ReasonRequired(TransitionError):
    field = "reason"


class OutcomeRequired(TransitionError):
    field = "outcome"


class InvalidOutcome(TransitionError):
    field = "outcome"


class InvalidReason(TransitionError):
    field = "reason"


@dataclass(frozen=True)
class Transition:
    current: str
    to: str
    reason: str | None
    outcome: str | None


def check_transition(
    current: str, to: object, reason: object = None, outcome: object = None
) -> Transition:
    """The change from `current` to `to` if the lifecycle allows it, with its reason and outcome
    cleaned; raises a TransitionError saying what is wrong otherwise."""
    if not isinstance(to, str) or to not in TRANSITIONS:
        raise UnknownStatus(f"to must be one of: {', '.join(STATUSES)}.")
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(current, to)
    if reason is not None and not isinstance(reason, str):
        raise InvalidReason("reason must be text.")
    reason = " ".join((reason or "").split()) or None
    if reason is not None and len(reason) > MAX_REASON_CHARS:
        raise InvalidReason(f"reason must be at most {MAX_REASON_CHARS} characters.")
    if reason is None and to in REASON_REQUIRED:
        raise ReasonRequired(f"A reason is required to make a referral {to}.")
    if outcome is not None and (not isinstance(outcome, str) or outcome not in OUTCOMES):
        raise InvalidOutcome(f"outcome must be one of: {', '.join(OUTCOMES)}.")
    if outcome is None and to in OUTCOME_REQUIRED:
        raise OutcomeRequired(f"An outcome is required to make a referral {to}.")
    if outcome is not None and to not in OUTCOME_ALLOWED:
        closing = ", ".join(sorted(OUTCOME_ALLOWED))
        raise InvalidOutcome(f"An outcome is given only when a referral closes ({closing}).")
    return Transition(current=current, to=to, reason=reason, outcome=outcome)
