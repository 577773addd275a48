"""Inbound webhook behaviour a carrier, a lawyer and an on-call engineer rely on: retries,
carrier keywords, opt-out, junk and floods, all through the real endpoint with signed requests."""

from __future__ import annotations

import asyncio
import string

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from services.app import create_app
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import Client, Message
from services.gateway.twiml import twiml_to_messages
from services.settings import Settings
from tests.services.conftest import FakeRasa
from tests.services.test_gateway import form, post_signed

PHONE = "+14135550130"


async def say(client: TestClient, text: str, phone: str = PHONE, **extra: str) -> list[str]:
    response = await post_signed(client, form(text, phone=phone, **extra))
    assert response.status == 200
    return twiml_to_messages(await response.text())


async def client_status(settings: Settings) -> str:
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session:
        status = await session.scalar(select(Client.status))
    await engine.dispose()
    return str(status)


async def count_inbound(settings: Settings) -> int:
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session:
        n = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "inbound")
        )
    await engine.dispose()
    return int(n or 0)


async def test_a_retried_message_sid_gets_one_turn_and_the_same_reply(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    fake, _ = fake_rasa
    fake.echo, fake.delay = True, 0.3
    params = form("i need help getting on subs", phone=PHONE)
    responses = await asyncio.gather(*(post_signed(client, params) for _ in range(5)))
    bodies = [twiml_to_messages(await r.text()) for r in responses]
    assert all(r.status == 200 for r in responses)
    assert bodies == [["got: i need help getting on subs"]] * 5
    assert fake.messages() == ["i need help getting on subs"], "exactly one bot turn"
    later = await post_signed(client, params)  # a retry long after
    assert twiml_to_messages(await later.text()) == ["got: i need help getting on subs"]
    assert await count_inbound(settings) == 1


async def test_idempotency_token_is_recorded(client: TestClient, settings: Settings) -> None:
    params = form("hi", phone=PHONE)
    from services.gateway.signature import sign
    from tests.services.conftest import AUTH_TOKEN
    from tests.services.test_gateway import PUBLIC_INBOUND

    await client.post(
        "/sms/inbound",
        data=params,
        headers={
            "X-Twilio-Signature": sign(AUTH_TOKEN, PUBLIC_INBOUND, params),
            "I-Twilio-Idempotency-Token": "tok-123",
        },
    )
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session:
        token = await session.scalar(select(Message.idempotency_token))
    await engine.dispose()
    assert token == "tok-123"


@pytest.mark.parametrize(
    "stop",
    [
        "STOP",
        "stop",
        " Stop. ",
        "STOPALL",
        "unsubscribe",
        "Cancel",
        "END",
        "quit!",
        "REVOKE",
        "optout",
        "stop texting me",
        "Please stop texting me",
        "leave me alone",
        "no more messages",
        "para de escribirme",
        "Para de escribirme!",
    ],
)
async def test_opt_out_sends_one_confirmation_and_then_nothing(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings, stop: str
) -> None:
    fake, _ = fake_rasa
    confirmation = await say(client, stop)
    assert len(confirmation) == 1 and "START" in confirmation[0]
    assert await client_status(settings) == "opted_out"
    assert await say(client, "hello?") == []
    assert await say(client, "STOP") == [], "exactly one confirmation"
    assert await say(client, "HELP") == []
    assert fake.received == [], "keywords and opted-out messages never reach the bot"


@pytest.mark.parametrize("start", ["START", "unstop", "Yes", "YES."])
async def test_opt_back_in(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings, start: str
) -> None:
    fake, _ = fake_rasa
    await say(client, "STOP")
    welcome = await say(client, start)
    assert len(welcome) == 1 and "STOP" in welcome[0]
    assert await client_status(settings) == "active"
    assert await say(client, "hi") == fake.replies


async def test_yes_is_an_answer_to_the_bot_when_she_is_not_opted_out(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    await say(client, "yes")
    assert fake.messages() == ["yes"]


@pytest.mark.parametrize("word", ["HELP", "help", "Info"])
async def test_help_names_program_stop_frequency_rates_and_support(
    client: TestClient, word: str
) -> None:
    (reply,) = await say(client, word)
    for needed in (
        "Tandem",
        "STOP",
        "Msg frequency varies",
        "Msg & data rates may apply",
        "case manager",
    ):
        assert needed in reply


async def test_an_opted_out_woman_in_crisis_still_gets_the_crisis_lines(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    await say(client, "STOP")
    assert "988" in " ".join(await say(client, "i want to die"))
    assert fake.received == []


@pytest.mark.parametrize("opt_out_type", ["STOP", "START", "HELP"])
async def test_twilio_advanced_opt_out_already_replied(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings, opt_out_type: str
) -> None:
    fake, _ = fake_rasa
    assert await say(client, opt_out_type.lower(), OptOutType=opt_out_type) == []
    expected = "opted_out" if opt_out_type == "STOP" else "active"
    assert await client_status(settings) == expected
    assert fake.received == []


async def test_media_only_and_empty_and_too_long(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    media = await say(client, "", NumMedia="1", MediaUrl0="https://api.twilio.com/x.jpg")
    assert len(media) == 1 and "text" in media[0]
    assert await say(client, "") == []
    assert await say(client, "   ") == []
    long = await say(client, "blah " * 400)
    assert len(long) == 1 and "shorter" in long[0]
    assert fake.received == []
    # A crisis in an over-long message reaches the bot (tests/services/test_crisis_guards.py).
    assert await say(client, "blah " * 400 + " i want to die") == fake.replies


async def test_a_flood_is_answered_once_kept_and_not_passed_on(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, rasa_url = fake_rasa
    limited = settings.model_copy(
        update={"rasa_url": rasa_url, "tandem_rate_limit_count": 3, "tandem_rate_limit_seconds": 60}
    )
    async with TestClient(TestServer(create_app(limited))) as client:
        answers = [await say(client, f"msg {i}") for i in range(6)]
        crisis = await say(client, "he's gonna kill me")
        other = await say(client, "hi", phone="+14135550131")
    # A crisis passes the flood guard (tests/services/test_crisis_guards.py).
    assert fake.messages() == ["msg 0", "msg 1", "msg 2", "he's gonna kill me", "hi"]
    assert [len(a) for a in answers[3:]] == [1, 0, 0]
    assert "minute" in answers[3][0]
    assert crisis == fake.replies, "a crisis is answered by the bot even when flooding"
    assert other == fake.replies, "another sender is not limited"
    assert await count_inbound(limited) == 8, "every message is kept"


async def test_bad_from_number_is_not_a_crash(client: TestClient) -> None:
    assert await say(client, "hi", phone="not-a-phone") == []


printable = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=2000)


@hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=printable,
    num_media=st.one_of(st.just("0"), st.text(string.printable, max_size=5)),
    extra=st.dictionaries(
        st.text(string.ascii_letters, min_size=1, max_size=12),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=50),
        max_size=5,
    ),
)
async def test_junk_never_gets_a_5xx(
    client: TestClient, body: str, num_media: str, extra: dict[str, str]
) -> None:
    params = {**extra, **form(body, phone=PHONE), "NumMedia": num_media}
    response = await post_signed(client, params)
    well_formed = num_media.isascii() and num_media.isdigit() and len(num_media) <= 2
    if "SmsSid" in extra:
        well_formed = False  # a second sid that differs from the MessageSid
    assert response.status == (200 if well_formed else 400)
    if well_formed:
        for reply in twiml_to_messages(await response.text()):
            assert reply


async def test_undecodable_bytes_are_refused_cleanly(client: TestClient) -> None:
    response = await client.post(
        "/sms/inbound",
        data=b"Body=\xff\xfe\xfa&From=%2B14135550130",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )
    assert response.status in (400, 403)


async def test_rejected_signatures_are_counted(client: TestClient, api_headers: dict) -> None:
    await client.post("/sms/inbound", data=form("hi"))
    metrics = await client.get("/metrics", headers=api_headers)
    assert 'tandem_sms_inbound_rejected_total{reason="bad_signature"}' in await metrics.text()
    assert (await client.get("/metrics")).status == 401


async def scrape(client: TestClient, headers: dict) -> dict[str, float]:
    text = await (await client.get("/metrics", headers=headers)).text()
    return dict(
        (line.rsplit(" ", 1)[0], float(line.rsplit(" ", 1)[1]))
        for line in text.splitlines()
        if line.startswith("tandem_")
    )


async def test_a_turn_is_timed_by_step_and_route_without_her_details(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], api_headers: dict
) -> None:
    fake, _ = fake_rasa
    fake.echo = True
    before = await scrape(client, api_headers)
    assert await say(client, "i need a ride to my appointment") == [
        "got: i need a ride to my appointment"
    ]
    after = await scrape(client, api_headers)
    counts = [f'tandem_sms_turn_step_seconds_count{{step="{s}"}}' for s in ("record", "decide")]
    counts += [f'tandem_sms_turn_step_seconds_count{{step="{s}"}}' for s in ("judge", "bot")]
    counts.append('tandem_sms_turn_step_seconds_count{step="reply"}')
    counts.append('tandem_http_request_seconds_count{route="/sms/inbound"}')
    for name in counts:
        assert after[name] - before.get(name, 0.0) == 1.0, name
    # Nothing of hers waited for the bot: no replay step (it runs only when something does).
    replay = 'tandem_sms_turn_step_seconds_count{step="replay"}'
    assert after.get(replay, 0.0) == before.get(replay, 0.0)
    assert not any("555" in name or "ride" in name or "c_" in name for name in after)
