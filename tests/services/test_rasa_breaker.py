"""Rasa hangs (alive, not answering): after one time-out the gateway stops waiting on it, a
crisis never waits on the bot more than a moment, and what she sent is replayed once Rasa
answers again."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.app import create_app
from services.app_keys import GATEWAY
from services.gateway.breaker import Breaker
from services.settings import Settings
from tests.services.conftest import FakeRasa
from tests.services.test_gateway_resilience import say

# RASA_TIMEOUT_SECONDS here: long enough that "did not wait for the time-out" holds on a busy
# machine (a turn took 3 s under a parallel model training).
TIMEOUT = 6.0
CRISIS_BUDGET = 0.3  # RASA_CRISIS_TIMEOUT_SECONDS here


@pytest.fixture
async def gateway_client(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> AsyncIterator[TestClient]:
    app = create_app(
        settings.model_copy(
            update={
                "rasa_url": fake_rasa[1],
                "rasa_timeout_seconds": TIMEOUT,
                "rasa_crisis_timeout_seconds": CRISIS_BUDGET,
            }
        )
    )
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def timed(client: TestClient, text: str) -> tuple[list[str], float]:
    start = time.monotonic()
    replies = await say(client, text)
    return replies, time.monotonic() - start


async def test_after_one_time_out_she_is_answered_at_once_and_nothing_is_lost(
    gateway_client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.echo = True
    replayer = gateway_client.app[GATEWAY].replayer
    delivered: list[list[str]] = []

    async def deliver(client_id: str, texts: list[str], message_id: int) -> None:
        delivered.append(texts)

    replayer.deliver = deliver
    assert await say(gateway_client, "hi") == ["got: hi"]

    fake.freeze()
    first, waited = await timed(gateway_client, "i need a ride friday")
    assert "988" in first[0] and waited >= TIMEOUT, "the first message finds out Rasa hangs"
    assert replayer.rasa.is_open

    second, waited = await timed(gateway_client, "and diapers")
    assert "988" in second[0] and waited < TIMEOUT / 2, "no second time-out"
    crisis, waited = await timed(gateway_client, "i took too many pills")
    assert crisis[0].startswith("Call 911 now") and waited < TIMEOUT / 2

    assert await replayer.replay_all() == 0, "still hung: nothing replayed, nobody waits"
    fake.thaw()  # thawed: the first turn, stuck inside Rasa, finishes now
    replayer.rasa.set_retry_seconds(0)  # the next probe is due
    assert await replayer.replay_all() == 1
    assert not replayer.rasa.is_open
    assert fake.messages() == ["hi", "i need a ride friday", "and diapers", "i took too many pills"]
    assert delivered == [
        ["got: i need a ride friday"],
        ["got: and diapers"],
        ["got: i took too many pills"],
    ]
    assert await say(gateway_client, "thanks") == ["got: thanks"]


async def test_a_crisis_waits_on_a_slow_bot_only_briefly(
    gateway_client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.echo, fake.delay = True, 3.0  # slow but working: under RASA_TIMEOUT_SECONDS
    replayer = gateway_client.app[GATEWAY].replayer
    delivered: list[list[str]] = []

    async def deliver(client_id: str, texts: list[str], message_id: int) -> None:
        delivered.append(texts)

    replayer.deliver = deliver
    ordinary, waited = await timed(gateway_client, "is the pantry open saturday")
    assert ordinary == ["got: is the pantry open saturday"], "an ordinary text waits its turn"

    crisis, waited = await timed(gateway_client, "i took too many pills")
    assert crisis[0].startswith("Call 911 now") and waited < fake.delay
    await replayer.rasa.probed()
    assert not replayer.rasa.is_open, "slow is not hung: her next text still reaches it"
    # The bot's own crisis turn still finished; its answer follows by SMS, exactly once.
    fake.delay = 0
    assert await replayer.replay_all() == 1
    assert delivered == [["got: i took too many pills"]]
    assert fake.messages().count("i took too many pills") == 1


async def test_a_crisis_to_a_hung_bot_is_answered_within_its_budget_and_opens_the_breaker(
    gateway_client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    replayer = gateway_client.app[GATEWAY].replayer
    fake.freeze()
    crisis, waited = await timed(gateway_client, "i took too many pills")
    assert crisis[0].startswith("Call 911 now") and waited < TIMEOUT
    # Her next text at once, while the probe the crisis started is still out: it waits for
    # that probe (about a second), not for the whole time-out.
    holding, waited = await timed(gateway_client, "and where do i get diapers")
    assert "988" in holding[0] and waited < TIMEOUT / 2
    assert replayer.rasa.is_open, "the probe got no answer either"


async def test_breaker_probes_at_most_every_retry_seconds() -> None:
    now = [100.0]
    answers: list[bool] = []

    async def probe() -> bool:
        answers.append(True)
        return len(answers) >= 2  # Rasa answers the second probe

    breaker = Breaker(probe=probe, retry_seconds=2.0, clock=lambda: now[0])
    assert await breaker.check() and not answers, "closed: no probe"
    breaker.trip()
    assert not await breaker.check() and not answers, "just opened: no probe yet"
    now[0] += 2.0
    assert not await breaker.check() and len(answers) == 1
    assert not await breaker.check() and len(answers) == 1, "not due again yet"
    now[0] += 2.0
    assert await breaker.check() and len(answers) == 2
    assert not breaker.is_open
