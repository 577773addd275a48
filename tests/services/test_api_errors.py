"""Domain errors are mapped to HTTP once (services/web.py): every endpoint answers the same
error with the same status and JSON shape."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from services.web import DOMAIN_ERRORS, HttpError, http_error

NOBODY = "c_nobody"
UNKNOWN_CLIENT = {
    "error": "unknown_client",
    "message": "No client has this id.",
    "field": "client_id",
}
REFERRAL = {"service_id": "f23f5886-c77a-554c-a6f2-28d518abab0a", "need": "moud_buprenorphine"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/api/clients/{NOBODY}", None),
        ("PATCH", f"/api/clients/{NOBODY}", {"stage": "pregnant"}),
        ("POST", "/api/signals", {"client_id": NOBODY, "type": "craving"}),
        ("GET", f"/api/clients/{NOBODY}/signals", None),
        ("POST", "/api/alerts", {"client_id": NOBODY, "kind": "crisis"}),
        ("POST", "/api/referrals", {"client_id": NOBODY, "created_by": "bot", **REFERRAL}),
        ("GET", f"/api/referrals?client_id={NOBODY}", None),
        ("GET", f"/api/clients/{NOBODY}/consents", None),
        ("POST", f"/api/clients/{NOBODY}/consents/withdraw", {}),
    ],
)
async def test_an_unknown_client_is_one_404_everywhere(
    client: TestClient, api_headers: dict[str, str], method: str, path: str, body: dict | None
) -> None:
    response = await client.request(method, path, json=body, headers=api_headers)
    assert response.status == 404
    assert await response.json() == UNKNOWN_CLIENT


def test_an_error_is_answered_by_its_closest_registered_class() -> None:
    class Narrower(next(iter(DOMAIN_ERRORS))):  # type: ignore[misc]
        pass

    assert http_error(Narrower("x")) is next(iter(DOMAIN_ERRORS.values()))
    assert http_error(LookupError("not a domain error")) is None


def test_an_answer_formats_its_message_with_the_error() -> None:
    answer = HttpError(400, "unknown_need", "need", "Unknown need: {error}.")
    assert answer.body(ValueError("unicorns {x}")) == {
        "error": "unknown_need",
        "message": "Unknown need: unicorns {x}.",
        "field": "need",
    }
