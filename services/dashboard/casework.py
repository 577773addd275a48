"""The case manager's work: her queue, one woman's record, and the actions on it (claim,
assign, acknowledge an alert, add a note). Functions take a session and never commit; the
pages own the transaction and write the audit row in it. Referral status changes go through
ReferralService (lifecycle.py has the rules) and texts through OutboundSender.

Who may open which woman's record is decided once, by access.may_open_client, applied by
`open_client` to every client-scoped page and action and by `visible` to the queue."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.clients import status as client_status
from services.consent import records as consents
from services.dashboard import access
from services.dashboard.accounts import StaffUser
from services.db.tables import (
    Alert,
    Client,
    ClientNote,
    Consent,
    EngagementSignal,
    Message,
    Referral,
    ReferralStatusChange,
    Service,
    StaffAccount,
)
from services.engagement import taxonomy
from services.engagement.recent import summaries
from services.engagement.signals import InvalidSignal, record_signal, validate_signal
from services.engagement.summary import WINDOW_DAYS, Summary
from services.referrals.lifecycle import OUTCOMES, TRANSITIONS

URGENT_ORDER = case((Alert.kind == "crisis", 0), else_=1)
WAITING = ("requested", "accepted", "in-progress", "on-hold")  # staff or a provider must act
MAX_NOTE_CHARS = 2000
MAX_TEXT_CHARS = 600  # at most about four SMS segments from staff
TIMELINE_LIMIT = 300
# How many recently active women the queue summarises to find those flagged for outreach.
OUTREACH_CANDIDATES = 2000


class Refused(Exception):
    """This staff member may not open her record (403)."""


class NotFound(Exception):
    pass


class CaseworkError(ValueError):
    """An action refused with a message for the page (400 or 409)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def staff_ref(user: StaffUser) -> str:
    """How a staff member appears as an actor in Tandem's own records."""
    return f"staff:{user.id}"


def visible(user: StaffUser) -> ColumnElement[bool]:
    """The women this staff member's queue lists (the same rule as may_open_client; a
    forgotten woman is nobody's record any more)."""
    kept = Client.status != "forgotten"
    if user.role == "admin":
        return kept
    return and_(kept, or_(Client.assigned_to.is_(None), Client.assigned_to == user.id))


async def open_client(session: AsyncSession, user: StaffUser, client_id: str) -> Client:
    client = await session.get(Client, client_id)
    if client is None or client.status == "forgotten":
        raise NotFound(client_id)
    if not access.may_open_client(user.role, user.id, client.assigned_to):
        raise Refused(client_id)
    return client


async def staff_emails(session: AsyncSession) -> dict[int, str]:
    rows = await session.execute(select(StaffAccount.id, StaffAccount.email))
    return {staff_id: email for staff_id, email in rows.all()}


def who(ref: str | None, emails: dict[int, str]) -> str:
    """A readable actor: a staff email for "staff:<id>", else the actor as stored."""
    if ref and ref.startswith("staff:") and ref[6:].isdigit():
        return emails.get(int(ref[6:]), ref)
    return ref or "—"


def display_name(client: Client) -> str:
    return client.preferred_name or f"(no name given) {client.id[-6:]}"


# The queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    section: str  # urgent, new, waiting, quiet, flagged
    client_id: str
    name: str
    what: str
    status: str
    since: datetime
    age: timedelta
    assigned_to: int | None
    assigned_email: str | None
    alert_id: int | None = None
    referral_id: int | None = None


@dataclass(frozen=True)
class OpenAlerts:
    """The open alerts on the women this staff member may open: how many, and the newest
    one's id (a new alert changes it even when another was acknowledged meanwhile). The
    queue's live check (casework_pages.live) compares both."""

    count: int = 0
    newest: int | None = None


@dataclass
class Queue:
    urgent: list[QueueRow] = field(default_factory=list)
    new: list[QueueRow] = field(default_factory=list)
    waiting: list[QueueRow] = field(default_factory=list)
    quiet: list[QueueRow] = field(default_factory=list)
    flagged: list[QueueRow] = field(default_factory=list)  # the engagement summary's flag
    open_alerts: OpenAlerts = OpenAlerts()


async def open_alerts(session: AsyncSession, user: StaffUser) -> OpenAlerts:
    query = (
        select(func.count(Alert.id), func.max(Alert.id))
        .join(Client, Client.id == Alert.client_id)
        .where(Alert.status == "open", visible(user))
    )
    count, newest = (await session.execute(query)).one()
    return OpenAlerts(int(count or 0), newest)


async def queue(
    session: AsyncSession,
    user: StaffUser,
    *,
    now: datetime,
    stale_after: timedelta,
    quiet_after: timedelta,
    limit: int = 100,
) -> Queue:
    emails = await staff_emails(session)
    result = Queue(open_alerts=await open_alerts(session, user))

    def row(section: str, client: Client, what: str, status: str, since: datetime, **ids):  # type: ignore[no-untyped-def]
        return QueueRow(
            section=section,
            client_id=client.id,
            name=display_name(client),
            what=what,
            status=status,
            since=since,
            age=now - since,
            assigned_to=client.assigned_to,
            assigned_email=emails.get(client.assigned_to) if client.assigned_to else None,
            **ids,
        )

    alerts = await session.execute(
        select(Alert, Client)
        .join(Client, Client.id == Alert.client_id)
        .where(Alert.status == "open", visible(user))
        .order_by(URGENT_ORDER, Alert.created_at, Alert.id)
        .limit(limit)
    )
    for alert, client in alerts.all():
        what = "Crisis" if alert.kind == "crisis" else "Asked for a person"
        result.urgent.append(
            row("urgent", client, what, alert.status, alert.created_at, alert_id=alert.id)
        )

    since = (
        select(
            ReferralStatusChange.referral_id,
            func.max(ReferralStatusChange.created_at).label("since"),
        )
        .group_by(ReferralStatusChange.referral_id)
        .subquery()
    )
    referrals = await session.execute(
        select(Referral, Client, Service.name, since.c.since)
        .join(Client, Client.id == Referral.client_id)
        .join(Service, Service.id == Referral.service_id)
        .join(since, since.c.referral_id == Referral.id)
        .where(Referral.status.in_(WAITING), visible(user))
        .order_by(since.c.since, Referral.id)
        .limit(limit * 2)
    )
    for referral, client, service_name, changed in referrals.all():
        stale = now - changed >= stale_after
        if not stale and referral.status != "requested":
            continue
        section = "waiting" if stale else "new"
        what = f"Referral: {service_name}"
        target = result.waiting if stale else result.new
        target.append(row(section, client, what, referral.status, changed, referral_id=referral.id))

    clients = await session.scalars(
        select(Client)
        .where(
            Client.status == "active",
            Client.last_inbound_at.is_not(None),
            Client.last_inbound_at < now - quiet_after,
            visible(user),
        )
        .order_by(Client.last_inbound_at)
        .limit(limit)
    )
    for client in clients:
        assert client.last_inbound_at is not None
        result.quiet.append(
            row("quiet", client, "No reply from her", "quiet", client.last_inbound_at)
        )

    for client, summary in await flagged_for_outreach(session, user, now, limit):
        since = client.last_inbound_at or client.created_at
        what = " ".join(summary.flag_reasons)
        result.flagged.append(row("flagged", client, what, summary.label.lower(), since))
    return result


async def flagged_for_outreach(
    session: AsyncSession, user: StaffUser, now: datetime, limit: int
) -> list[tuple[Client, Summary]]:
    """The women this staff member may open whose engagement summary flags them for
    outreach, the longest silent first. Only women with a signal or a message Tandem started
    in the summary's window can be flagged, so only they are summarised."""
    since = now - timedelta(days=WINDOW_DAYS)
    recent = (
        select(EngagementSignal.client_id)
        .where(EngagementSignal.created_at >= since)
        .union(
            select(Message.client_id).where(
                Message.direction == "outbound",
                Message.in_reply_to_id.is_(None),
                Message.created_at >= since,
            )
        )
        .subquery()
    )
    clients = list(
        await session.scalars(
            select(Client)
            .where(Client.status == "active", Client.id.in_(select(recent.c[0])), visible(user))
            .order_by(Client.last_inbound_at.is_(None).desc(), Client.last_inbound_at)
            .limit(OUTREACH_CANDIDATES)
        )
    )
    found = await summaries(session, [c.id for c in clients], now)
    return [(c, found[c.id]) for c in clients if found[c.id].flagged][:limit]


# Her record ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # message_in, message_out, signal, alert, referral, note
    label: str
    text: str | None = None  # her words or ours: shown escaped, never logged
    detail: str | None = None


@dataclass
class ReferralView:
    referral: Referral
    service_name: str
    history: list[ReferralStatusChange]
    next_statuses: list[str]


@dataclass
class ClientRecord:
    client: Client
    assigned_email: str | None
    alerts: list[Alert]
    referrals: list[ReferralView]
    consents: list[tuple[Consent, str]]  # with its status as of now (expired shown so)
    notes: list[tuple[ClientNote, str]]
    timeline: list[Event]
    emails: dict[int, str]
    case_managers: list[StaffAccount]


async def client_record(session: AsyncSession, client: Client, now: datetime) -> ClientRecord:
    emails = await staff_emails(session)
    alerts = list(
        await session.scalars(
            select(Alert).where(Alert.client_id == client.id).order_by(Alert.created_at.desc())
        )
    )
    referral_rows = (
        await session.execute(
            select(Referral, Service.name)
            .join(Service, Service.id == Referral.service_id)
            .where(Referral.client_id == client.id)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
        )
    ).all()
    ids = [referral.id for referral, _ in referral_rows]
    changes = list(
        await session.scalars(
            select(ReferralStatusChange)
            .where(ReferralStatusChange.referral_id.in_(ids))
            .order_by(ReferralStatusChange.created_at, ReferralStatusChange.id)
        )
    )
    referrals = [
        ReferralView(
            referral=referral,
            service_name=name,
            history=[c for c in changes if c.referral_id == referral.id],
            next_statuses=sorted(TRANSITIONS[referral.status]),
        )
        for referral, name in referral_rows
    ]
    consent_rows = await session.scalars(
        select(Consent).where(Consent.client_id == client.id).order_by(Consent.created_at.desc())
    )
    consent_list = [
        (c, "expired" if consents.is_expired(c, now) else c.status) for c in consent_rows
    ]
    notes = [
        (note, emails.get(note.author_id, "—") if note.author_id else "—")
        for note in await session.scalars(
            select(ClientNote)
            .where(ClientNote.client_id == client.id)
            .order_by(ClientNote.created_at.desc(), ClientNote.id.desc())
        )
    ]
    messages = await session.scalars(
        select(Message)
        .where(Message.client_id == client.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(TIMELINE_LIMIT)
    )
    signals = await session.scalars(
        select(EngagementSignal)
        .where(EngagementSignal.client_id == client.id)
        .order_by(EngagementSignal.created_at.desc())
        .limit(TIMELINE_LIMIT)
    )
    names = {r.referral.id: r.service_name for r in referrals}
    timeline: list[Event] = []
    for m in messages:
        inbound = m.direction == "inbound"
        timeline.append(
            Event(
                at=m.created_at,
                kind="message_in" if inbound else "message_out",
                label="She texted" if inbound else "Tandem texted",
                text=m.body,
                detail=m.state if inbound else _delivery(m),
            )
        )
    for s in signals:
        if s.type == "message_in":
            continue  # her text is on the timeline itself
        who_added = " (added by staff)" if s.source == "staff" else ""
        timeline.append(
            Event(
                s.created_at,
                "signal",
                f"Signal{who_added}",
                text=s.words,
                detail=taxonomy.label(s.type, s.value),
            )
        )
    for a in alerts:
        timeline.append(Event(a.created_at, "alert", "Alert", detail=f"{a.kind} ({a.status})"))
        if a.acknowledged_at is not None:
            by = who(a.acknowledged_by, emails)
            timeline.append(
                Event(
                    a.acknowledged_at,
                    "alert",
                    f"Alert acknowledged by {by}",
                    text=a.acknowledged_note,
                )
            )
    for c in changes:
        moved = f"{c.from_status or 'new'} → {c.to_status}"
        why = "; ".join(x for x in (c.reason, OUTCOMES.get(c.outcome or "")) if x)
        timeline.append(
            Event(
                c.created_at,
                "referral",
                f"Referral {names.get(c.referral_id, '')}: {moved} by {who(c.actor, emails)}",
                text=why or None,
            )
        )
    for note, author in notes:
        timeline.append(Event(note.created_at, "note", f"Note by {author}", text=note.body))
    timeline.sort(key=lambda e: e.at, reverse=True)
    case_managers = list(
        await session.scalars(
            select(StaffAccount)
            .where(StaffAccount.active, StaffAccount.role.in_(access.CASEWORK))
            .order_by(StaffAccount.email)
        )
    )
    return ClientRecord(
        client=client,
        assigned_email=emails.get(client.assigned_to) if client.assigned_to else None,
        alerts=alerts,
        referrals=referrals,
        consents=consent_list,
        notes=notes,
        timeline=timeline[:TIMELINE_LIMIT],
        emails=emails,
        case_managers=case_managers,
    )


def _delivery(message: Message) -> str:
    if message.state == "scheduled" and message.send_after is not None:
        return f"scheduled (after quiet hours, {message.send_after:%Y-%m-%d %H:%M} UTC)"
    if message.error_code:
        return f"{message.state} (error {message.error_code})"
    return message.state


def age_text(age: timedelta) -> str:
    """How long ago, in the largest whole unit: "4 min", "3 h", "2 d"."""
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def mask_phone(phone: str | None) -> str:
    if not phone or len(phone) < 4:
        return "not on file"
    return "•••-•••-" + phone[-4:]


# Actions -------------------------------------------------------------------------------


async def claim(session: AsyncSession, user: StaffUser, client: Client, now: datetime) -> None:
    """She becomes this staff member's, if nobody has her yet (of two claims one wins)."""
    if client.assigned_to == user.id:
        raise CaseworkError("She is already in your list.", 409)
    result = await session.execute(
        update(Client)
        .where(Client.id == client.id, Client.assigned_to.is_(None))
        .values(assigned_to=user.id, assigned_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise CaseworkError("Someone else has her now.", 409)


async def assign(
    session: AsyncSession, client: Client, staff_id: int | None, now: datetime
) -> None:
    """An admin gives her to a case manager (or back to the unassigned queue)."""
    if staff_id is not None:
        staff = await session.get(StaffAccount, staff_id)
        if staff is None or not staff.active or staff.role not in access.CASEWORK:
            raise CaseworkError("Choose an active case manager.")
    if client.assigned_to == staff_id:
        raise CaseworkError("She is already assigned so.", 409)
    client.assigned_to = staff_id
    client.assigned_at = now if staff_id is not None else None


def add_note(session: AsyncSession, user: StaffUser, client: Client, body: str) -> ClientNote:
    body = body.strip()
    if not body:
        raise CaseworkError("Write the note first.")
    if len(body) > MAX_NOTE_CHARS:
        raise CaseworkError(f"A note is at most {MAX_NOTE_CHARS} characters.")
    note = ClientNote(client_id=client.id, author_id=user.id, body=body)
    session.add(note)
    return note


# The page's words for client_status.why_not_text's reasons.
REFUSALS = {
    client_status.REFUSED_OPTED_OUT: (
        "She opted out of texts: Tandem sends her nothing until she texts START."
    ),
    client_status.REFUSED_DO_NOT_CONTACT: (
        "She is do-not-contact: Tandem sends her nothing she did not ask for "
        "(her own texts are still answered)."
    ),
}


def may_text(client: Client) -> str | None:
    """Why staff may not text her now, or None (the same rule OutboundSender applies)."""
    refusal = client_status.why_not_text(client, answering_her=False)
    return REFUSALS.get(refusal, "Tandem may not text her.") if refusal else None


async def set_do_not_contact(
    session: AsyncSession, user: StaffUser, client: Client, on: bool, now: datetime
) -> None:
    """Mark her do-not-contact (on) or clear it; conditional, so of two clicks one changes
    it and the other is told it is already so."""
    result = await session.execute(
        update(Client)
        .where(Client.id == client.id, Client.do_not_contact.is_(not on))
        .values(
            do_not_contact=on,
            do_not_contact_changed_at=now,
            do_not_contact_changed_by=staff_ref(user),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise CaseworkError(
            "She is already do-not-contact." if on else "She is not do-not-contact.", 409
        )


# Signals staff add from her page ---------------------------------------------------------


async def add_signal(
    session: AsyncSession, client: Client, signal_type: str, value: str, words: str
) -> EngagementSignal:
    """A signal staff learnt of (an appointment kept or missed, how she rates her provider),
    checked against the same taxonomy as the bot's; `words` only where the type takes them."""
    if signal_type not in taxonomy.STAFF_TYPES:
        raise CaseworkError("Choose what to record.")
    words = words.strip()
    if words and not taxonomy.TYPES[signal_type].words:
        raise CaseworkError("Only a provider relationship rating takes words.")
    if len(words) > taxonomy.MAX_WORDS_CHARS:
        raise CaseworkError(f"The words are at most {taxonomy.MAX_WORDS_CHARS} characters.")
    if taxonomy.TYPES[signal_type].kind is taxonomy.Kind.NONE:
        value = ""  # the appointment form's reason is for a missed one only
    try:
        checked = validate_signal(signal_type, value.strip() or None, "staff")
    except (InvalidSignal, taxonomy.InvalidValue) as error:
        raise CaseworkError(str(error)) from error
    return await record_signal(session, client.id, replace(checked, words=words or None))
