"""The stage-message library: texts keyed to her due date or her baby's birth date (like
RapidPro campaigns), seeded from data/checkins/stage_messages.yml and edited by staff."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from services.db.base import Base, UTCDateTime, utcnow


class StageMessage(Base):
    """One message of the library (services/checkins/stage_library.py). `key` is what a
    scheduled check-in's payload names, so edits reach check-ins already scheduled."""

    __tablename__ = "stage_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    anchor: Mapped[str] = mapped_column(String(16))  # "due_date" or "baby_birth_date"
    offset_days: Mapped[int] = mapped_column(Integer)  # negative: before the anchor date
    text_en: Mapped[str] = mapped_column(Text)
    text_es: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    last_reviewed: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "seed" (from the YAML) or "staff:<id>".
    updated_by: Mapped[str] = mapped_column(String(64), default="seed")
