"""The fake Twilio server speaks Twilio's shapes: to raw HTTP, to the twilio library, and in
its signed status callbacks. Also `tandem fake-twilio` as a real process."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from twilio.base.exceptions import TwilioRestException

from services.cli import COMMANDS, build_parser
from services.gateway.fake_twilio import FAKE_TWILIO, create_fake_twilio_app
from services.gateway.fake_twilio_state import FakeTwilio
from services.gateway.signature import is_valid_signature
from services.gateway.twilio_client import make_twilio_client
from services.settings import REPO_ROOT, Settings
from tests.services.conftest import AUTH_TOKEN

ACCOUNT = "AC" + "0" * 32
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
TO, BLOCKED = "+14135550171", "+14135550172"
CALLBACK = "https://tandem.example.org/sms/status"


class Receiver:
    """Stands in for Tandem's /sms/status: records callbacks and whether they were signed."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bool]] = []

    async def handle(self, request: web.Request) -> web.Response:
        params = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        valid = is_valid_signature(
            AUTH_TOKEN, CALLBACK, params, request.headers.get("X-Twilio-Signature")
        )
        self.calls.append((params, valid))
        return web.Response(status=200 if valid else 403)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/sms/status", receiver.handle)
    async with TestServer(app) as server:
        yield receiver, str(server.make_url("")).rstrip("/")


@pytest.fixture
async def fake(receiver: tuple[Receiver, str]) -> AsyncIterator[tuple[FakeTwilio, str]]:
    app = create_fake_twilio_app(
        AUTH_TOKEN, opted_out={BLOCKED}, callback_delay=0.01, callback_base_url=receiver[1]
    )
    async with TestServer(app) as server:
        yield app[FAKE_TWILIO], str(server.make_url("")).rstrip("/")
        await app[FAKE_TWILIO].drain()


async def post(
    base: str, form: dict[str, str], auth: tuple[str, str] | None = (ACCOUNT, AUTH_TOKEN)
) -> tuple[int, dict]:
    headers = {"Authorization": aiohttp.encode_basic_auth(*auth)} if auth else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(base + MESSAGES, data=form, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_a_send_answers_201_with_twilios_message_resource(
    fake: tuple[FakeTwilio, str],
) -> None:
    _, base = fake
    status, body = await post(
        base, {"To": TO, "From": "+14135550199", "Body": "Hi €", "StatusCallback": CALLBACK}
    )
    assert status == 201
    assert re.fullmatch(r"SM[0-9a-f]{32}", body["sid"])
    assert body["account_sid"] == ACCOUNT
    assert (body["to"], body["from"], body["body"]) == (TO, "+14135550199", "Hi €")
    assert (body["status"], body["direction"]) == ("queued", "outbound-api")
    assert body["num_segments"] == "1" and body["num_media"] == "0"
    assert body["error_code"] is None and body["error_message"] is None
    assert body["api_version"] == "2010-04-01"
    assert body["uri"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{body['sid']}.json"
    assert parsedate_to_datetime(body["date_created"]).tzinfo is not None


async def test_a_messaging_service_send_is_accepted_without_from(
    fake: tuple[FakeTwilio, str],
) -> None:
    _, base = fake
    status, body = await post(base, {"To": TO, "MessagingServiceSid": "MG" + "2" * 32, "Body": "x"})
    assert status == 201
    assert (body["status"], body["from"], body["messaging_service_sid"]) == (
        "accepted",
        None,
        "MG" + "2" * 32,
    )


@pytest.mark.parametrize(
    ("auth", "account"),
    [
        (None, ACCOUNT),
        ((ACCOUNT, "wrong-token"), ACCOUNT),
        (("AC" + "9" * 32, AUTH_TOKEN), ACCOUNT),  # credentials for another account
    ],
)
async def test_bad_credentials_are_401_with_twilios_error_shape(
    fake: tuple[FakeTwilio, str], auth: tuple[str, str] | None, account: str
) -> None:
    fake_twilio, base = fake
    status, body = await post(base, {"To": TO, "From": "+14135550199", "Body": "x"}, auth=auth)
    assert status == 401
    assert body["code"] == 20003 and body["status"] == 401
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20003"
    assert fake_twilio.messages == []


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"To": BLOCKED, "From": "+14135550199", "Body": "x"}, 21610),
        ({"From": "+14135550199", "Body": "x"}, 21604),
        ({"To": TO, "From": "+14135550199"}, 21602),
        ({"To": TO, "Body": "x"}, 21603),
    ],
)
async def test_twilio_errors_for_bad_sends(
    fake: tuple[FakeTwilio, str], form: dict[str, str], code: int
) -> None:
    fake_twilio, base = fake
    status, body = await post(base, form)
    assert status == 400
    assert body["code"] == code and body["status"] == 400
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    if code == 21610:
        assert body["message"] == "Attempt to send to unsubscribed recipient"
    assert fake_twilio.messages == [] and fake_twilio.received[0].error_code == code


async def test_the_twilio_library_talks_to_the_fake(
    fake: tuple[FakeTwilio, str], settings: Settings
) -> None:
    _, base = fake
    client = make_twilio_client(settings.model_copy(update={"twilio_api_base_url": base}))
    try:
        created = await client.messages.create_async(to=TO, from_="+14135550199", body="hello")
        with pytest.raises(TwilioRestException) as blocked:
            await client.messages.create_async(to=BLOCKED, from_="+14135550199", body="hello")
    finally:
        await client.http_client.close()  # type: ignore[attr-defined]
    assert created.sid.startswith("SM") and created.status == "queued"
    assert created.num_segments == "1" and created.date_created is not None
    assert (blocked.value.status, blocked.value.code) == (400, 21610)


async def test_status_callbacks_are_signed_like_twilio_and_come_in_order(
    fake: tuple[FakeTwilio, str], receiver: tuple[Receiver, str]
) -> None:
    fake_twilio, base = fake
    _, body = await post(
        base, {"To": TO, "From": "+14135550199", "Body": "x", "StatusCallback": CALLBACK}
    )
    await fake_twilio.drain()
    calls = receiver[0].calls
    assert [(p["MessageStatus"], valid) for p, valid in calls] == [
        ("sent", True),
        ("delivered", True),
    ]
    params = calls[0][0]
    assert params["MessageSid"] == params["SmsSid"] == body["sid"]
    assert params["SmsStatus"] == "sent" and params["ApiVersion"] == "2010-04-01"
    assert (params["AccountSid"], params["To"], params["From"]) == (ACCOUNT, TO, "+14135550199")
    assert "ErrorCode" not in params
    assert [c["status"] for c in fake_twilio.find(body["sid"]).callbacks] == ["sent", "delivered"]


async def test_fire_status_sends_any_status_with_an_error_code(
    fake: tuple[FakeTwilio, str], receiver: tuple[Receiver, str]
) -> None:
    fake_twilio, base = fake
    fake_twilio.auto_callbacks = False
    _, body = await post(
        base, {"To": TO, "From": "+14135550199", "Body": "x", "StatusCallback": CALLBACK}
    )
    assert await fake_twilio.fire_status(body["sid"], "undelivered", error_code=21610) == 200
    [(params, valid)] = receiver[0].calls
    assert valid and params["MessageStatus"] == "undelivered" and params["ErrorCode"] == "21610"


async def test_the_demo_endpoints_list_and_fire(
    fake: tuple[FakeTwilio, str], receiver: tuple[Receiver, str]
) -> None:
    fake_twilio, base = fake
    fake_twilio.auto_callbacks = False
    _, body = await post(
        base, {"To": TO, "From": "+14135550199", "Body": "hello", "StatusCallback": CALLBACK}
    )
    await post(base, {"To": BLOCKED, "From": "+14135550199", "Body": "x"})
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/fake/messages") as response:
            listed = await response.json()
        async with http.post(
            base + "/fake/status", data={"MessageSid": body["sid"], "MessageStatus": "failed"}
        ) as response:
            fired = await response.json()
        async with http.post(
            base + "/fake/status", data={"MessageSid": "SMnope", "MessageStatus": "sent"}
        ) as response:
            assert response.status == 404
    assert [(m["to"], m["http_status"], m["error_code"]) for m in listed] == [
        (TO, 201, None),
        (BLOCKED, 400, 21610),
    ]
    assert listed[0]["sid"] == body["sid"] and listed[0]["body"] == "hello"
    assert fired == {"http_status": 200}
    assert receiver[0].calls[-1][0]["MessageStatus"] == "failed"


def test_the_cli_knows_fake_twilio() -> None:
    argv = "fake-twilio --port 9999 --opted-out +14135550100 --opted-out 4135550101"
    args = build_parser().parse_args(argv.split())
    assert (args.host, args.port) == ("127.0.0.1", 9999)
    assert args.opted_out == ["+14135550100", "4135550101"]
    assert COMMANDS["fake-twilio"].__name__ == "cmd_fake_twilio"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_tandem_fake_twilio_runs_and_refuses_opted_out_numbers(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TANDEM_VAR_DIR": str(tmp_path),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PYTHONPATH": str(REPO_ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "fake-twilio",
        "--port",
        str(port),
        "--opted-out",
        "(413) 555-0172",
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        first = await asyncio.wait_for(process.stdout.readline(), 20)
        assert f"TWILIO_API_BASE_URL=http://127.0.0.1:{port}" in first.decode()
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # the banner prints just before the socket opens
            try:
                status, body = await post(base, {"To": BLOCKED, "From": "+1", "Body": "x"})
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
        assert (status, body["code"]) == (400, 21610)
        status, _ = await post(base, {"To": TO, "From": "+14135550199", "Body": "x"})
        assert status == 201
    finally:
        process.terminate()
        await process.wait()
