"""/api/* against the outside probe (issue 11): the service token only as `Bearer <token>`
(finding 8); odd path ids, huge offsets and deeply nested JSON are a 4xx, not a 500 (finding
7); and a 500 that still happens is logged with its traceback but without the request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.app import create_app
from services.logs import RedactingJsonFormatter
from services.settings import Settings
from tests.services.conftest import SERVICE_TOKEN, FakeRasa

DEEP_JSON = "[" * 30_000 + "]" * 30_000
DEEP_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000  # as deep as fits in 64 KB


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, formatted as `tandem serve` formats it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(RedactingJsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


@pytest.mark.parametrize(
    "authorization",
    [
        SERVICE_TOKEN,  # no scheme
        f"Token {SERVICE_TOKEN}",
        f"Basic {SERVICE_TOKEN}",
        f"Bearer{SERVICE_TOKEN}",
        f"bearer {SERVICE_TOKEN}",
        f"Bearer {SERVICE_TOKEN}x",
        f"Bearer {SERVICE_TOKEN[:-1]}",
        "Bearer ",
        "",
    ],
)
async def test_the_service_token_is_accepted_only_as_a_bearer_token(
    client: TestClient, authorization: str
) -> None:
    for path in ("/api/alerts", "/metrics"):
        response = await client.get(path, headers={"Authorization": authorization})
        assert response.status == 401, path


async def test_the_bearer_token_is_accepted(client: TestClient, api_headers: dict) -> None:
    assert (await client.get("/api/alerts", headers=api_headers)).status == 200
    assert (await client.get("/metrics", headers=api_headers)).status == 200


async def test_a_browser_page_cannot_call_the_api(client: TestClient, api_headers: dict) -> None:
    """A page on another origin (on this machine or anywhere) can send only "simple" requests:
    no Authorization header, so every /api call is refused; and Tandem answers no CORS
    preflight, so the browser never sends one with a token or a JSON body."""
    page = {"Origin": "http://127.0.0.1:3000"}
    simple = await client.post(
        "/api/clients/c_x/consents/withdraw",
        data='{"message_sid": null}',
        headers={**page, "Content-Type": "text/plain"},
    )
    assert simple.status == 401
    preflight = await client.options(
        "/api/alerts",
        headers={
            **page,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status >= 400
    answered = await client.get("/api/alerts", headers={**page, **api_headers})
    for response in (simple, preflight, answered):
        assert not any(h.lower().startswith("access-control-") for h in response.headers)


@pytest.mark.parametrize(
    "path",
    [
        "/api/referrals/%C2%B2",  # "²": str.isdigit() says yes, int() says no
        "/api/referrals/%D9%A3",  # Arabic-Indic 3
        "/api/referrals/%C2%B2/fhir",
        "/api/referrals/99999999999999999999999",
    ],
)
async def test_unicode_digit_ids_are_404(
    client: TestClient, api_headers: dict, path: str, caplog
) -> None:
    response = await client.get(path, headers=api_headers)
    assert response.status == 404
    assert (await response.json())["error"] == "unknown_referral"
    for consent_path in ("/api/consents/%C2%B2/grant", "/api/consents/%C2%B2/decline"):
        response = await client.post(
            consent_path, json={"client_id": "c_x", "message_sid": "SM1"}, headers=api_headers
        )
        assert response.status == 404
    assert not any(r.exc_info for r in caplog.records)


@pytest.mark.parametrize(
    "query",
    [
        f"offset={2**63}",
        f"offset={2**31}",
        f"offset={10**400}",
        "offset=%C2%B2",
        "offset=-1",
        "offset=1e3",
        f"limit={2**63}",
        f"limit=-{2**63}",
    ],
)
async def test_out_of_range_paging_is_400(
    client: TestClient, api_headers: dict, query: str, caplog
) -> None:
    response = await client.get(f"/api/referrals?{query}", headers=api_headers)
    assert response.status == 400
    body = await response.json()
    assert body["error"] == "invalid_parameter" and body["field"] in ("offset", "limit")
    assert not any(r.exc_info for r in caplog.records)


async def test_the_largest_offset_still_pages(client: TestClient, api_headers: dict) -> None:
    response = await client.get(f"/api/referrals?offset={2**31 - 1}", headers=api_headers)
    assert response.status == 200
    assert (await response.json())["referrals"] == []


@pytest.mark.parametrize("body", [DEEP_JSON, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/referrals",
        "/api/signals",
        "/api/alerts",
        "/api/consents/1/grant",
        "/api/clients/c_x/consents/withdraw",
    ],
)
async def test_json_nested_30000_deep_is_400(
    client: TestClient, api_headers: dict, path: str, body: str, caplog
) -> None:
    response = await client.post(
        path, data=body, headers={**api_headers, "Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["error"] == "invalid_json"
    assert not any(r.exc_info for r in caplog.records)


async def test_a_500_is_logged_with_its_traceback_but_not_the_request(
    settings: Settings, fake_rasa: tuple[FakeRasa, str], json_log: io.StringIO
) -> None:
    secret = "my ex lives at 12 Elm St, call him at +1 (413) 555-0166"

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError(f"could not handle {await request.text()}")

    app = create_app(settings.model_copy(update={"rasa_url": fake_rasa[1]}))
    app.router.add_post("/api/test/boom", boom)
    app.router.add_post("/sms/test/boom", boom)
    async with TestClient(TestServer(app)) as client:
        api = await client.post(
            "/api/test/boom?q=Elm+St",
            data=secret,
            headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
        )
        assert api.status == 500
        assert await api.json() == {"error": "internal", "message": "Something went wrong."}
        other = await client.post("/sms/test/boom", data=secret)
        assert other.status == 500
        assert "Elm" not in await other.text()
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    failures = [r for r in records if r["event"] == "unhandled_error"]
    assert [r["path"] for r in failures] == ["/api/test/boom", "/sms/test/boom"]
    for failure in failures:
        assert "Traceback" in failure["error"] and "RuntimeError" in failure["error"]
        assert "in boom" in failure["error"], "the frames are there"
    logged = json_log.getvalue()
    assert "Elm" not in logged and "0166" not in logged, "no request body or query"
    assert not any(r["logger"].startswith("aiohttp.server") for r in records), "logged once"
