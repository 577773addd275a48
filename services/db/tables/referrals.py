"""Closed-loop referrals, their status history, and the 42 CFR Part 2 consent that covers each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.db.base import Base, UTCDateTime, utcnow
from services.db.tables.directory import Service


class Consent(Base):
    """Her 42 CFR Part 2 (§2.31) consent to share with one provider, as the SMS text stated it.

    Each §2.31 element has its own column, as shown to her in her language; `text` keeps the
    exact parts sent. Her signature is the inbound MessageSid of her YES and its time.
    pending -> active (YES) | declined (NO) | withdrawn (revoked by text) | expired.
    """

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_client_id_status", "client_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    language: Mapped[str] = mapped_column(String(2))
    patient_name: Mapped[str | None] = mapped_column(String(60))  # who she is (None: "you")
    disclosed_by: Mapped[str] = mapped_column(Text)  # who may disclose
    information: Mapped[str] = mapped_column(Text)  # what, specifically
    recipient_organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    recipient: Mapped[str] = mapped_column(Text)  # to whom: organization and service
    purpose: Mapped[str] = mapped_column(Text)
    revocation: Mapped[str] = mapped_column(Text)  # her right to revoke, and how
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[list[str]] = mapped_column(JSON)  # the exact SMS parts shown
    signed_message_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_message_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the date shown
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_by: Mapped[str | None] = mapped_column(String(64))


class Referral(Base):
    """A closed-loop referral: her, one service at one location, for one need.

    `status` follows FHIR Task status (services/referrals/lifecycle.py has the one transition
    table); `reason` explains the current status and `outcome` how it closed.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_client_id_created_at", "client_id", "created_at"),
        Index("ix_referrals_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    # A service is never deleted while a referral names it (the directory only closes services).
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="RESTRICT"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    need: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(64))  # "bot" or "staff:<id>"
    status: Mapped[str] = mapped_column(String(20), default="draft")
    reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(32))
    # Gravity's contacting-subject-prohibited: contact goes through her case manager.
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    consent_id: Mapped[int | None] = mapped_column(
        ForeignKey("consents.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    service: Mapped[Service] = relationship(lazy="raise_on_sql")
    consent: Mapped[Consent | None] = relationship(lazy="raise_on_sql")


class ReferralStatusChange(Base):
    """One row per status change of a referral (creation included): who, when, from, to, why."""

    __tablename__ = "referral_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
