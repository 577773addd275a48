"""GET /api/openapi.json: a valid OpenAPI 3.1 document that lists exactly the /api routes the
app serves, and whose schemas match real responses (every /api response in these tests is
also checked by the middleware conftest.py installs)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from services.app_keys import OPENAPI
from tests.services.openapi_check import OpenApiChecker
from tests.services.referral_support import (
    BUPRENORPHINE,
    add_woman,
    inbound,
    offer,
    offer_and_grant,
)

METHODS = {"get", "post", "patch", "put", "delete"}


def served_operations(client: TestClient) -> set[tuple[str, str]]:
    return {
        (route.method, route.resource.canonical)
        for route in client.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method in {m.upper() for m in METHODS}
    }


def documented_operations(document: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


async def test_the_document_is_served_without_a_token_and_is_valid_openapi(
    client: TestClient,
) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert document["openapi"] == "3.1.0"
    validate(document)


async def test_every_api_route_is_documented_and_nothing_else(client: TestClient) -> None:
    document = client.app[OPENAPI]
    served, documented = served_operations(client), documented_operations(document)
    assert served - documented == set(), "routes missing from services/openapi.yaml"
    assert documented - served == set(), "documented operations the app does not serve"
    assert ("POST", "/api/referrals") in served


async def test_the_checker_catches_a_response_that_differs_from_the_document(
    client: TestClient,
) -> None:
    checker = OpenApiChecker(client.app[OPENAPI])
    good = b'{"error": "unknown_referral", "message": "No referral has this id."}'
    detail = "/api/referrals/{referral_id}"
    assert checker.problems("GET", detail, 404, "application/json", good) == []
    extra = b'{"total": 0, "limit": 1, "offset": 0, "referrals": [], "surprise": 1}'
    assert checker.problems("GET", "/api/referrals", 200, "application/json", extra)
    wrong = b'{"total": "0", "limit": 1, "offset": 0, "referrals": []}'
    assert checker.problems("GET", "/api/referrals", 200, "application/json", wrong)
    assert checker.problems("GET", "/api/nowhere", 200, "application/json", b"{}")


async def test_every_documented_operation_answers_as_documented(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """One real call per operation; the checker validates each response against its schema."""
    checker = OpenApiChecker(client.app[OPENAPI])
    woman = await add_woman(client, name="Jess")
    granted = await offer_and_grant(client, api_headers, woman)
    referral_id = granted["referral"]["id"]
    declined = await offer(client, api_headers, woman)
    later = await offer(client, api_headers, woman)
    r, c = "/api/referrals/{referral_id}", "/api/consents/{consent_id}"
    calls = [
        ("GET", "/api/openapi.json", {}, None),
        ("POST", "/api/places/resolve", {}, {"q": "holyoke"}),
        ("POST", "/api/services/search", {}, {"need": "moud", "near": "01105"}),
        ("GET", "/api/services/{service_id}", {"service_id": BUPRENORPHINE}, None),
        ("GET", "/api/clients/{client_id}", {"client_id": woman}, None),
        ("PATCH", "/api/clients/{client_id}", {"client_id": woman}, {"stage": "pregnant"}),
        ("POST", "/api/signals", {}, {"client_id": woman, "type": "craving", "value": 3}),
        ("GET", "/api/clients/{client_id}/signals", {"client_id": woman}, None),
        ("GET", "/api/clients/{client_id}/engagement", {"client_id": woman}, None),
        (
            "PUT",
            "/api/clients/{client_id}/checkin-cadence",
            {"client_id": woman},
            {"cadence": "weekly"},
        ),
        ("GET", "/api/clients/{client_id}/check-ins", {"client_id": woman}, None),
        (
            "PUT",
            "/api/clients/{client_id}/contact-preferences",
            {"client_id": woman},
            {"quiet_hours": "17:00-08:00", "discreet": True, "changed_by": "bot"},
        ),
        ("GET", "/api/clients/{client_id}/contact-preferences", {"client_id": woman}, None),
        ("POST", "/api/alerts", {}, {"client_id": woman, "kind": "human_requested"}),
        ("GET", "/api/alerts", {}, None),
        ("GET", "/api/referrals", {}, None),
        ("GET", r, {"referral_id": referral_id}, None),
        ("GET", r + "/fhir", {"referral_id": referral_id}, None),
        ("POST", r + "/status", {"referral_id": referral_id}, {"to": "accepted", "actor": "bot"}),
        (
            "POST",
            "/api/referrals",
            {},
            {"client_id": woman, "service_id": BUPRENORPHINE, "need": "moud", "created_by": "bot"},
        ),
        (
            "POST",
            c + "/grant",
            {"consent_id": later["consent"]["id"]},
            {"client_id": woman, "message_sid": await inbound(client, woman)},
        ),
        ("POST", c + "/decline", {"consent_id": declined["consent"]["id"]}, {"client_id": woman}),
        ("GET", "/api/clients/{client_id}/consents", {"client_id": woman}, None),
        ("POST", "/api/clients/{client_id}/consents/withdraw", {"client_id": woman}, {}),
        ("GET", r + "/fhir", {"referral_id": referral_id}, None),  # refused now: an error
    ]
    for method, path, values, body in calls:
        headers = {} if path == "/api/openapi.json" else api_headers
        response = await client.request(
            method,
            path.format(**values),
            json=body,
            headers=headers,
        )
        assert response.status < 500, path
        payload = await response.read()
        assert checker.problems(method, path, response.status, response.content_type, payload) == []
        checker.checked.add((method, path))
    assert checker.checked == documented_operations(client.app[OPENAPI])
    refused = await client.get(f"/api/referrals/{referral_id}/fhir", headers=api_headers)
    assert (await refused.json())["error"] == "no_active_consent"
