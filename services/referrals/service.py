"""Referral workflows: offer one (with the pending consent that covers it), move it through its
lifecycle, read it, and export it for the provider under her consent. Each method is one
transaction: the referral, its consent, its status history and the engagement signals change
together or not at all. Methods raise domain errors, which services/web.py maps to HTTP. What
she does with the consent (YES, NO, withdrawal) is services/consent/service.py."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clients.lookup import require_client
from services.clients.phones import PhoneVault
from services.consent import records as consents
from services.consent.text import consent_text
from services.db.base import utcnow
from services.db.tables import Client, Consent, Referral, ReferralStatusChange
from services.directory.details import service_details
from services.directory.taxonomy import Taxonomy
from services.engagement.signals import NewSignal, record_signal
from services.referrals import fhir
from services.referrals import records as referrals
from services.referrals.errors import (
    ConcurrentChange,
    NeedNotOffered,
    NoActiveConsent,
    UnknownReferral,
)
from services.referrals.lifecycle import check_transition
from services.settings import Settings

# Needs whose referrals never let the provider contact her directly (Gravity
# contacting-subject-prohibited): contact goes through her case manager.
DO_NOT_CONTACT_NEEDS: frozenset[str] = frozenset({"ipv_support"})
SUPERSEDED_REASON = "she did not answer and picked another place"
ACTOR = re.compile(r"bot|staff:[A-Za-z0-9_.@-]{1,56}")


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

    async def change_status(
        self,
        referral_id: int,
        to: object,
        reason: object,
        outcome: object,
        actor: str,
        *,
        check: Callable[[AsyncSession, Referral], Awaitable[None]] | None = None,
        also: Callable[[AsyncSession, Referral], None] | None = None,
    ) -> ReferralRecord:
        """`check` may refuse before anything changes (the dashboard: may this staff member
        act for her); `also` adds rows to the same transaction after the change (the
        dashboard's audit row), so both happen or neither."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            referral = await self._referral(session, referral_id)
            if check is not None:
                await check(session, referral)
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
            if also is not None:
                also(session, referral)
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
