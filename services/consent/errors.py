"""What the consent workflows refuse (services/web.py maps each to HTTP)."""

from __future__ import annotations


class ConsentError(Exception):
    """A request the consent workflows refuse."""


class UnknownConsent(ConsentError):
    pass


class ConsentNotPending(ConsentError):
    def __init__(self, status: str) -> None:
        super().__init__(f"This consent is {status}, not waiting for her answer.")
        self.status = status


class UnknownMessage(ConsentError):
    """Her signature must be an inbound message from her that Tandem received."""


class MessageAlreadyUsed(ConsentError):
    pass


class NotAnAnswer(ConsentError):
    """Received before the consent text went out to her, or after the consent expired."""


class NotAYes(ConsentError):
    """Her message does not read as an explicit YES (data/consent/yes.yml)."""
