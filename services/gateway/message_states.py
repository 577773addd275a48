"""The states of a message (models.Message.state), and the order outbound states move in.

Inbound states track the bot turn, so a retried MessageSid gets the same answer and a message
the bot missed is replayed once:
    received        stored, the turn not finished yet
    answered        the bot answered in the webhook response
    keyword         a carrier keyword, opt-out question or data-deletion step answered it
    ignored         nothing for the bot (opted out, media only, over-long)
    rate_limited    over the flood limit
    pending_replay  the bot could not answer: kept for replay
    replaying / replayed    being replayed (one worker's claim) / done
    fallback        counted as settled since the first gateway; nothing writes it now

Outbound states, in the order Twilio reports them (see RANK):
    twiml       a reply sent in the webhook response (no Twilio status follows)
    scheduled   held by Tandem (quiet hours); not yet given to Twilio
    refused     never sent: she had opted out, or is do-not-contact and it was not a reply
    accepted    Twilio took it for a Messaging Service (sender not chosen yet)
    queued      Twilio queued it
    sending     being handed to Twilio (Tandem's claim) or being sent by Twilio
    sent        the carrier took it
    delivered / undelivered / failed    final
    read        after delivered (channels with read receipts)
"""

from __future__ import annotations

from enum import StrEnum


class MessageState(StrEnum):
    RECEIVED = "received"
    ANSWERED = "answered"
    FALLBACK = "fallback"
    PENDING_REPLAY = "pending_replay"
    REPLAYING = "replaying"
    REPLAYED = "replayed"
    KEYWORD = "keyword"
    RATE_LIMITED = "rate_limited"
    IGNORED = "ignored"
    TWIML = "twiml"
    SCHEDULED = "scheduled"
    REFUSED = "refused"
    ACCEPTED = "accepted"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"


# Inbound states that mean the turn is finished and its replies are recorded.
SETTLED_STATES = frozenset(
    {
        MessageState.ANSWERED,
        MessageState.FALLBACK,
        MessageState.PENDING_REPLAY,
        MessageState.REPLAYING,
        MessageState.REPLAYED,
        MessageState.KEYWORD,
        MessageState.RATE_LIMITED,
        MessageState.IGNORED,
    }
)
OUTBOUND_STATES = (
    MessageState.SCHEDULED,
    MessageState.REFUSED,
    MessageState.QUEUED,
    MessageState.ACCEPTED,
    MessageState.SENDING,
    MessageState.SENT,
    MessageState.DELIVERED,
    MessageState.UNDELIVERED,
    MessageState.FAILED,
    MessageState.READ,
)
# Status callbacks may arrive out of order; a state only ever moves to a higher rank.
RANK = {
    MessageState.SCHEDULED: 0,
    MessageState.ACCEPTED: 1,
    MessageState.QUEUED: 2,
    MessageState.SENDING: 3,
    MessageState.SENT: 4,
    MessageState.DELIVERED: 5,
    MessageState.UNDELIVERED: 5,
    MessageState.FAILED: 5,
    MessageState.READ: 6,
}
# Final states: nothing moves them, except a read receipt after delivery.
FINAL_STATES = frozenset(
    {
        MessageState.REFUSED,
        MessageState.DELIVERED,
        MessageState.UNDELIVERED,
        MessageState.FAILED,
        MessageState.READ,
    }
)
# Outbound states of a text that never reached her phone (held, refused or failed).
NOT_SENT = (
    MessageState.SCHEDULED,
    MessageState.REFUSED,
    MessageState.FAILED,
    MessageState.UNDELIVERED,
)


def can_advance(current: str, new: str) -> bool:
    """May a message in state `current` move to `new` (a status Twilio reported)?"""
    if new not in RANK or (current not in RANK and current not in FINAL_STATES):
        return False
    if current in FINAL_STATES:
        return current == MessageState.DELIVERED and new == MessageState.READ
    return RANK[new] > RANK[current]  # type: ignore[index]


def states_advancing_to(new: str) -> list[MessageState]:
    """Every state from which `new` is a move forward (for a conditional, race-free UPDATE)."""
    return [state for state in OUTBOUND_STATES if can_advance(state, new)]
