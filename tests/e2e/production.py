"""The production profile for e2e tests: `tandem run --profile production` on scratch
PostgreSQL databases (tests/postgres.py) and this machine's Redis, with every secret from the
environment; a woman's conversation as signed SMS; and what the two databases hold of her
(the message log, and the user events of her Rasa tracker, decrypted with the stack's keys)."""

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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import URL

from services.db.engine import make_engine
from services.gateway.signature import INBOUND_PATH, signed_inbound
from services.gateway.twiml import twiml_to_messages
from tests.e2e.conftest import REPO, TANDEM, start_stack, stop_stack
from tests.ports import closed_port_url, free_port
from tests.postgres import scratch_database

# Her conversation in the production-profile tests and bench/turns.py: greetings, searches,
# thanks.
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


def production_env(
    var_dir: Path,
    database_url: str,
    tracker_url: str,
    redis_url: str,
    rasa_workers: int,
    action_workers: int,
) -> dict[str, str]:
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
        "TANDEM_RASA_WORKERS": str(rasa_workers),
        "RASA_TIMEOUT_SECONDS": "12",
        "TANDEM_WORKER_INTERVAL_SECONDS": "1",
        "TANDEM_ACTION_WORKERS": str(action_workers),
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


def database_urls(tandem_db: URL, rasa_db: URL) -> tuple[str, str]:
    """Tandem's URL (asyncpg) and the tracker store's: Rasa opens it with psycopg2."""
    return (
        tandem_db.render_as_string(hide_password=False),
        rasa_db.set(drivername="postgresql").render_as_string(hide_password=False),
    )


@contextmanager
def scratch_databases(prefix: str) -> Iterator[tuple[str, str]]:
    """Two new, empty PostgreSQL databases, Tandem's and Rasa's tracker store, for as long as
    the block runs: their URLs (database_urls)."""
    with (
        scratch_database(f"{prefix}_tandem") as tandem_db,
        scratch_database(f"{prefix}_rasa") as rasa_db,
    ):
        yield database_urls(tandem_db, rasa_db)


def deployed_env(
    var_dir: Path, database_url: str, tracker_url: str, rasa_workers: int, action_workers: int
) -> dict[str, str]:
    """A new deployment on these databases and this machine's Redis: its environment, once
    prepared (the schema and the directory)."""
    env = production_env(
        var_dir, database_url, tracker_url, redis_url_for_tests(), rasa_workers, action_workers
    )
    prepare(env)
    return env


def redis_url_for_tests() -> str:
    redis_url = os.environ.get("TANDEM_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TANDEM_TEST_REDIS_URL is not set")
    return redis_url


def tandem(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """A `tandem` command in `env`, which must succeed."""
    done = subprocess.run([*TANDEM, *args], env=env, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def prepare(env: dict[str, str]) -> None:
    """What a new deployment runs once: the schema, then the directory."""
    tandem(env, "db", "upgrade")
    tandem(env, "directory", "import", "data/directory")


def rasa_processes_up(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
            return int(json.load(response)["rasa_processes"]["up"])
    except OSError:
        return 0


@contextmanager
def running_production(env: dict[str, str], log: Path) -> Iterator[ProductionStack]:
    """The profile running in `env` (databases ready), every Rasa process up and warmed up;
    stopped with Ctrl-C afterwards."""
    process = start_stack(env, log, "--profile", "production")
    url = f"http://127.0.0.1:{env['TANDEM_PORT']}"
    workers = int(env["TANDEM_RASA_WORKERS"])
    try:
        deadline = time.monotonic() + 240
        while rasa_processes_up(url) < workers:  # ready takes one; the tests need them all
            assert time.monotonic() < deadline, log.read_text()[-4000:]
            time.sleep(1)
        warm_up(env)
        yield ProductionStack(env, log, url, env["DATABASE_URL"], env["RASA_TRACKER_STORE_URL"])
    finally:
        stop_stack(process, log)


def warm_up(env: dict[str, str]) -> None:
    """One turn in each Rasa process (its first turn loads what it loads lazily), from a
    conversation of its own, straight to the channel the gateway uses."""
    first = int(env["RASA_URL"].rsplit(":", 1)[1])
    for port in range(first, first + int(env["TANDEM_RASA_WORKERS"])):
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
    http: aiohttp.ClientSession, stack: ProductionStack, phone: str, texts: Sequence[str]
) -> list[list[str]]:
    """Her messages one after another, each once the reply to the last has come, as signed
    SMS exactly as Twilio posts them."""
    answers = []
    for text in texts:
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

    tracked: dict[str, list] = defaultdict(list)
    for sender, event in await tracker_user_events(stack):
        tracked[sender].append((event.get("metadata") or {}).get("message_sid"))
    return inbound, tracked


def settled(stack: ProductionStack, seconds: float) -> tuple[dict[str, list], dict[str, list]]:
    """What `stored` finds once the bot has taken every message, or after `seconds`: a turn
    that outlasted RASA_TIMEOUT_SECONDS got the holding reply and is replayed by the worker."""
    deadline = time.monotonic() + seconds
    while True:
        inbound, tracked = asyncio.run(stored(stack))
        states = {state for messages in inbound.values() for _, state in messages}
        if states <= {"answered", "replayed"} or time.monotonic() > deadline:
            return inbound, tracked
        time.sleep(1)


async def tracker_user_events(stack: ProductionStack) -> list[tuple[str, dict]]:
    """Every user event of Rasa's tracker store (sender, event), decrypted, in stored order."""
    fernet = Fernet(stack.env["TANDEM_PHONE_ENCRYPTION_KEYS"].encode())
    engine = make_engine(stack.tracker_url.replace("postgresql://", "postgresql+asyncpg://"))
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id")
        )
        events = [(sender, json.loads(fernet.decrypt(data.encode()))) for sender, data in rows]
    await engine.dispose()
    return events
