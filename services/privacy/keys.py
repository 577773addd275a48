"""Key rotation that exists: `tandem keys rotate` moves every stored secret to the newest keys
while Tandem runs.

The newest Fernet key is the first of TANDEM_PHONE_ENCRYPTION_KEYS (every key listed still
decrypts) and the newest hash key the first of TANDEM_PHONE_HASH_KEY. Rotation re-encrypts
her phone, message text and Rasa's tracker events under the newest key, and re-hashes her
phone under the newest hash key. Each row changes only if it still holds what was read (a
compare-and-swap), in batches, so the running services and Rasa keep reading and writing; run
it again and it finds nothing left to do. Procedure: README "Privacy".
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.ext.asyncio import AsyncEngine

from services.clients.phones import PhoneVault
from services.keyring import FERNET_PREFIX, fernet_keys

BATCH = 500

CLIENTS = sa.table(
    "clients",
    sa.column("id", sa.String),
    sa.column("phone_hash", sa.String),
    sa.column("phone_encrypted", sa.Text),
)
# Raw columns, not the models' encrypted types: rotation works on the stored tokens.
MESSAGES = sa.table("messages", sa.column("id", sa.Integer), sa.column("body", sa.Text))
NOTES = sa.table("client_notes", sa.column("id", sa.Integer), sa.column("body", sa.Text))
SIGNALS = sa.table("engagement_signals", sa.column("id", sa.Integer), sa.column("words", sa.Text))


class UnknownKey(RuntimeError):
    """A stored value no configured key decrypts: the key it needs was removed too early."""


@dataclass
class Rotation:
    newest: Fernet
    every: MultiFernet

    @classmethod
    def from_keys(cls, encryption_keys: str) -> Rotation:
        keys = fernet_keys(encryption_keys)
        return cls(keys[0], MultiFernet(keys))

    def rotated(self, value: str) -> str | None:
        """`value` under the newest key, or None when it already is. A value stored before
        encryption (not a Fernet token) is encrypted."""
        if not value.startswith(FERNET_PREFIX):
            return self.every.encrypt(value.encode()).decode()
        try:
            self.newest.decrypt(value.encode())
            return None
        except InvalidToken:
            pass
        try:
            return self.every.rotate(value.encode()).decode()
        except InvalidToken as error:
            raise UnknownKey("a stored value needs a key that is no longer listed") from error

    async def column(self, engine: AsyncEngine, table: sa.TableClause, column: sa.Column) -> int:
        """Rotate one column of every row; returns how many rows changed."""
        changed = 0
        last = None
        id_ = table.c.id
        while True:
            query = sa.select(id_, column).where(column.is_not(None), column != "")
            if last is not None:
                query = query.where(id_ > last)
            async with engine.connect() as connection:
                rows = (await connection.execute(query.order_by(id_).limit(BATCH))).all()
            if not rows:
                return changed
            last = rows[-1][0]
            async with engine.begin() as connection:
                for row_id, old in rows:
                    new = self.rotated(old)
                    if new is not None:
                        result = await connection.execute(
                            sa.update(table)
                            .where(id_ == row_id, column == old)
                            .values({column.name: new})
                        )
                        changed += result.rowcount or 0


async def rehash_phones(engine: AsyncEngine, vault: PhoneVault) -> int:
    """Every phone hash under the newest hash key; returns how many changed."""
    changed = 0
    last = ""
    while True:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(CLIENTS.c.id, CLIENTS.c.phone_hash, CLIENTS.c.phone_encrypted)
                    .where(CLIENTS.c.id > last)
                    .order_by(CLIENTS.c.id)
                    .limit(BATCH)
                )
            ).all()
        if not rows:
            return changed
        last = rows[-1][0]
        async with engine.begin() as connection:
            for client_id, old_hash, token in rows:
                if not token:
                    continue  # forgotten: no phone left to hash
                new_hash = vault.lookup_hash(vault.decrypt(token))
                if new_hash != old_hash:
                    result = await connection.execute(
                        sa.update(CLIENTS)
                        .where(CLIENTS.c.id == client_id, CLIENTS.c.phone_hash == old_hash)
                        .values(phone_hash=new_hash)
                    )
                    changed += result.rowcount or 0
