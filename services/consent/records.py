"""Consent records: add, find, and change status only from an expected status (so two requests
racing on one consent cannot both win). Repository functions never commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent.text import ConsentText
from services.db.tables import Consent, Message
from services.gateway.message_states import NOT_SENT

STATUSES: tuple[str, ...] = ("pending", "active", "declined", "withdrawn", "expired")
# Consents she can still act on: answer (pending) or revoke (pending or active).
OPEN: tuple[str, ...] = ("pending", "active")


def is_expired(consent: Consent, now: datetime) -> bool:
    return consent.status in OPEN and consent.expires_at <= now


def is_in_force(consent: Consent | None, now: datetime) -> bool:
    """Active and not past its expiry: the only state in which anything may be shared."""
    return consent is not None and consent.status == "active" and consent.expires_at > now


async def add_consent(
    session: AsyncSession,
    client_id: str,
    text: ConsentText,
    *,
    recipient_organization_id: str | None,
    now: datetime,
) -> Consent:
    consent = Consent(
        client_id=client_id,
        status="pending",
        language=text.language,
        patient_name=text.patient_name,
        disclosed_by=text.disclosed_by,
        information=text.information,
        recipient_organization_id=recipient_organization_id,
        recipient=text.recipient,
        purpose=text.purpose,
        revocation=text.revocation,
        expires_at=text.expires_at,
        text=list(text.parts),
        created_at=now,
    )
    session.add(consent)
    await session.flush()
    return consent


async def get_consent(session: AsyncSession, consent_id: int) -> Consent | None:
    return await session.get(Consent, consent_id)


async def open_consents_for(session: AsyncSession, client_id: str) -> list[Consent]:
    query = (
        select(Consent)
        .where(Consent.client_id == client_id, Consent.status.in_(OPEN))
        .order_by(Consent.id)
    )
    return list(await session.scalars(query))


async def text_sent_before(session: AsyncSession, consent: Consent, message: Message) -> bool:
    """Whether the consent's question (its last part) went out to her after the consent was
    written and before `message` came in: only a message after it can answer it."""
    bodies = await session.scalars(
        select(Message.body)
        .where(
            Message.client_id == consent.client_id,
            Message.direction == "outbound",
            Message.state.not_in(NOT_SENT),
            Message.created_at >= consent.created_at,
            Message.id < message.id,
        )
        .order_by(Message.id)
    )
    # The gateway may split a text at words: compare with whitespace folded.
    sent = " ".join(" ".join(bodies).split())
    return bool(consent.text) and " ".join(consent.text[-1].split()) in sent


async def consents_for(session: AsyncSession, client_id: str) -> list[Consent]:
    """All her consents, newest first."""
    query = select(Consent).where(Consent.client_id == client_id).order_by(Consent.id.desc())
    return list(await session.scalars(query))


async def change_status(
    session: AsyncSession,
    consent: Consent,
    expected: Iterable[str],
    to: str,
    *,
    actor: str,
    now: datetime,
    **fields: object,
) -> bool:
    """Set `to` (and `fields`) if the consent is still in one of the `expected` statuses; False
    if another request changed it first. The loaded object is updated in place."""
    result = await session.execute(
        update(Consent)
        .where(Consent.id == consent.id, Consent.status.in_(tuple(expected)))
        .values(status=to, status_changed_at=now, status_changed_by=actor, **fields)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def consent_dict(consent: Consent) -> dict[str, object]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": consent.id,
        "client_id": consent.client_id,
        "status": consent.status,
        "language": consent.language,
        "patient_name": consent.patient_name,
        "disclosed_by": consent.disclosed_by,
        "information": consent.information,
        "recipient": consent.recipient,
        "recipient_organization_id": consent.recipient_organization_id,
        "purpose": consent.purpose,
        "revocation": consent.revocation,
        "expires_at": iso(consent.expires_at),
        "parts": list(consent.text),
        "signed_message_sid": consent.signed_message_sid,
        "signed_at": iso(consent.signed_at),
        "withdrawn_message_sid": consent.withdrawn_message_sid,
        "created_at": iso(consent.created_at),
        "status_changed_at": iso(consent.status_changed_at),
        "status_changed_by": consent.status_changed_by,
    }
