"""Find a client: by her pseudonymous id (or say clearly that there is none), or by her phone
(created on her first message). Repository functions take a session and never commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.clients.phones import PhoneVault, normalize_phone
from services.db.tables import Client


class UnknownClient(LookupError):
    """No client has this id."""


async def require_client(session: AsyncSession, client_id: object) -> Client:
    client = await session.get(Client, client_id) if isinstance(client_id, str) else None
    if client is None:
        raise UnknownClient(str(client_id))
    return client


async def find_or_create_client(session: AsyncSession, vault: PhoneVault, raw_phone: str) -> Client:
    """The client with this phone, created if she is new. Raises InvalidPhone."""
    phone = normalize_phone(raw_phone)
    digests = vault.lookup_hashes(phone)
    digest = digests[0]
    found = await session.scalar(select(Client).where(Client.phone_hash.in_(digests)).limit(1))
    if found is not None:
        if found.phone_hash != digest:
            found.phone_hash = digest  # found under an older hash key: move her to the newest
        return found
    client = Client(phone_hash=digest, phone_encrypted=vault.encrypt(phone))
    try:
        async with session.begin_nested():
            session.add(client)
    except IntegrityError:
        # Two first messages from one number at once: the other request created her.
        return (await session.scalars(select(Client).where(Client.phone_hash == digest))).one()
    return client


async def client_id_by_phone(
    session: AsyncSession, vault: PhoneVault, raw_phone: str
) -> str | None:
    """The id of the client with this phone, if there is one. Raises InvalidPhone."""
    digests = vault.lookup_hashes(normalize_phone(raw_phone))
    return await session.scalar(select(Client.id).where(Client.phone_hash.in_(digests)).limit(1))
