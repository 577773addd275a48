"""Check-ins: durable scheduled messages to her (follow-ups and her regular check-in)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.db.base import Base, UTCDateTime, utcnow


class CheckIn(Base):
    """One check-in due at `due_at` (services/checkins/ has the kinds, texts and states).

    `payload` holds ids only (the referral it follows up), never her words; the text is
    written at send time in her language and lands in the message log (`message_id`).
    """

    __tablename__ = "check_ins"
    __table_args__ = (
        # The claim: due rows of one state in (due_at, id) order, straight from the index.
        Index("ix_check_ins_state_due_at_id", "state", "due_at", "id"),
        Index("ix_check_ins_client_id_state", "client_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    # Why it ended without a text (opted_out, paused, referral_closed, loss_reported, ...).
    reason: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    payload: Mapped[dict[str, int | str]] = mapped_column(JSON, default=dict)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Indexed: deleting old messages (tandem purge) looks up the check-ins pointing at them.
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
