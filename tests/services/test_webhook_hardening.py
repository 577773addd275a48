"""Both Twilio webhooks against the outside probe (issue 11): the re-split replay (finding 6) and
malformed requests (finding 7) get a 4xx with a clear reason, store nothing and log no
traceback; property tests throw arbitrary bodies and headers at them and never see a 5xx."""

from __future__ import annotations

import logging
import secrets
import string

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from services.gateway.signature import is_valid_signature, sign
from services.settings import Settings
from tests.services.conftest import AUTH_TOKEN, FakeRasa
from tests.services.test_gateway import PUBLIC_INBOUND, form, post_signed
from tests.services.test_gateway_inbound import count_inbound
from tests.services.test_status_callback import callback

PUBLIC_STATUS = "https://tandem.example.org/sms/status"
FORM = "application/x-www-form-urlencoded"
PROPERTY_SETTINGS = hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def status_form(sid: str, status: str = "delivered", **extra: str) -> dict[str, str]:
    return callback(sid, status, **extra)


async def post_status(client: TestClient, params: dict[str, str]):
    return await client.post(
        "/sms/status",
        data=params,
        headers={"X-Twilio-Signature": sign(AUTH_TOKEN, PUBLIC_STATUS, params)},
    )


def no_traceback_logged(caplog: pytest.LogCaptureFixture) -> bool:
    return not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text


# Finding 6: the re-split replay.


async def test_a_re_split_replay_keeps_the_signature_but_is_refused(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    fake, _ = fake_rasa
    captured = form("i need help getting on subs")
    signature = sign(AUTH_TOKEN, PUBLIC_INBOUND, captured)
    assert (await post_signed(client, captured)).status == 200
    # Twilio signs URL + key1 value1 key2 value2 ...: NumMedia's "NumMedia0" moves into the sid.
    replay = {k: v for k, v in captured.items() if k != "NumMedia"}
    replay["MessageSid"] = captured["MessageSid"] + "NumMedia" + captured["NumMedia"]
    assert is_valid_signature(AUTH_TOKEN, PUBLIC_INBOUND, replay, signature), "attack premise"
    response = await client.post(
        "/sms/inbound", data=replay, headers={"X-Twilio-Signature": signature}
    )
    assert response.status == 400
    assert "MessageSid" in await response.text()
    assert fake.messages() == ["i need help getting on subs"], "the bot saw it once"
    assert await count_inbound(settings) == 1


@pytest.mark.parametrize(
    "sids",
    [
        {"MessageSid": "SM123"},
        {"MessageSid": new_sid() + "0"},
        {"MessageSid": new_sid()[:-1]},
        {"MessageSid": "XX" + secrets.token_hex(16)},
        {"MessageSid": "SM" + "g" * 32},
        {"MessageSid": "SM" + "\u0661" * 32},  # Arabic-Indic digits
        {"MessageSid": new_sid() + "\n"},
        {"MessageSid": ""},
        {"MessageSid": new_sid(), "SmsSid": new_sid()},  # two different messages
        {"SmsSid": "SM-nope"},
        {},
    ],
    ids=lambda sids: repr(sids)[:40],
)
async def test_sids_must_have_twilios_format(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], sids: dict[str, str]
) -> None:
    params = {k: v for k, v in form("hi").items() if k != "MessageSid"} | sids
    response = await post_signed(client, params)
    assert response.status == 400
    assert fake_rasa[0].received == []
    status = {k: v for k, v in status_form("x").items() if k not in ("MessageSid", "SmsSid")}
    assert (await post_status(client, status | sids)).status == 400


@pytest.mark.parametrize("sid", [new_sid("SM"), new_sid("MM"), "SM" + "AB01" * 8])
async def test_well_formed_sids_pass(client: TestClient, sid: str) -> None:
    assert (await post_signed(client, form("hi", MessageSid=sid, SmsSid=sid))).status == 200
    assert (await post_status(client, status_form(sid))).status == 200


@pytest.mark.parametrize(
    "num_media", [None, "", "abc", "-1", "+1", " 1", "1.0", "\u00b2", "100", str(2**63)]
)
async def test_num_media_must_be_present_and_small(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], num_media: str | None, caplog
) -> None:
    params = {k: v for k, v in form("hi").items() if k != "NumMedia"}
    if num_media is not None:
        params["NumMedia"] = num_media
    response = await post_signed(client, params)
    assert response.status == 400
    assert "NumMedia" in await response.text()
    assert fake_rasa[0].received == []
    assert no_traceback_logged(caplog)


async def test_num_media_up_to_ten_is_a_message(client: TestClient) -> None:
    assert (await post_signed(client, form("", NumMedia="10"))).status == 200


# Finding 7: malformed requests, before the signature check.

MALFORMED = [
    ("invalid utf-8", b"Body=\xff\xfe\xfa&From=%2B14135550130", FORM, 400),
    ("unknown charset", b"Body=hi", FORM + "; charset=x-nope", 415),
    ("another charset", b"Body=hi", FORM + "; charset=utf-16", 415),
    (
        "broken multipart",
        b'--xx\r\nContent-Disposition: form-data; name="a"\r\n\r\nv',
        "multipart/form-data; boundary=xx",
        415,
    ),
    ("multipart without boundary", b"abc", "multipart/form-data", 415),
    ("json", b'{"Body": "hi"}', "application/json", 415),
    ("no content type", b"Body=hi", "", 415),
]


@pytest.mark.parametrize("path", ["/sms/inbound", "/sms/status"])
@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
async def test_malformed_requests_are_4xx_without_a_traceback(
    client: TestClient,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: bytes,
    content_type: str,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = {"X-Twilio-Signature": "x"}
    if content_type:
        headers["Content-Type"] = content_type
    response = await client.post(path, data=body, headers=headers)
    assert response.status == status
    assert await response.text()  # a reason, in words
    assert no_traceback_logged(caplog)
    assert "5550130" not in caplog.text
    assert await count_inbound(settings) == 0


# Property tests: no 5xx, whatever arrives.

HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            FORM,
            FORM + "; charset=utf-8",
            FORM + "; charset=latin-1",
            FORM + "; charset=nope",
            "multipart/form-data; boundary=xx",
            "multipart/form-data",
            "text/plain",
            "application/json",
        ]
    ),
    HEADER_TEXT,
)


@PROPERTY_SETTINGS
@given(
    path=st.sampled_from(["/sms/inbound", "/sms/status"]),
    body=st.binary(max_size=2000),
    content_type=CONTENT_TYPES,
    extra=st.dictionaries(
        st.sampled_from(["X-Twilio-Signature", "I-Twilio-Idempotency-Token", "Origin", "Cookie"]),
        HEADER_TEXT,
        max_size=3,
    ),
)
async def test_any_body_and_headers_never_get_a_5xx(
    client: TestClient, path: str, body: bytes, content_type: str, extra: dict[str, str]
) -> None:
    response = await client.post(path, data=body, headers={"Content-Type": content_type, **extra})
    assert response.status < 500


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


@PROPERTY_SETTINGS
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "ErrorCode", "To", "From"]
        )
        | st.text(string.ascii_letters, min_size=1, max_size=12),
        TEXT | st.integers().map(str) | st.builds(new_sid),
        max_size=8,
    )
)
async def test_any_signed_status_callback_is_200_or_400(
    client: TestClient, fields: dict[str, str]
) -> None:
    response = await post_status(client, fields)
    assert response.status in (200, 400)


@PROPERTY_SETTINGS
@given(
    fields=st.dictionaries(
        st.sampled_from(["MessageSid", "SmsSid", "NumMedia", "From", "Body", "OptOutType"])
        | st.text(string.ascii_letters, min_size=1, max_size=12),
        TEXT | st.integers().map(str) | st.builds(new_sid),
        max_size=8,
    )
)
async def test_any_signed_inbound_form_is_200_or_400(
    client: TestClient, fields: dict[str, str]
) -> None:
    response = await post_signed(client, fields)
    assert response.status in (200, 400)
