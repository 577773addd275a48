"""Tables. Directory tables follow Open Referral HSDS 3.0 field names; Tandem's taxonomy codes
and features hang off services in their own tables."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.db.base import Base, UTCDateTime, utcnow
from services.db.encrypted import EncryptedText


def new_client_id() -> str:
    """Random, meaningless id: the only name Rasa and the logs ever see for a woman."""
    return "c_" + secrets.token_hex(12)


class Client(Base):
    """A woman Tandem serves ("client"). Her phone is encrypted and looked up by keyed hash."""

    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_client_id)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[str] = mapped_column(Text)
    # Opt-out is a first-class status: "active" or "opted_out" (CTIA/FCC keywords, error 21610);
    # "forgotten" once she had Tandem delete her data (services/privacy/forget.py).
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Profile the bot may set (all optional; she can skip every question).
    preferred_name: Mapped[str | None] = mapped_column(String(60))
    stage: Mapped[str | None] = mapped_column(String(16))  # "pregnant", "postpartum" or None
    due_date: Mapped[date | None] = mapped_column(Date)
    baby_birth_date: Mapped[date | None] = mapped_column(Date)
    # Set on a pregnancy or infant loss: no stage-based (pregnancy/baby-age) message goes out.
    stage_messages_stopped: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")

    @property
    def opted_out(self) -> bool:
        """Nothing may be sent to her: she opted out, or had her data (her phone) deleted."""
        return self.status in ("opted_out", "forgotten")


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
    # inbound: received, processing, answered, fallback, pending_replay, replayed, keyword,
    # rate_limited, ignored. outbound: see services/gateway/message_states.py.
    state: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[int | None] = mapped_column(Integer)
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EngagementSignal(Base):
    """One typed engagement event (services/engagement/signals.py lists the types).

    `value` is a code, a number or a short label, never her message text; `message_sid` points
    at the message it came from when there is one.
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


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)

    services: Mapped[list[Service]] = relationship(
        back_populates="organization", lazy="raise_on_sql"
    )


class Service(Base):
    __tablename__ = "services"
    # Covering index: search checks a service's status without reading its (wide) row.
    __table_args__ = (Index("ix_services_id_status", "id", "status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), default="active")
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    alert: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship(
        back_populates="services", lazy="raise_on_sql"
    )
    codes: Mapped[list[ServiceCode]] = relationship(
        lazy="raise_on_sql", cascade="all, delete-orphan"
    )
    features: Mapped[list[ServiceFeature]] = relationship(
        lazy="raise_on_sql", cascade="all, delete-orphan"
    )


class ServiceCode(Base):
    """A Tandem taxonomy code (data/taxonomy.yml) that a service offers."""

    __tablename__ = "service_codes"
    # Covering index: the services offering a code, straight from the index.
    __table_args__ = (Index("ix_service_codes_code_service_id", "code", "service_id"),)

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True)


class ServiceFeature(Base):
    """A feature worth filtering on (MassHealth, childcare on site, ...)."""

    __tablename__ = "service_features"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    feature: Mapped[str] = mapped_column(String(40), primary_key=True)


class ServiceSearch(Base):
    """Derived search rows: one per (code, location) of every active service with coordinates,
    clustered by code and latitude so a search is one range scan. Rebuilt from the directory
    tables by services.directory.search.refresh_search_rows after every write to them.

    Each row also carries what a search would otherwise look up per row: the service's features
    and codes (sorted, comma-wrapped: ",masshealth,spanish,", or "" for none) and how many
    located places it has, so a count needs a DISTINCT only over services at several places."""

    __tablename__ = "service_search"
    __table_args__ = {"sqlite_with_rowid": False}

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float, primary_key=True)
    longitude: Mapped[float] = mapped_column(Float, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    location_id: Mapped[str] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    features: Mapped[str] = mapped_column(Text, server_default="")
    codes: Mapped[str] = mapped_column(Text, server_default="")
    locations: Mapped[int] = mapped_column(Integer, server_default="1")


class Location(Base):
    __tablename__ = "locations"
    # Covering index for the search's bounding box: coordinates and id without the wide row.
    __table_args__ = (Index("ix_locations_latitude_longitude_id", "latitude", "longitude", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    location_type: Mapped[str] = mapped_column(String(16), default="physical")
    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[str] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), index=True
    )
    address_1: Mapped[str] = mapped_column(Text)
    address_2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str] = mapped_column(Text)
    state_province: Mapped[str] = mapped_column(String(64))
    postal_code: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2), default="US")
    address_type: Mapped[str] = mapped_column(String(16), default="physical")


class ServiceAtLocation(Base):
    __tablename__ = "service_at_location"
    # Covering index: from a location found in the bounding box to its services.
    __table_args__ = (
        Index("ix_service_at_location_location_id_service_id", "location_id", "service_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    description: Mapped[str | None] = mapped_column(Text)


class Phone(Base):
    __tablename__ = "phones"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    service_at_location_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_at_location.id", ondelete="CASCADE")
    )
    number: Mapped[str] = mapped_column(String(40))
    extension: Mapped[str | None] = mapped_column(String(16))
    type: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    service_at_location_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_at_location.id", ondelete="CASCADE")
    )
    freq: Mapped[str | None] = mapped_column(String(16))
    byday: Mapped[str | None] = mapped_column(String(64))
    opens_at: Mapped[str | None] = mapped_column(String(8))
    closes_at: Mapped[str | None] = mapped_column(String(8))
    description: Mapped[str | None] = mapped_column(Text)


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
