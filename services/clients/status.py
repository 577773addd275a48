"""Her status, the one place it changes for an opt-out or opt-in: "active" or "opted_out"
(CTIA/FCC keywords, Twilio's Advanced Opt-Out, error 21610), and "forgotten" once she had
Tandem delete her data (services/privacy/forget.py; nothing here changes that one). Also the
one rule for whether Tandem may text her (`why_not_text`), with do-not-contact.

Each change is a conditional UPDATE (two webhooks racing cannot both apply it, and a change
that is already in place records nothing), stamps when and by whom, and records the `opt_out`
or `opt_in` engagement signal, all in the caller's transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import Client
from services.engagement.signals import NewSignal, record_signal
from services.logs import log_event

logger = logging.getLogger(__name__)

ACTIVE = "active"
OPTED_OUT = "opted_out"
# Who changed it (status_changed_by, and the signal's value).
BY_SMS_KEYWORD = "sms_keyword"
BY_TWILIO_OPT_OUT_TYPE = "twilio_opt_out_type"
OPTED_OUT_BY_TWILIO = "twilio_21610"


# Why Tandem may not text her (why_not_text); the dashboard words each for its page.
REFUSED_OPTED_OUT = "opted_out"
REFUSED_DO_NOT_CONTACT = "do_not_contact"


def why_not_text(client: Client, *, answering_her: bool) -> str | None:
    """Why Tandem may not send her this text now, or None. After an opt-out (or once she is
    forgotten) nothing goes. While she is do-not-contact nothing Tandem starts goes (a staff
    text, anything scheduled), but a reply to a text of hers still does: she wrote first, and
    a crisis is never left unanswered."""
    if client.opted_out:
        return REFUSED_OPTED_OUT
    if client.do_not_contact and not answering_her:
        return REFUSED_DO_NOT_CONTACT
    return None


async def opt_out(
    session: AsyncSession,
    client_id: str,
    *,
    by: str,
    now: datetime,
    message_sid: str | None = None,
) -> bool:
    """Opt her out; False if she was not active (already opted out, or forgotten)."""
    return await _change(session, client_id, ACTIVE, OPTED_OUT, "opt_out", by, now, message_sid)


async def opt_in(
    session: AsyncSession,
    client_id: str,
    *,
    by: str,
    now: datetime,
    message_sid: str | None = None,
) -> bool:
    """Opt her back in; False if she was not opted out."""
    return await _change(session, client_id, OPTED_OUT, ACTIVE, "opt_in", by, now, message_sid)


async def _change(
    session: AsyncSession,
    client_id: str,
    current: str,
    to: str,
    signal: str,
    by: str,
    now: datetime,
    message_sid: str | None,
) -> bool:
    result = await session.execute(
        update(Client)
        .where(Client.id == client_id, Client.status == current)
        .values(status=to, status_changed_at=now, status_changed_by=by)
        .execution_options(synchronize_session="fetch")
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await record_signal(
        session, client_id, NewSignal(signal, by, source="gateway", message_sid=message_sid)
    )
    log_event(logger, f"client_{signal}", client_id=client_id, by=by)
    return True
