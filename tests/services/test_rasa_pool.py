"""Several Rasa processes behind the gateway: her turns go round the processes in her order, a
stopped one is skipped at once, a hung one after its first time-out, and each takes turns
again once its health probe answers."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

from aiohttp.test_utils import TestClient, TestServer

from services.app import create_app
from services.app_keys import GATEWAY, HTTP
from services.gateway.rasa_client import RasaClient
from services.gateway.rasa_pool import RasaPool
from services.settings import Settings
from tests.ports import closed_port_url
from tests.services.conftest import running_fake_rasa
from tests.services.test_gateway_resilience import say

TIMEOUT = 1.5  # RASA_TIMEOUT_SECONDS here


@contextlib.asynccontextmanager
async def gateway_over(
    settings: Settings, urls: list[str]
) -> AsyncIterator[tuple[TestClient, list[list[str]]]]:
    """The services app, its gateway sending turns to the Rasa processes at `urls` (in the
    stack they are consecutive ports of RASA_URL; here any ports), and the replies it sent
    by SMS (replayed turns)."""
    settings = settings.model_copy(update={"rasa_timeout_seconds": TIMEOUT})
    app = create_app(settings)
    async with TestClient(TestServer(app)) as client:
        clients = [RasaClient.for_process(settings, app[HTTP], url) for url in urls]
        replayer = app[GATEWAY].replayer
        replayer.rasa = RasaPool(clients)
        delivered: list[list[str]] = []

        async def deliver(client_id: str, texts: list[str], message_id: int) -> None:
            delivered.append(texts)

        replayer.deliver = deliver
        yield client, delivered


async def test_her_turns_go_round_the_processes_in_her_order(settings: Settings) -> None:
    async with running_fake_rasa() as (one, one_url), running_fake_rasa() as (two, two_url):
        one.echo = two.echo = True
        async with gateway_over(settings, [one_url, two_url]) as (client, delivered):
            for text in ("hi", "i need a ride", "friday", "thanks"):
                assert await say(client, text) == [f"got: {text}"]
    assert one.messages() == ["hi", "friday"]
    assert two.messages() == ["i need a ride", "thanks"]


async def test_a_stopped_process_is_skipped_without_her_noticing(settings: Settings) -> None:
    async with running_fake_rasa() as (alive, url):
        alive.echo = True
        async with gateway_over(settings, [closed_port_url(), url]) as (client, delivered):
            for text in ("hi", "i need a ride", "friday"):
                start = time.monotonic()
                assert await say(client, text) == [f"got: {text}"]
                assert time.monotonic() - start < TIMEOUT / 2
    assert alive.messages() == ["hi", "i need a ride", "friday"]


async def test_a_hung_process_costs_one_time_out_then_is_skipped_until_it_answers(
    settings: Settings,
) -> None:
    async with running_fake_rasa() as (hung, hung_url), running_fake_rasa() as (ok, ok_url):
        hung.echo = ok.echo = True
        async with gateway_over(settings, [hung_url, ok_url]) as (client, delivered):
            pool = client.app[GATEWAY].replayer.rasa
            hung.freeze()
            first = await say(client, "hi")
            assert "988" in first[0], "the turn that found it hung gets the holding text"
            assert not pool.is_open, "the other process still takes turns"
            for text in ("i need a ride", "friday", "thanks"):
                start = time.monotonic()
                replies = await say(client, text)
                assert time.monotonic() - start < TIMEOUT / 2, "no second time-out"
                assert replies[-1] == f"got: {text}"
            # "hi" was kept and replayed to the process that answers, before her next text.
            assert delivered == [["got: hi"]]
            hung.thaw()
            pool.set_retry_seconds(0)
            assert await pool.check()
            assert not pool.processes[0].breaker.is_open, "its probe answered"
            await say(client, "one")
            await say(client, "two")
    assert hung.messages()[-1] in ("one", "two"), "back in the round"
