"""Forget a woman who asked Tandem to delete her data ("delete my data", confirmed once; see
services/gateway/inbound.py). Deletion anonymises, as in RapidPro: the client row stays, under
its random id, with nothing that says who she is, so the program's referral history and staff
alerts keep their shape without her.

In Tandem's database, in one transaction: every open referral of hers is cancelled and every
open consent withdrawn (nothing more is shared); her name leaves the consent records (the
record of what was shared, and with whom, stays); her messages, engagement signals and staff notes
are deleted; her phone, its hash, her name and dates leave the client row, whose status becomes
"forgotten". Her conversation in Rasa's tracker store is deleted by the caller after that
commits (another database); `tandem purge` deletes it for every forgotten client, so a failure
there is made good.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.consent import records as consents
from services.db.tables import (
    Client,
    ClientNote,
    Consent,
    EngagementSignal,
    Message,
    Referral,
)
from services.referrals import records as referrals
from services.referrals.lifecycle import check_transition

FORGOTTEN = "forgotten"
ACTOR = "gateway"
REASON = "she asked Tandem to delete her data"
NAME_REMOVED = "[name removed]"


async def forget_client(
    session: AsyncSession, client_id: str, *, keep_message_id: int | None, now: datetime
) -> None:
    """Forget her in Tandem's database. `keep_message_id`: the message that confirmed it,
    kept with an empty body so that a retried webhook gets the same answer."""
    client = await session.get(Client, client_id)
    if client is None or client.status == FORGOTTEN:
        return
    for consent in await consents.open_consents_for(session, client_id):
        await consents.change_status(
            session, consent, consents.OPEN, "withdrawn", actor=ACTOR, now=now
        )
    open_referrals = await session.scalars(
        select(Referral).where(
            Referral.client_id == client_id, Referral.status.not_in(referrals.TERMINAL)
        )
    )
    for referral in list(open_referrals):
        transition = check_transition(referral.status, "cancelled", REASON)
        await referrals.apply_transition(session, referral, transition, actor=ACTOR, now=now)
    await _remove_name(session, client)
    await session.execute(
        delete(Message).where(Message.client_id == client_id, Message.id != keep_message_id)
    )
    if keep_message_id is not None:
        await session.execute(update(Message).where(Message.id == keep_message_id).values(body=""))
    await session.execute(delete(EngagementSignal).where(EngagementSignal.client_id == client_id))
    await session.execute(delete(ClientNote).where(ClientNote.client_id == client_id))
    client.phone_hash = f"{FORGOTTEN}:{secrets.token_hex(16)}"  # unique, matches no phone
    client.phone_encrypted = ""
    client.preferred_name = client.stage = client.due_date = client.baby_birth_date = None
    client.last_inbound_at = None
    client.status, client.status_changed_at, client.status_changed_by = FORGOTTEN, now, ACTOR


async def _remove_name(session: AsyncSession, client: Client) -> None:
    """Her name out of every consent record (the §2.31 "who she is" and the text she saw)."""
    for consent in list(
        await session.scalars(select(Consent).where(Consent.client_id == client.id))
    ):
        names = {n for n in (client.preferred_name, consent.patient_name) if n}
        if not names:
            continue
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b")
        consent.text = [pattern.sub(NAME_REMOVED, part) for part in consent.text]
        consent.patient_name = None


async def forgotten_ids(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(Client.id).where(Client.status == FORGOTTEN)))
