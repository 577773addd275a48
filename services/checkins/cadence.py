"""How often she wants a check-in: the one list of cadences and what each means.

"when_i_text" and "paused" send nothing Tandem starts as a check-in (follow-ups included):
she asked for quiet. No cadence (None, she has not chosen) sends follow-ups only.
"""

from __future__ import annotations

from datetime import timedelta

INTERVALS: dict[str, timedelta | None] = {
    "every_few_days": timedelta(days=3),
    "weekly": timedelta(days=7),
    "every_2_weeks": timedelta(days=14),
    "when_i_text": None,
    "paused": None,
}
CADENCES = tuple(INTERVALS)
QUIET_CADENCES = frozenset({"when_i_text", "paused"})


class InvalidCadence(ValueError):
    """Not one of CADENCES."""

    def __init__(self, given: object) -> None:
        super().__init__(f"cadence must be one of: {', '.join(CADENCES)}.")
        self.given = given


def validate_cadence(value: object) -> str:
    if not isinstance(value, str) or value not in INTERVALS:
        raise InvalidCadence(value)
    return value


def interval(cadence: str | None) -> timedelta | None:
    """Time between her regular check-ins, or None when there are none."""
    return INTERVALS.get(cadence) if cadence else None


def allows_check_ins(cadence: str | None) -> bool:
    return cadence not in QUIET_CADENCES
