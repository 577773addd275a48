"""Consent workflows: her YES (signed by that message), her NO, and her withdrawal by text.

Each method is one transaction: the consent, the referral it covers, its status history and the
engagement signals change together or not at all. Methods raise domain errors, which
services/web.py maps to HTTP. Offering a referral writes its pending consent
(services/referrals/service.py); everything she does with it after that is here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clients.lookup import require_client
from services.consent import records as consents
from services.consent.errors import (
    ConsentNotPending,
    MessageAlreadyUsed,
    NotAnAnswer,
    NotAYes,
    UnknownConsent,
    UnknownMessage,
)
from services.consent.yes import reads_as_yes
from services.db.base import utcnow
from services.db.tables import Consent, Referral
from services.directory.details import service_details
from services.directory.taxonomy import Taxonomy
from services.engagement.signals import NewSignal, record_signal
from services.gateway import message_log
from services.referrals import records as referrals
from services.referrals.errors import ConcurrentChange
from services.referrals.lifecycle import check_transition

DECLINED_REASON = "she chose to contact the service herself"
WITHDRAWN_REASON = "consent withdrawn"
CONTACT_FIELDS = (
    "service_id",
    "location_id",
    "name",
    "organization",
    "phone",
    "address",
    "town",
    "hours",
)


@dataclass
class Decision:
    """A consent answered (YES or NO), the referral it covers, and how to reach the service."""

    consent: Consent
    referral: Referral | None
    contact: dict[str, Any]


@dataclass
class Withdrawal:
    withdrawn: list[Consent]
    cancelled: list[Referral]
    services: list[str]


class ConsentService:
    def __init__(
        self,
        sessions: async_sessionmaker,
        taxonomy: Taxonomy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions, self.taxonomy, self.clock = sessions, taxonomy, clock

    async def grant(self, consent_id: int, client_id: object, message_sid: str) -> Decision:
        """Her YES: the consent becomes active, signed by that message, and the referral is
        requested."""
        now = self.clock()
        expired = False
        async with self.sessions() as session, session.begin():
            consent = await self._pending_consent(session, consent_id, client_id, now)
            if consent.status == "expired":
                expired = True
            else:
                if consent.status != "pending":
                    raise ConsentNotPending(consent.status)
                await self._check_signature(session, consent, message_sid)
                referral = await self._answer(session, consent, "active", now, message_sid)
                if referral is None:
                    # Staff closed it before her YES: nothing left to share, keep it unsigned.
                    raise ConcurrentChange("The referral this consent covers is closed.")
                await record_signal(
                    session,
                    consent.client_id,
                    NewSignal("consent_given", str(consent.id), "bot", message_sid),
                )
                await record_signal(
                    session,
                    consent.client_id,
                    NewSignal("referral_accepted", referral.need, "bot", message_sid),
                )
                contact = await self._contact(session, referral)
        if expired:
            raise ConsentNotPending("expired")
        return Decision(consent, referral, contact)

    async def decline(self, consent_id: int, client_id: object) -> Decision:
        """Her NO: nothing is shared, the referral is cancelled, and she gets the contact
        details to reach out herself."""
        now = self.clock()
        expired = False
        async with self.sessions() as session, session.begin():
            consent = await self._pending_consent(session, consent_id, client_id, now)
            if consent.status == "expired":
                expired = True
            else:
                referral = await self._answer(session, consent, "declined", now)
                if referral is not None:
                    await record_signal(
                        session,
                        consent.client_id,
                        NewSignal("referral_declined", referral.need, "bot"),
                    )
                contact = await self._contact(session, referral)
        if expired:
            raise ConsentNotPending("expired")
        return Decision(consent, referral, contact)

    async def withdraw(self, client_id: object, message_sid: str | None) -> Withdrawal:
        """Revocation by text takes effect at once: every open consent of hers is withdrawn and
        every open referral relying on one is cancelled."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            client = await require_client(session, client_id)
            withdrawn = []
            for consent in await consents.open_consents_for(session, client.id):
                if await consents.change_status(
                    session,
                    consent,
                    consents.OPEN,
                    "withdrawn",
                    actor="bot",
                    now=now,
                    withdrawn_message_sid=message_sid,
                ):
                    withdrawn.append(consent)
                    await record_signal(
                        session,
                        client.id,
                        NewSignal("consent_withdrawn", str(consent.id), "bot", message_sid),
                    )
            ids = [c.id for c in withdrawn]
            relying = await referrals.referrals_relying_on(session, ids, open_only=False)
            cancelled = []
            for referral in relying:
                if referral.status in referrals.TERMINAL:
                    continue
                transition = check_transition(referral.status, "cancelled", WITHDRAWN_REASON)
                if not await referrals.apply_transition(
                    session, referral, transition, actor="bot", now=now
                ):
                    raise ConcurrentChange("A referral changed meanwhile.")
                cancelled.append(referral)
            services = list(dict.fromkeys(referrals.service_label(r) for r in relying))
        return Withdrawal(withdrawn, cancelled, services)

    async def consents_of(self, client_id: object) -> list[Consent]:
        async with self.sessions() as session:
            client = await require_client(session, client_id)
            return await consents.consents_for(session, client.id)

    async def _pending_consent(
        self, session: AsyncSession, consent_id: int, client_id: object, now: datetime
    ) -> Consent:
        """Her consent, still waiting for her answer; a consent past its expiry is marked
        expired (returned as is: the caller commits that, then refuses)."""
        consent = await consents.get_consent(session, consent_id)
        if consent is None or consent.client_id != client_id:
            raise UnknownConsent("No consent of hers has this id.")
        if consents.is_expired(consent, now):
            await consents.change_status(
                session, consent, consents.OPEN, "expired", actor="system", now=now
            )
        return consent

    async def _answer(
        self,
        session: AsyncSession,
        consent: Consent,
        to: str,
        now: datetime,
        signature: str | None = None,
    ) -> Referral | None:
        """Move the consent from pending to `to`, and the draft referral it covers with it."""
        actor = "bot"
        if consent.status != "pending":
            raise ConsentNotPending(consent.status)
        fields: dict[str, object] = {}
        if to == "active":
            fields = {"signed_message_sid": signature, "signed_at": now}
        if not await consents.change_status(
            session, consent, ["pending"], to, actor=actor, now=now, **fields
        ):
            raise ConsentNotPending("already answered")
        target, reason = ("requested", None) if to == "active" else ("cancelled", DECLINED_REASON)
        moved = None
        for referral in await referrals.referrals_relying_on(session, [consent.id]):
            if referral.status == "draft":
                transition = check_transition("draft", target, reason)
                if not await referrals.apply_transition(
                    session, referral, transition, actor=actor, now=now
                ):
                    raise ConcurrentChange("The referral changed meanwhile.")
                moved = moved or referral
        return moved

    async def _check_signature(
        self, session: AsyncSession, consent: Consent, message_sid: str
    ) -> None:
        """Her signature: her own inbound message, never used to sign before, received after
        the consent text went out to her and before the consent expires, that reads as a YES
        (the bot's rule, applied again here: a misread intent never signs)."""
        message = await message_log.find_by_sid(session, message_sid)
        if (
            message is None
            or message.client_id != consent.client_id
            or message.direction != "inbound"
        ):
            raise UnknownMessage("message_sid must be the inbound message of her YES.")
        used = await session.scalar(
            select(Consent.id).where(Consent.signed_message_sid == message_sid)
        )
        if used is not None:
            raise MessageAlreadyUsed("This message already signed another consent.")
        if message.created_at >= consent.expires_at or not await consents.text_sent_before(
            session, consent, message
        ):
            raise NotAnAnswer("This message was not sent in answer to the consent text.")
        if not reads_as_yes(message.body):
            raise NotAYes("This message does not read as a YES to the consent text.")

    async def _contact(self, session: AsyncSession, referral: Referral | None) -> dict[str, Any]:
        """How she reaches the service herself (name, organization, phone, address, hours)."""
        if referral is None:
            return {}
        try:
            details = await service_details(session, referral.service_id, referral.location_id)
        except LookupError:  # closed since it was offered: name it, without contact details
            return {
                "service_id": referral.service_id,
                "location_id": referral.location_id,
                "name": referral.service.name,
                "organization": referral.service.organization.name,
                **dict.fromkeys(("phone", "address", "town", "hours")),
            }
        shown = details.as_dict(self.taxonomy)
        return {key: shown[key] for key in CONTACT_FIELDS}
