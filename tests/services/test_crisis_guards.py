"""A crisis is never held back by the gateway's guards (issue 11, finding 5): a crisis text in
a flood or in a message longer than Twilio sends gets a staff alert at once and reaches the bot
like any other crisis, or is kept for it while the bot is down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.app import create_app
from services.app_keys import GATEWAY
from services.gateway.inbound import MAX_BODY_CHARS
from services.settings import Settings
from tests.services.conftest import SERVICE_TOKEN, FakeRasa
from tests.services.test_gateway_inbound import say
from tests.services.test_gateway_resilience import inbound_states

HEADERS = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
CRISIS = "he's gonna kill me"


@pytest.fixture
async def limited(settings: Settings, fake_rasa: tuple[FakeRasa, str]) -> AsyncIterator[TestClient]:
    """The app with a flood limit of 3 messages a minute."""
    update = {"rasa_url": fake_rasa[1], "tandem_rate_limit_count": 3}
    async with TestClient(TestServer(create_app(settings.model_copy(update=update)))) as client:
        yield client


async def alerts(client: TestClient) -> list[dict]:
    response = await client.get("/api/alerts", headers=HEADERS)
    assert response.status == 200
    return await response.json()


async def flood(client: TestClient) -> None:
    for i in range(4):
        await say(client, f"msg {i}")


async def test_a_crisis_in_a_flood_alerts_staff_and_reaches_the_bot(
    limited: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    await flood(limited)
    assert fake.messages() == ["msg 0", "msg 1", "msg 2"]
    assert await say(limited, CRISIS) == fake.replies
    assert fake.messages()[-1] == CRISIS
    (alert,) = await alerts(limited)
    assert (alert["kind"], alert["status"]) == ("crisis", "open")
    assert alert["detail"] == "violence: crisis text during a flood (gateway)"
    assert CRISIS not in str(alert), "never her words"
    # More crisis texts in the same flood: each reaches the bot, one alert for staff.
    await say(limited, "i want to die")
    assert fake.messages()[-1] == "i want to die"
    assert len(await alerts(limited)) == 1
    # An ordinary text in the flood still waits.
    assert await say(limited, "ok") == []
    assert fake.messages()[-1] == "i want to die"


async def test_a_crisis_in_a_flood_while_the_bot_is_down_is_kept_for_it(
    limited: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    fake, _ = fake_rasa
    await flood(limited)
    fake.up = False
    reply = await say(limited, CRISIS)
    assert "1-800-799-7233" in reply[0], "the gateway's crisis reply"
    assert len(await alerts(limited)) == 1
    assert (await inbound_states(settings))[-1] == (CRISIS, "pending_replay")
    delivered: list[list[str]] = []

    async def deliver(client_id: str, texts: list[str], message_id: int) -> None:
        delivered.append(texts)

    limited.app[GATEWAY].replayer.deliver = deliver
    fake.up = True
    assert await limited.app[GATEWAY].replayer.replay_all() == 1
    assert fake.messages()[-1] == CRISIS and delivered == [fake.replies]


async def test_a_crisis_in_an_over_long_message_alerts_staff_and_reaches_the_bot(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    text = "blah " * 2000 + "and i want to die " + "blah " * 2000
    assert len(text) > 10 * MAX_BODY_CHARS
    assert await say(client, text) == fake.replies
    (seen,) = fake.messages()
    assert "i want to die" in seen and len(seen) <= MAX_BODY_CHARS, "the part with the crisis"
    (alert,) = await alerts(client)
    assert alert["detail"] == "suicide: crisis text in an over-long message (gateway)"


async def test_no_alert_for_an_ordinary_flood_or_over_long_message(
    limited: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    await say(limited, "blah " * 400)
    await flood(limited)
    assert await alerts(limited) == []
    assert len(fake.messages()) == 2
