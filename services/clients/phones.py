"""Her phone number, never stored in the clear.

The phone is encrypted with Fernet (MultiFernet: the first key encrypts, every key decrypts, so
keys rotate by prepending a new one and re-encrypting) and looked up by an HMAC of its E.164
form, so the same number always finds the same client. Hash keys rotate the same way
(TANDEM_PHONE_HASH_KEY may list several, newest first): a number is looked up under each, and
a client found under an older key is re-hashed under the newest (`tandem keys rotate` does it
for everyone). services/keyring.py parses both key lists.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from cryptography.fernet import InvalidToken, MultiFernet

from services.keyring import fernet_keys, key_list


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
        hash_keys = key_list(hash_key)
        if not hash_keys:
            raise ValueError("phone hash keys are required (tandem init-local)")
        self._hash_keys = [k.encode() for k in hash_keys]
        self._fernets = fernet_keys(encryption_keys)
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
