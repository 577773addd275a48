"""Referral and consent workflows. Each method is one transaction: the referral, its consent,
its status history and the engagement signals change together or not at all. Methods raise
domain errors; services/referrals/api.py maps them to HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clients.lookup import require_client
from services.clients.phones import PhoneVault
from services.consent import records as consents
from services.consent.text import consent_text
from services.consent.yes import reads_as_yes
from services.db.base import utcnow
from services.db.models import Client, Consent, Referral, ReferralStatusChange
from services.directory.details import service_details
from services.directory.taxonomy import Taxonomy
from services.engagement.signals import NewSignal, record_signal
from services.gateway import message_log
from services.referrals import fhir
from services.referrals import records as referrals
from services.referrals.lifecycle import check_transition
from services.settings import Settings

# Needs whose referrals never let the provider contact her directly (Gravity
# contacting-subject-prohibited): contact goes through her case manager.
DO_NOT_CONTACT_NEEDS: frozenset[str] = frozenset({"ipv_support"})
DECLINED_REASON = "she chose to contact the service herself"
WITHDRAWN_REASON = "consent withdrawn"
SUPERSEDED_REASON = "she did not answer and picked another place"
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
ACTOR = re.compile(r"bot|staff:[A-Za-z0-9_.@-]{1,56}")


class ReferralError(Exception):
    """A request the referral workflows refuse."""


class UnknownReferral(ReferralError):
    pass


class UnknownConsent(ReferralError):
    pass


class NeedNotOffered(ReferralError):
    pass


class ConsentNotPending(ReferralError):
    def __init__(self, status: str) -> None:
        super().__init__(f"This consent is {status}, not waiting for her answer.")
        self.status = status


class UnknownMessage(ReferralError):
    """Her signature must be an inbound message from her that Tandem received."""


class MessageAlreadyUsed(ReferralError):
    pass


class NotAnAnswer(ReferralError):
    """Received before the consent text went out to her, or after the consent expired."""


class NotAYes(ReferralError):
    """Her message does not read as an explicit YES (data/consent/yes.yml)."""


class NoActiveConsent(ReferralError):
    pass


class ConcurrentChange(ReferralError):
    pass


def is_actor(value: object) -> bool:
    return isinstance(value, str) and ACTOR.fullmatch(value) is not None


def _source(actor: str) -> str:
    return "bot" if actor == "bot" else "staff"


@dataclass(frozen=True)
class Offer:
    client_id: str
    service_id: str
    need: str
    created_by: str
    language: str | None = None
    location_id: str | None = None
    do_not_contact: bool = False


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


@dataclass
class ReferralRecord:
    referral: Referral
    history: list[ReferralStatusChange]
    consent: Consent | None


class ReferralService:
    def __init__(
        self,
        sessions: async_sessionmaker,
        taxonomy: Taxonomy,
        settings: Settings,
        vault: PhoneVault,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions, self.taxonomy, self.settings = sessions, taxonomy, settings
        self.vault, self.clock = vault, clock

    async def offer(self, offer: Offer) -> tuple[Referral, Consent]:
        """A draft referral and the pending consent covering it, with the text to show her."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            client = await require_client(session, offer.client_id)
            details = await service_details(session, offer.service_id, offer.location_id)
            await self._supersede_unanswered(session, client.id, offer.created_by, now)
            need = self.taxonomy.resolve(offer.need)  # a group narrows to a code the service has
            offered = [code for code in need.codes if code in details.codes]
            if not offered:
                raise NeedNotOffered(f"This service does not offer {need.label}.")
            code = offered[0]
            language = offer.language or client.language
            do_not_contact = offer.do_not_contact or code in DO_NOT_CONTACT_NEEDS
            text = consent_text(
                language=language,
                first_name=client.preferred_name,
                program=self.settings.tandem_program_name,
                organization=details.organization.name,
                service=details.service.name,
                need_label=self.taxonomy.label(code, language),
                do_not_contact=do_not_contact,
                now=now,
                tz=self.settings.tandem_timezone,
            )
            consent = await consents.add_consent(
                session,
                client.id,
                text,
                recipient_organization_id=details.organization.id,
                now=now,
            )
            new = referrals.NewReferral(
                client_id=client.id,
                service_id=details.service.id,
                location_id=details.link.location_id if details.link else None,
                need=code,
                created_by=offer.created_by,
                do_not_contact=do_not_contact,
                consent_id=consent.id,
            )
            added = await referrals.add_referral(session, new, now=now)
            await record_signal(
                session,
                client.id,
                NewSignal(type="referral_offered", value=code, source=_source(offer.created_by)),
            )
            referral = await referrals.get_referral(session, added.id)
        assert referral is not None
        return referral, consent

    async def _supersede_unanswered(
        self, session: AsyncSession, client_id: str, actor: str, now: datetime
    ) -> None:
        """One consent question open at a time: one she never answered (she moved on, or
        picked another place) expires, and the draft referral it covered is cancelled."""
        for old in await consents.open_consents_for(session, client_id):
            if old.status != "pending" or not await consents.change_status(
                session, old, ["pending"], "expired", actor=actor, now=now
            ):
                continue
            for referral in await referrals.referrals_relying_on(session, [old.id]):
                if referral.status == "draft":
                    transition = check_transition("draft", "cancelled", SUPERSEDED_REASON)
                    await referrals.apply_transition(
                        session, referral, transition, actor=actor, now=now
                    )

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

    async def change_status(
        self, referral_id: int, to: object, reason: object, outcome: object, actor: str
    ) -> ReferralRecord:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            referral = await self._referral(session, referral_id)
            transition = check_transition(referral.status, to, reason, outcome)
            if transition.to == "requested":
                # Requesting is sending it to the provider: never without her consent.
                consent = await self._consent_of(session, referral)
                if not consents.is_in_force(consent, now):
                    raise NoActiveConsent("She has not given an active consent for this referral.")
            if not await referrals.apply_transition(
                session, referral, transition, actor=actor, now=now
            ):
                raise ConcurrentChange("The referral changed meanwhile; read it again.")
            if transition.to == "completed":
                await record_signal(
                    session,
                    referral.client_id,
                    NewSignal("referral_completed", transition.outcome, _source(actor)),
                )
            return await self._record(session, referral)

    async def get(self, referral_id: int) -> ReferralRecord:
        async with self.sessions() as session:
            return await self._record(session, await self._referral(session, referral_id))

    async def list(
        self, *, client_id: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[int, list[Referral]]:
        async with self.sessions() as session:
            if client_id is not None:
                await require_client(session, client_id)
            return await referrals.list_referrals(
                session, client_id=client_id, status=status, limit=limit, offset=offset
            )

    async def consents_of(self, client_id: object) -> list[Consent]:
        async with self.sessions() as session:
            client = await require_client(session, client_id)
            return await consents.consents_for(session, client.id)

    async def fhir_bundle(self, referral_id: int) -> dict[str, Any]:
        """The provider-facing export: only under an active, unexpired consent of hers that
        names this referral's provider."""
        now = self.clock()
        refused = False
        async with self.sessions() as session, session.begin():
            referral = await self._referral(session, referral_id)
            consent = await self._consent_of(session, referral)
            if consent is not None and consents.is_expired(consent, now):
                await consents.change_status(
                    session, consent, consents.OPEN, "expired", actor="system", now=now
                )
            covers = (
                consents.is_in_force(consent, now)
                and consent is not None
                and consent.client_id == referral.client_id
                and consent.recipient_organization_id == referral.service.organization_id
            )
            if covers:
                assert consent is not None
                client = await session.get_one(Client, referral.client_id)
                history = await referrals.history(session, referral.id)
                bundle = fhir.referral_bundle(
                    referral,
                    consent,
                    client,
                    history,
                    need_label=self.taxonomy.label(referral.need),
                    phone=None
                    if referral.do_not_contact
                    else self.vault.decrypt(client.phone_encrypted),
                    program=self.settings.tandem_program_name,
                    base_url=self.settings.public_url,
                    now=now,
                )
            else:
                refused = True
        if refused:
            raise NoActiveConsent("No active consent of hers covers sharing this referral.")
        return bundle

    async def _referral(self, session: AsyncSession, referral_id: int) -> Referral:
        referral = await referrals.get_referral(session, referral_id)
        if referral is None:
            raise UnknownReferral("No referral has this id.")
        return referral

    async def _consent_of(self, session: AsyncSession, referral: Referral) -> Consent | None:
        if referral.consent_id is None:
            return None
        return await consents.get_consent(session, referral.consent_id)

    async def _record(self, session: AsyncSession, referral: Referral) -> ReferralRecord:
        return ReferralRecord(
            referral=referral,
            history=await referrals.history(session, referral.id),
            consent=await self._consent_of(session, referral),
        )

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
