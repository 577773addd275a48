"""What the referral workflows refuse (services/web.py maps each to HTTP)."""

from __future__ import annotations


class ReferralError(Exception):
    """A request the referral workflows refuse."""


class UnknownReferral(ReferralError):
    pass


class NeedNotOffered(ReferralError):
    pass


class NoActiveConsent(ReferralError):
    pass


class ConcurrentChange(ReferralError):
    """A referral changed meanwhile (another request moved it first)."""
