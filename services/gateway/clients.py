"""Find or create the client behind a phone number without ever storing it in the clear.

The phone is encrypted with Fernet (MultiFernet: the first key encrypts, every key decrypts, so
keys rotate by prepending a new one and re-encrypting) and looked up by an HMAC of its E.164
form, so the same number always finds the same client.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.db.models import Client


class InvalidPhone(ValueError):
    """Not something Twilio would send as a From number."""


def normalize_phone(raw: str) -> str:
    digits = re.sub(r"[^\d+]", "", raw or "")
    if re.fullmatch(r"\d{10}", digits):
        digits = "+1" + digits
    elif re.fullmatch(r"1\d{10}", digits):
        digits = "+" + digits
    if not re.fullmatch(r"\+\d{8,15}", digits):
        raise InvalidPhone("not an E.164 phone number")
    return digits


class PhoneVault:
    def __init__(self, hash_key: str, encryption_keys: str) -> None:
        keys = [k.strip() for k in encryption_keys.split(",") if k.strip()]
        if not hash_key or not keys:
            raise ValueError("phone hash and encryption keys are required (tandem init-local)")
        self._hash_key = hash_key.encode()
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def lookup_hash(self, phone: str) -> str:
        return hmac.new(self._hash_key, phone.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, phone: str) -> str:
        return self._fernet.encrypt(phone.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()


async def find_or_create_client(session: AsyncSession, vault: PhoneVault, raw_phone: str) -> Client:
    phone = normalize_phone(raw_phone)
    digest = vault.lookup_hash(phone)
    found = await session.scalar(select(Client).where(Client.phone_hash == digest))
    if found is not None:
        return found
    client = Client(phone_hash=digest, phone_encrypted=vault.encrypt(phone))
    try:
        async with session.begin_nested():
            session.add(client)
    except IntegrityError:
        # Two first messages from one number at once: the other request created her.
        return (await session.scalars(select(Client).where(Client.phone_hash == digest))).one()
    return client
