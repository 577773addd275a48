"""The production profile on this machine's PostgreSQL and Redis: `tandem run --profile
production` with two Rasa processes and two action servers. Twenty women text at once, ten
messages each, as signed SMS: every message is answered, each conversation's turns land on
both Rasa processes, and each woman's tracker holds every message she sent, once, in the order
she sent it. On a busy machine a turn may outlast RASA_TIMEOUT_SECONDS: she gets the holding
reply and the bot takes the message later (the replay), still once and in her order."""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import socket
import subprocess
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from services.db.engine import make_engine
from services.gateway.signature import INBOUND_PATH, signed_inbound
from services.gateway.twiml import twiml_to_messages
from tests.e2e.conftest import REPO, TANDEM, start_stack, stop_stack
from tests.ports import closed_port_url, free_port
from tests.postgres import scratch_database

pytestmark = pytest.mark.e2e

WOMEN = 20
CONVERSATION = (
    "hi",
    "i need help getting on suboxone",
    "01105",
    "thanks",
    "is there a food pantry open tomorrow",
    "i also need diapers for my baby",
    "can someone give me a ride to my appointment",
    "ok",
    "what time do they open",
    "thank you so much",
)
RASA_WORKERS = 2
SAMPLE_SID = "AC" + "5" * 32


@dataclass
class ProductionStack:
    env: dict[str, str]
    log: Path
    url: str
    database_url: str
    tracker_url: str


def two_free_ports() -> int:
    """A free port with the next one free too (the Rasa processes listen on consecutive
    ports), below the ephemeral range: Rasa binds only after loading its model, minutes
    later, and meanwhile any outgoing connection may take a port of that range."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        try:
            with socket.socket() as one, socket.socket() as two:
                one.bind(("127.0.0.1", port))
                two.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    raise RuntimeError("no two consecutive free ports")


def production_env(var_dir: Path, database_url: str, tracker_url: str, redis_url: str) -> dict:
    """Everything from the environment, as production requires: no var/local.env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TANDEM_", "RASA_"))}
    port = free_port()
    return {
        **env,
        "TANDEM_ENV": "production",
        "TANDEM_VAR_DIR": str(var_dir),
        "TANDEM_PORT": str(port),
        "TANDEM_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": database_url,
        "RASA_TRACKER_STORE_URL": tracker_url,
        "REDIS_URL": redis_url,
        "RASA_URL": f"http://127.0.0.1:{two_free_ports()}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}",
        "TANDEM_RASA_WORKERS": str(RASA_WORKERS),
        "RASA_TIMEOUT_SECONDS": "12",
        "TANDEM_WORKER_INTERVAL_SECONDS": "1",
        "TANDEM_ACTION_WORKERS": "2",
        "TANDEM_SECRET_KEY": secrets.token_urlsafe(32),
        "TANDEM_SERVICE_TOKEN": secrets.token_urlsafe(32),
        "TANDEM_PHONE_HASH_KEY": secrets.token_urlsafe(32),
        "TANDEM_PHONE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "TWILIO_AUTH_TOKEN": secrets.token_urlsafe(32),
        "TWILIO_ACCOUNT_SID": SAMPLE_SID,
        "TWILIO_API_BASE_URL": closed_port_url(),  # nothing here may reach the real Twilio
        "RASA_TOKEN": secrets.token_urlsafe(32),
        "ACTION_SERVER_TOKEN": secrets.token_urlsafe(32),
    }


def rasa_processes_up(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
            return int(json.load(response)["rasa_processes"]["up"])
    except OSError:
        return 0


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionStack]:
    redis_url = os.environ.get("TANDEM_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TANDEM_TEST_REDIS_URL is not set")
    var_dir = tmp_path_factory.mktemp("production")
    with scratch_database("prod_tandem") as tandem_db, scratch_database("prod_rasa") as rasa_db:
        database_url = tandem_db.render_as_string(hide_password=False)
        # Rasa's tracker store opens it with the synchronous driver (psycopg2).
        tracker_url = rasa_db.set(drivername="postgresql").render_as_string(hide_password=False)
        env = production_env(var_dir, database_url, tracker_url, redis_url)
        for step in (["db", "upgrade"], ["directory", "import", "data/directory"]):
            subprocess.run([*TANDEM, *step], env=env, cwd=REPO, check=True, capture_output=True)
        log = var_dir / "stack.log"
        process = start_stack(env, log, "--profile", "production")
        url = f"http://127.0.0.1:{env['TANDEM_PORT']}"
        deadline = time.monotonic() + 240
        while rasa_processes_up(url) < RASA_WORKERS:  # ready takes one; the test needs both
            assert time.monotonic() < deadline, log.read_text()[-4000:]
            time.sleep(1)
        warm_up(env)
        try:
            yield ProductionStack(env, log, url, database_url, tracker_url)
        finally:
            stop_stack(process, log)


def warm_up(env: dict[str, str]) -> None:
    """One turn in each Rasa process (its first turn loads what it loads lazily), from a
    conversation of its own, straight to the channel the gateway uses."""
    first = int(env["RASA_URL"].rsplit(":", 1)[1])
    for port in range(first, first + RASA_WORKERS):
        body = json.dumps(
            {"sender": f"c_warm_up_{port}", "message": "hi", "metadata": {"message_sid": "SMw"}}
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/webhooks/tandem/webhook",
            data=body.encode(),
            headers={
                "Authorization": f"Bearer {env['RASA_TOKEN']}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            assert response.status == 200


async def her_conversation(
    http: aiohttp.ClientSession, stack: ProductionStack, phone: str
) -> list[list[str]]:
    """Her messages one after another, each once the reply to the last has come, as signed
    SMS exactly as Twilio posts them."""
    answers = []
    for text in CONVERSATION:
        params, signature = signed_inbound(
            auth_token=stack.env["TWILIO_AUTH_TOKEN"],
            public_url=stack.env["TANDEM_PUBLIC_URL"],
            account_sid=SAMPLE_SID,
            to="+14135550199",
            sender=phone,
            text=text,
        )
        async with http.post(
            stack.url + INBOUND_PATH,
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=aiohttp.ClientTimeout(total=60),
        ) as response:
            assert response.status == 200
            answers.append(twiml_to_messages(await response.text()))
    return answers


async def everyone_at_once(stack: ProductionStack) -> list[list[list[str]]]:
    async with aiohttp.ClientSession() as http:
        return await asyncio.gather(
            *(her_conversation(http, stack, f"+1413555{1000 + n:04d}") for n in range(WOMEN))
        )


async def stored(stack: ProductionStack) -> tuple[dict[str, list], dict[str, list]]:
    """Each woman's inbound messages (MessageSid, state) in the order they came, and the
    MessageSids of the user events in her tracker, in the order Rasa stored them."""
    inbound: dict[str, list] = defaultdict(list)
    engine = make_engine(stack.database_url)
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT client_id, twilio_sid, state FROM messages "
                "WHERE direction = 'inbound' ORDER BY id"
            )
        )
        for client_id, sid, state in rows:
            inbound[client_id].append((sid, state))
    await engine.dispose()

    fernet = Fernet(stack.env["TANDEM_PHONE_ENCRYPTION_KEYS"].encode())
    tracked: dict[str, list] = defaultdict(list)
    engine = make_engine(stack.tracker_url.replace("postgresql://", "postgresql+asyncpg://"))
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id")
        )
        for sender, data in rows:
            event = json.loads(fernet.decrypt(data.encode()))
            tracked[sender].append((event.get("metadata") or {}).get("message_sid"))
    await engine.dispose()
    return inbound, tracked


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

    # Messages that outlasted RASA_TIMEOUT_SECONDS are replayed by the worker: wait for them.
    deadline = time.monotonic() + 180
    while True:
        inbound, tracked = asyncio.run(stored(production))
        states = [state for messages in inbound.values() for _, state in messages]
        if set(states) <= {"answered", "replayed"} or time.monotonic() > deadline:
            break
        time.sleep(2)
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
