"""The bot stops mid-conversation and comes back: she is always answered at once (crisis help
or a holding message with 911/988), nothing is lost, nothing is processed twice, order holds."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from services.app_keys import GATEWAY
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import Message
from services.gateway.twiml import twiml_to_messages
from services.settings import Settings
from tests.services.conftest import FakeRasa
from tests.services.test_gateway import form, post_signed

PHONE = "+14135550120"


async def say(client: TestClient, text: str, phone: str = PHONE) -> list[str]:
    response = await post_signed(client, form(text, phone=phone))
    assert response.status == 200
    return twiml_to_messages(await response.text())


async def inbound_states(settings: Settings) -> list[tuple[str, str]]:
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(Message.body, Message.state)
            .where(Message.direction == "inbound")
            .order_by(Message.id)
        )
        result = [tuple(r) for r in rows]
    await engine.dispose()
    return result


async def test_rasa_down_then_back_replays_in_order_exactly_once(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    fake, _ = fake_rasa
    fake.echo = True
    delivered: list[tuple[str, list[str], int]] = []

    async def deliver(client_id: str, texts: list[str], message_id: int) -> None:
        delivered.append((client_id, texts, message_id))

    client.app[GATEWAY].replayer.deliver = deliver
    assert await say(client, "hi") == ["got: hi"]

    fake.up = False  # Rasa stops
    holding = await say(client, "i need a ride")
    crisis = await say(client, "i took too many pills")
    assert "911" in holding[0] and "988" in holding[0]
    assert crisis[0].startswith("Call 911 now")

    fake.up = True  # Rasa is back; the next message drains the queue first, in order
    assert await say(client, "thanks") == ["got: thanks"]
    assert fake.messages() == ["hi", "i need a ride", "i took too many pills", "thanks"]
    assert [texts for _, texts, _ in delivered] == [
        ["got: i need a ride"],
        ["got: i took too many pills"],
    ]

    assert await client.app[GATEWAY].replayer.replay_all() == 0
    assert fake.messages().count("i need a ride") == 1, "nothing is processed twice"
    assert [s for _, s in await inbound_states(settings)] == [
        "answered",
        "replayed",
        "replayed",
        "answered",
    ]


async def test_background_replay_when_she_sends_nothing_more(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.echo = True
    delivered: list[list[str]] = []

    async def deliver(client_id: str, texts: list[str], message_id: int) -> None:
        delivered.append(texts)

    client.app[GATEWAY].replayer.deliver = deliver
    fake.up = False
    await say(client, "where can i get formula")
    assert await client.app[GATEWAY].replayer.replay_all() == 0, "still down: nothing replayed"
    fake.up = True
    assert await client.app[GATEWAY].replayer.replay_all() == 1
    assert await client.app[GATEWAY].replayer.replay_all() == 0
    assert delivered == [["got: where can i get formula"]]
    assert fake.messages() == ["where can i get formula"]


async def test_a_slow_turn_is_not_processed_twice(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    # Rasa takes longer than the gateway's budget but finishes the turn: the replay finds it
    # in the tracker and sends only the replies she never got.
    fake, _ = fake_rasa
    fake.echo, fake.delay = True, 3.0
    delivered: list[list[str]] = []

    async def deliver(client_id: str, texts: list[str], message_id: int) -> None:
        delivered.append(texts)

    client.app[GATEWAY].replayer.deliver = deliver
    holding = await say(client, "is there a clinic open late")
    assert "988" in holding[0]
    fake.delay = 0
    # The time-out opened the breaker: the replay waits for a probe to find Rasa answering.
    client.app[GATEWAY].replayer.rasa.set_retry_seconds(0)
    assert await client.app[GATEWAY].replayer.replay_all() == 1
    assert fake.messages() == ["is there a clinic open late"]
    assert delivered == [["got: is there a clinic open late"]]
