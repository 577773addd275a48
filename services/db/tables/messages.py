"""The message log's table: every SMS in and out (her words encrypted at rest)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.db.base import Base, UTCDateTime, utcnow
from services.db.encrypted import EncryptedText


class Message(Base):
    """One SMS, in or out: the case manager's timeline and the gateway's memory.

    Inbound `state` tracks the bot turn (so a retried MessageSid gets the same answer and a
    message the bot missed is replayed once); outbound `status` follows Twilio's delivery
    statuses and never moves backwards.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_client_id_created_at", "client_id", "created_at"),
        Index("ix_messages_direction_state", "direction", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))  # "inbound" or "outbound"
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    idempotency_token: Mapped[str | None] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(EncryptedText, default="")  # her words: encrypted
    num_media: Mapped[int] = mapped_column(Integer, default=0)
    segments: Mapped[int] = mapped_column(Integer, default=1)
    # Inbound and outbound states: services/gateway/message_states.py (MessageState).
    state: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[int | None] = mapped_column(Integer)
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
