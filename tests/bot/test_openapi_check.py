"""The check that keeps the fake services API (tests/bot/fake_api.py) and the bot's calls to it
on services/openapi.yaml would catch a drift either way."""

from __future__ import annotations

from tests.bot.fake_api import details, details_in_spanish, service
from tests.bot.openapi_check import request_problems, response_problems

REFERRAL = {"client_id": "c_1", "service_id": "svc-2", "need": "moud", "created_by": "bot"}


def test_a_call_the_api_refuses_is_caught() -> None:
    assert request_problems("POST", "/api/referrals", {}, {}, REFERRAL) == []
    assert request_problems("POST", "/api/referrals", {}, {}, {**REFERRAL, "need": None})
    assert request_problems("POST", "/api/referrals", {}, {}, None)
    grant = "/api/consents/{consent_id}/grant"
    body = {"client_id": "c_1", "message_sid": "SM1"}
    assert request_problems("POST", grant, {"consent_id": "7"}, {}, body) == []
    assert request_problems("POST", grant, {"consent_id": "cons-7"}, {}, body)
    assert request_problems(
        "GET", "/api/services/{service_id}", {"service_id": "s"}, {"q": "x"}, None
    )
    assert request_problems("POST", "/api/places/search", {}, {}, {"q": "x"})
    details = "/api/services/{service_id}"
    for language in ("en", "es"):
        query = {"location_id": "l", "language": language}
        assert request_problems("GET", details, {"service_id": "s"}, query, None) == []
    assert request_problems("GET", details, {"service_id": "s"}, {"language": "fr"}, None)


def test_an_answer_the_api_would_not_give_is_caught() -> None:
    route = "/api/services/{service_id}"
    assert response_problems("GET", route, 200, details(1)) == []
    assert response_problems("GET", route, 200, details_in_spanish(details(1))) == []
    assert response_problems("GET", route, 200, {**details(1), "extra": 1})
    assert response_problems("GET", route, 404, {"error": "not_found", "message": "..."}) == []
    assert response_problems("GET", route, 404, {"error": "not_found"})
    hit = service(1)
    assert response_problems("POST", "/api/services/search", 200, {"results": [hit]})
