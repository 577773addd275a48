"""A woman Tandem serves ("client"): her pseudonymous id, encrypted phone, status and profile."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from services.db.base import Base, UTCDateTime, utcnow


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
    # Do-not-contact (Gravity contacting-subject-prohibited) for Tandem itself: nothing that
    # Tandem starts goes to her (staff texts, scheduled messages); her own texts are still
    # answered (services/clients/status.py, why_not_text). Set and cleared by staff on her
    # page, stamped with when and by whom. Referrals carry their own flag for providers.
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    do_not_contact_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    do_not_contact_changed_by: Mapped[str | None] = mapped_column(String(64))
    # How often she wants a check-in (services/checkins/cadence.py); None until she chooses:
    # then only follow-ups to what she told Tandem go out.
    checkin_cadence: Mapped[str | None] = mapped_column(String(16))
    checkin_cadence_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_cadence_changed_by: Mapped[str | None] = mapped_column(String(64))
    # Her own hours and discreet mode (services/clients/contact_prefs.py): a window
    # "HH:MM-HH:MM" in the program's time zone when she does not want texts Tandem starts (on
    # top of TANDEM_QUIET_HOURS; None: none), and discreet mode: what Tandem starts is the
    # stand-in "Reply 1 if it's a good time to talk", never a check-in's own words.
    contact_quiet_hours: Mapped[str | None] = mapped_column(String(11))
    discreet: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    contact_prefs_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_prefs_changed_by: Mapped[str | None] = mapped_column(String(64))
    # Her case manager (the dashboard's work queue); None: in the unassigned queue.
    assigned_to: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", ondelete="SET NULL"), index=True
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def opted_out(self) -> bool:
        """Nothing may be sent to her: she opted out, or had her data (her phone) deleted."""
        return self.status in ("opted_out", "forgotten")
