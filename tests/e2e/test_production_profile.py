"""The production profile on this machine's PostgreSQL and Redis: `tandem run --profile
production` with two Rasa processes and two action servers. Twenty women text at once, ten
messages each, as signed SMS: every message is answered, each conversation's turns land on
both Rasa processes, and each woman's tracker holds every message she sent, once, in the order
she sent it. On a busy machine a turn may outlast RASA_TIMEOUT_SECONDS: she gets the holding
reply and the bot takes the message later (the replay), still once and in her order."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.production import (
    CONVERSATION,
    ProductionStack,
    deployed_env,
    her_conversation,
    running_production,
    scratch_databases,
    settled,
)

pytestmark = pytest.mark.e2e

WOMEN = 20
RASA_WORKERS = 2


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionStack]:
    var_dir = tmp_path_factory.mktemp("production")
    with scratch_databases("prod") as (database_url, tracker_url):
        env = deployed_env(var_dir, database_url, tracker_url, RASA_WORKERS, action_workers=2)
        with running_production(env, var_dir / "stack.log") as stack:
            yield stack


async def everyone_at_once(stack: ProductionStack) -> list[list[list[str]]]:
    async with aiohttp.ClientSession() as http:
        return await asyncio.gather(
            *(
                her_conversation(http, stack, f"+1413555{1000 + n:04d}", CONVERSATION)
                for n in range(WOMEN)
            )
        )


def rasa_process_per_turn(log: Path) -> dict[str, set[str]]:
    """Which Rasa processes took each woman's turns (the gateway logs each turn)."""
    took: dict[str, set[str]] = defaultdict(set)
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"bot_turn"' in line:
            record = json.loads(line)
            took[record["client_id"]].add(record["rasa"])
    return took


def test_twenty_women_at_once_over_two_rasa_processes(production: ProductionStack) -> None:
    start = time.monotonic()
    answers = asyncio.run(everyone_at_once(production))
    seconds = time.monotonic() - start
    print(f"{WOMEN * len(CONVERSATION)} messages in {seconds:.1f} s")
    assert all(replies for conversation in answers for replies in conversation), "no silence"

    inbound, tracked = settled(production, 180)
    states = [state for messages in inbound.values() for _, state in messages]
    print(
        f"answered in the webhook: {states.count('answered')}, replayed: {states.count('replayed')}"
    )
    assert len(inbound) == WOMEN
    for client_id, messages in inbound.items():
        assert len(messages) == len(CONVERSATION)
        assert {state for _, state in messages} <= {"answered", "replayed"}, "the bot took each"
        # Every message she sent is in her tracker once, in her order: none lost, none twice.
        assert tracked[client_id] == [sid for sid, _ in messages], client_id

    took = rasa_process_per_turn(production.log)
    assert set(took) == set(inbound)
    processes = set().union(*took.values())
    assert len(processes) == RASA_WORKERS
    for client_id, used in took.items():
        assert used == processes, f"{client_id}'s turns all went to {used}"
