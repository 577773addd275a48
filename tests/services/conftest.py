"""Fixtures for the services runtime: settings on a temporary SQLite database migrated with
Alembic and loaded with the demo directory, a fake Rasa server, and the app under test."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from alembic import command
from cryptography.fernet import Fernet

from services.app import create_app
from services.app_keys import OPENAPI, SESSIONS
from services.cli.local import alembic_config
from services.db import encrypted
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import Client
from services.directory.hsds_import import import_hsds_package
from services.directory.taxonomy import load_taxonomy
from services.settings import DATA_DIR, Settings
from tests.ports import closed_port_url
from tests.services.openapi_check import OpenApiChecker

SERVICE_TOKEN = "test-service-token-0123456789"
AUTH_TOKEN = "test-twilio-auth-token-0123456789"


def make_settings(var_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "tandem_env": "test",
        "tandem_var_dir": var_dir,
        "tandem_public_url": "https://tandem.example.org",
        "tandem_secret_key": "test-secret-key-0123456789",
        "tandem_service_token": SERVICE_TOKEN,
        "tandem_phone_hash_key": "test-phone-hash-key-0123456789",
        "tandem_phone_encryption_keys": Fernet.generate_key().decode(),
        "twilio_auth_token": AUTH_TOKEN,
        "rasa_token": "test-rasa-token-0123456789",
        "action_server_token": "test-action-server-token-0123456789",
        "rasa_timeout_seconds": 2.0,
        "tandem_worker_interval_seconds": 0,
        # Never the defaults (5005, 5055): a stack running beside the tests is not theirs.
        "rasa_url": closed_port_url(),
        "action_server_url": closed_port_url(),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def directory_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the demo directory, built once and copied per test."""
    path = tmp_path_factory.mktemp("template") / "tandem.db"
    url = f"sqlite+aiosqlite:///{path}"
    command.upgrade(alembic_config(url), "head")

    async def load() -> None:
        engine = make_engine(url)
        async with make_sessionmaker(engine)() as session, session.begin():
            await import_hsds_package(session, DATA_DIR / "directory", load_taxonomy())
        await engine.dispose()

    asyncio.run(load())
    return path


@pytest.fixture
def settings(tmp_path: Path, directory_db: Path) -> Settings:
    shutil.copy(directory_db, tmp_path / "tandem.db")
    settings = make_settings(tmp_path)
    encrypted.use_keys(settings.tandem_phone_encryption_keys)  # for rows made without the app
    return settings


@dataclass
class FakeRasa:
    """Stands in for Rasa's tandem channel and tracker API: records what it was sent and
    answers as told. `up=False` is a stopped Rasa; `delay` a slow one (it still finishes the
    turn and records it in its tracker, as Rasa would)."""

    replies: list[str] = field(default_factory=lambda: ["Hi! I'm Tandem."])
    status: int = 200
    up: bool = True
    delay: float = 0.0
    echo: bool = False  # answer "got: <her text>", to tell turns apart
    # Cleared by freeze(): a hung Rasa that takes every request and answers none until thaw().
    thawed: asyncio.Event = field(default_factory=asyncio.Event)
    received: list[dict] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    events: dict[str, list[dict]] = field(default_factory=dict)
    triggered: list[dict] = field(default_factory=list)  # trigger_intent bodies, with sender
    token: str = "test-rasa-token-0123456789"  # make_settings' RASA_TOKEN

    async def hello(self, _: web.Request) -> web.Response:
        await self._hang_while_frozen()
        return web.Response(text="Hello from Rasa", status=200 if self.up else 503)

    async def handle(self, request: web.Request) -> web.Response:
        await self._hang_while_frozen()
        if not self.up:
            return web.Response(status=503)
        payload = await request.json()
        self.received.append(payload)
        self.headers.append(request.headers.get("Authorization", ""))
        if self.status != 200:
            return web.json_response({"error": "turn_failed"}, status=self.status)
        replies = [f"got: {payload['message']}"] if self.echo else list(self.replies)
        events = self.events.setdefault(payload["sender"], [])
        events.append(
            {"event": "user", "text": payload["message"], "metadata": payload["metadata"]}
        )
        events.extend({"event": "bot", "text": r} for r in replies)
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response([{"recipient_id": payload["sender"], "text": r} for r in replies])

    async def tracker(self, request: web.Request) -> web.Response:
        if not self.up:
            return web.Response(status=503)
        sender = request.match_info["sender"]
        return web.json_response({"sender_id": sender, "events": self.events.get(sender, [])})

    async def trigger_intent(self, request: web.Request) -> web.Response:
        """POST /conversations/{sender}/trigger_intent: an external event, recorded in her
        tracker as Rasa records it (a user event named after the intent, no message_sid);
        answers no messages (no output_channel)."""
        if not self.up or request.query.get("token") != self.token:
            return web.Response(status=503 if not self.up else 401)
        sender, body = request.match_info["sender"], await request.json()
        self.triggered.append({"sender": sender, **body})
        entities = [{"entity": k, "value": v} for k, v in body.get("entities", {}).items()]
        self.events.setdefault(sender, []).append(
            {
                "event": "user",
                "text": f"EXTERNAL: {body['name']}",
                "parse_data": {"intent": {"name": body["name"]}, "entities": entities},
                "metadata": {"is_external": True},
            }
        )
        return web.json_response({"tracker": {"sender_id": sender}, "messages": []})

    def messages(self) -> list[str]:
        return [r["message"] for r in self.received]

    def __post_init__(self) -> None:
        self.thawed.set()

    def freeze(self) -> None:
        self.thawed.clear()

    def thaw(self) -> None:
        self.thawed.set()

    async def _hang_while_frozen(self) -> None:
        # Like a stopped process (SIGSTOP): requests wait, and go on once it is thawed.
        await self.thawed.wait()


@contextlib.asynccontextmanager
async def running_fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    """A fake Rasa process on a free port, and its URL."""
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/webhooks/tandem/webhook", fake.handle)
    app.router.add_get("/", fake.hello)
    app.router.add_get("/conversations/{sender}/tracker", fake.tracker)
    app.router.add_post("/conversations/{sender}/trigger_intent", fake.trigger_intent)
    server = TestServer(app)
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    fake.thaw()
    await server.close()


@pytest.fixture
async def fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    async with running_fake_rasa() as running:
        yield running


@pytest.fixture
async def client(settings: Settings, fake_rasa: tuple[FakeRasa, str]) -> AsyncIterator[TestClient]:
    app_settings = settings.model_copy(update={"rasa_url": fake_rasa[1]})
    app = create_app(app_settings)
    # Every /api response of every test is checked against the OpenAPI document.
    checker = OpenApiChecker(app[OPENAPI])
    app.middlewares.insert(0, checker.middleware)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    assert not checker.violations, "responses differ from services/openapi.yaml:\n" + "\n".join(
        checker.violations
    )


@pytest.fixture
def api_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {SERVICE_TOKEN}"}


async def add_client(test_client: TestClient, n: int = 0) -> str:
    """A client row as the gateway would make on first contact (phone fields are stand-ins)."""
    async with test_client.app[SESSIONS]() as session, session.begin():
        row = Client(phone_hash=f"test-hash-{n}", phone_encrypted="test-not-a-phone")
        session.add(row)
    return row.id


@pytest.fixture
async def client_id(client: TestClient) -> str:
    """The id of one woman known to the running app."""
    return await add_client(client)


@pytest.fixture
def no_network_rasa(settings: Settings) -> Iterator[Settings]:
    """Settings pointing Rasa at a closed local port (the bot is down)."""
    yield settings.model_copy(update={"rasa_url": closed_port_url()})
