"""Engagement signals and the staff alerts raised with some of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db.base import Base, UTCDateTime, utcnow
from services.db.encrypted import EncryptedText


class EngagementSignal(Base):
    """One typed engagement event (services/engagement/taxonomy.py lists the types).

    `value` is a code, a number or a short label, never her message text; `message_sid` points
    at the message it came from when there is one. `words` is what staff wrote down about her
    provider relationship (provider_rating only), encrypted like the dashboard's notes.
    """

    __tablename__ = "engagement_signals"
    __table_args__ = (
        Index("ix_engagement_signals_client_id_created_at", "client_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="bot")  # bot, staff or gateway
    message_sid: Mapped[str | None] = mapped_column(String(64))
    words: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Alert(Base):
    """Something staff must see: a crisis, or her asking for a person."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "crisis" or "human_requested"
    detail: Mapped[str | None] = mapped_column(String(200))  # short, never her message text
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, acknowledged, closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    # What the staff member did about it (required when acknowledging in the dashboard).
    acknowledged_note: Mapped[str | None] = mapped_column(String(500))
