"""Find a client by her pseudonymous id, or say clearly that there is none."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.db.models import Client


class UnknownClient(LookupError):
    """No client has this id."""


async def require_client(session: AsyncSession, client_id: object) -> Client:
    client = await session.get(Client, client_id) if isinstance(client_id, str) else None
    if client is None:
        raise UnknownClient(str(client_id))
    return client
