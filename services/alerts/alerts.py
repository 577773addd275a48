"""Raise and list staff alerts. Raising one also logs the matching engagement signal (a crisis
with its category), in the caller's transaction, so the alert and the signal exist together or
not at all. It is the only place these two signals are written: the bot raises the alert and
logs nothing more, so each crisis and each request for a person is counted once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.tables import Alert
from services.engagement.signals import NewSignal, record_signal, same_signal
from services.engagement.taxonomy import CRISIS_CATEGORIES

KINDS: frozenset[str] = frozenset({"crisis", "human_requested"})
STATUSES: frozenset[str] = frozenset({"open", "acknowledged", "closed"})
MAX_DETAIL_CHARS = 200
MAX_NOTE_CHARS = 500


class InvalidAlert(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def validate_alert(kind: object, detail: object = None) -> tuple[str, str | None]:
    if not isinstance(kind, str) or kind not in KINDS:
        raise InvalidAlert("kind", f"kind must be one of: {', '.join(sorted(KINDS))}.")
    if detail is not None:
        if not isinstance(detail, str):
            raise InvalidAlert("detail", "detail must be a short text.")
        detail = " ".join(detail.split()) or None
        if detail is not None and len(detail) > MAX_DETAIL_CHARS:
            raise InvalidAlert("detail", f"detail must be at most {MAX_DETAIL_CHARS} characters.")
    return kind, detail


async def raise_alert(
    session: AsyncSession,
    client_id: str,
    kind: str,
    detail: str | None = None,
    *,
    source: str = "bot",
    message_sid: str | None = None,
) -> Alert:
    alert = Alert(client_id=client_id, kind=kind, detail=detail, status="open")
    session.add(alert)
    await session.flush()
    value = crisis_category(detail) if kind == "crisis" else None
    signal = NewSignal(kind, value, source=source, message_sid=message_sid)
    # One message, one crisis: the gateway alerts staff at once for a crisis in a flood or an
    # over-long text and the bot then raises its own alert for the same message.
    if await same_signal(session, client_id, signal) is None:
        await record_signal(session, client_id, signal)
    return alert


def crisis_category(detail: str | None) -> str | None:
    """The category an alert's detail starts with ("suicide: thoughts, no plan" -> suicide)."""
    first = (detail or "").split(":")[0].strip().lower()
    return first if first in CRISIS_CATEGORIES else None


async def open_alert_since(
    session: AsyncSession, client_id: str, kind: str, since: datetime
) -> bool:
    """Whether she has an open alert of this kind raised since `since`."""
    found = await session.scalar(
        select(Alert.id)
        .where(
            Alert.client_id == client_id,
            Alert.kind == kind,
            Alert.status == "open",
            Alert.created_at >= since,
        )
        .limit(1)
    )
    return found is not None


async def alerts_with_status(
    session: AsyncSession, status: str | None = None, *, limit: int = 100
) -> list[Alert]:
    """Newest first; all statuses when `status` is None."""
    query = select(Alert)
    if status is not None:
        query = query.where(Alert.status == status)
    query = query.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    return list(await session.scalars(query))


async def acknowledge(
    session: AsyncSession, alert_id: int, *, by: str, note: str, now: datetime
) -> bool:
    """Mark an open alert acknowledged by `by`, with what was done (`note`, required, short).
    Only from open, so of two staff acknowledging at once one wins; False if it was not open."""
    note = " ".join(note.split())
    if not note:
        raise InvalidAlert("note", "Say in a few words what you did.")
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidAlert("note", f"The note must be at most {MAX_NOTE_CHARS} characters.")
    result = await session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status == "open")
        .values(
            status="acknowledged", acknowledged_at=now, acknowledged_by=by, acknowledged_note=note
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def alert_dict(alert: Alert) -> dict[str, object]:
    return {
        "id": alert.id,
        "client_id": alert.client_id,
        "kind": alert.kind,
        "detail": alert.detail,
        "status": alert.status,
        "created_at": alert.created_at.isoformat(),
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "acknowledged_by": alert.acknowledged_by,
    }
