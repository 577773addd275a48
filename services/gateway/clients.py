"""Find or create the client behind a phone number without ever storing it in the clear.

The phone is encrypted with Fernet (MultiFernet: the first key encrypts, every key decrypts, so
keys rotate by prepending a new one and re-encrypting) and looked up by an HMAC of its E.164
form, so the same number always finds the same client. Hash keys rotate the same way
(TANDEM_PHONE_HASH_KEY may list several, newest first): a number is looked up under each, and
a client found under an older key is re-hashed under the newest (`tandem keys rotate` does it
for everyone).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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
        hash_keys = [k.strip() for k in hash_key.split(",") if k.strip()]
        if not hash_keys or not keys:
            raise ValueError("phone hash and encryption keys are required (tandem init-local)")
        self._hash_keys = [k.encode() for k in hash_keys]
        self._fernets = [Fernet(k.encode()) for k in keys]
        self._fernet = MultiFernet(self._fernets)

    def lookup_hash(self, phone: str) -> str:
        """The hash under the newest key: what is stored."""
        return self.lookup_hashes(phone)[0]

    def lookup_hashes(self, phone: str) -> list[str]:
        """The hash under every key, newest first: what a lookup tries."""
        return [hmac.new(k, phone.encode(), hashlib.sha256).hexdigest() for k in self._hash_keys]

    def is_current(self, token: str) -> bool:
        """Whether a token is already encrypted under the newest key."""
        try:
            self._fernets[0].decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same plaintext, encrypted under the newest key."""
        return self._fernet.rotate(token.encode()).decode()

    def encrypt(self, phone: str) -> str:
        return self._fernet.encrypt(phone.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()


async def find_or_create_client(session: AsyncSession, vault: PhoneVault, raw_phone: str) -> Client:
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
