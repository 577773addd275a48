"""The lock store bot/endpoints.yml configures: Redis (bot/lock_store.py) when services/stack.py
names it, so that a conversation's turn in one Rasa process holds off another process; Rasa's
in-memory store for a single process. The Redis server comes from TANDEM_TEST_REDIS_URL (the
Makefile sets it to this machine's); without it the Redis test is skipped."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.utils.endpoints import read_endpoint_config

from bot.lock_store import RedisURLLockStore

REPO = Path(__file__).resolve().parents[2]


def store_from_endpoints(monkeypatch: pytest.MonkeyPatch, lock_store: str) -> LockStore:
    """The lock store exactly as `rasa run --endpoints bot/endpoints.yml` makes it."""
    for name in ("RASA_TRACKER_DIALECT", "RASA_TRACKER_STORE_URL", "RASA_TRACKER_DB"):
        monkeypatch.setenv(name, "unused")
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:1/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "unused")
    monkeypatch.setenv("RASA_LOCK_STORE", lock_store)
    return LockStore.create(read_endpoint_config(str(REPO / "bot" / "endpoints.yml"), "lock_store"))


def test_one_rasa_process_keeps_its_locks_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(store_from_endpoints(monkeypatch, "in_memory"), InMemoryLockStore)


def test_a_turn_in_one_process_holds_off_the_same_conversation_in_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = os.environ.get("TANDEM_TEST_REDIS_URL")
    if not url:
        pytest.skip("TANDEM_TEST_REDIS_URL is not set")
    monkeypatch.setenv("REDIS_URL", url)
    # Two Rasa processes: two stores on the same Redis.
    first = store_from_endpoints(monkeypatch, "bot.lock_store.RedisURLLockStore")
    second = store_from_endpoints(monkeypatch, "bot.lock_store.RedisURLLockStore")
    assert isinstance(first, RedisURLLockStore)
    conversation = f"c_test_{uuid.uuid4().hex}"
    order: list[str] = []

    async def turn(store: LockStore, name: str, hold: float) -> None:
        async with store.lock(conversation, wait_time_in_seconds=0.05):
            order.append(f"{name} starts")
            await asyncio.sleep(hold)
            order.append(f"{name} ends")

    async def both() -> None:
        first_turn = asyncio.create_task(turn(first, "first", 0.5))
        await asyncio.sleep(0.1)
        await turn(second, "second", 0)
        await first_turn

    asyncio.run(both())
    assert order == ["first starts", "first ends", "second starts", "second ends"]
    assert first.get_lock(conversation) is None, "released: nothing left in Redis"


def test_without_redis_url_rasa_does_not_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(Exception, match="REDIS_URL is not set"):
        store_from_endpoints(monkeypatch, "bot.lock_store.RedisURLLockStore")


def test_a_turn_waits_out_a_lock_whose_holder_died(monkeypatch: pytest.MonkeyPatch) -> None:
    url = os.environ.get("TANDEM_TEST_REDIS_URL")
    if not url:
        pytest.skip("TANDEM_TEST_REDIS_URL is not set")
    monkeypatch.setenv("REDIS_URL", url)
    store = store_from_endpoints(monkeypatch, "bot.lock_store.RedisURLLockStore")
    conversation = f"c_test_{uuid.uuid4().hex}"
    # A Rasa process took her lock for 0.4 s and died: nobody releases it.
    assert store.red.lock(store.key_prefix + conversation, timeout=0.4).acquire(blocking=False)

    async def next_turn() -> float:
        start = time.monotonic()
        async with store.lock(conversation):
            return time.monotonic() - start

    waited = asyncio.run(next_turn())
    assert 0.3 < waited < 2.0
    assert store.red.get(store.key_prefix + conversation) is None, "released after the turn"
