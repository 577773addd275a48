"""Rasa's Redis lock store, configured by one URL: $REDIS_URL, as Tandem's settings name it.

Several Rasa processes serve the same conversations (TANDEM_RASA_WORKERS), so the lock that
keeps one conversation's turns from running at once must live outside any one of them. Rasa's
own `type: redis` takes host, port, db and password as separate endpoint fields, where an
empty password or a "false" TLS flag from the environment would be read wrongly; a URL
(redis://[:password@]host:port/db, or rediss:// for TLS) says it all, and keeps the password
out of endpoints.yml.

The lock itself is redis-py's (SET NX with an expiry, released only by its holder), not
Rasa's ticket queue: that took about seven Redis round trips a turn, each a JSON document
read or written on the event loop (bench/results/turn_profile.md, cut 8), where this takes
two. The queue's first-come order is not needed: the gateway sends one conversation's turns
one at a time, so at most a check-in's trigger or a replay ever waits beside a turn.

bot/endpoints.yml: `lock_store: {type: ${RASA_LOCK_STORE}}`; services/stack.py sets it to this
class when REDIS_URL is set, else to Rasa's `in_memory`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import redis
from rasa.core.lock_store import (
    DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    LOCK_LIFETIME,
    RedisLockStore,
)
from rasa.shared.exceptions import RasaException

URL_ENV = "REDIS_URL"
KEY_PREFIX = "tandem"  # keys are tandem:lock:<client id>, apart from other users of the server


class RedisURLLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Any = None) -> None:
        url = os.environ.get(URL_ENV, "")
        if not url:
            raise RasaException(f"{URL_ENV} is not set: the Redis lock store needs it")
        super().__init__(key_prefix=KEY_PREFIX)
        # The parent made a client for localhost (it connects lazily); this one is used.
        self.red = redis.StrictRedis.from_url(url, socket_timeout=DEFAULT_SOCKET_TIMEOUT_IN_SECONDS)
        self.red.ping()  # an unreachable Redis stops Rasa at start, not at her first turn

    @contextlib.asynccontextmanager
    async def lock(  # type: ignore[override]
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 0.05,
    ) -> AsyncIterator[None]:
        """Hold her conversation for one turn; another process's turn of hers waits, polling
        every `wait_time_in_seconds`. A holder that died frees it after `lock_lifetime`."""
        held = self.red.lock(self.key_prefix + conversation_id, timeout=lock_lifetime)
        while not held.acquire(blocking=False):  # noqa: ASYNC110 - held by another process
            await asyncio.sleep(wait_time_in_seconds)
        try:
            yield None
        finally:
            with contextlib.suppress(redis.exceptions.LockError):
                held.release()  # LockError: it expired and may be someone else's by now
