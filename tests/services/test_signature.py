"""X-Twilio-Signature against Twilio's published vectors (shared/conformance)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.gateway.signature import is_valid_signature, sign

VECTORS = json.loads(
    (
        Path(__file__).resolve().parents[3] / "shared/conformance/twilio/signature_vectors.json"
    ).read_text()
)


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_conformance_vector(case: dict) -> None:
    token = case.get("auth_token", VECTORS["auth_token"])
    assert (
        is_valid_signature(token, case["url"], case["params"], case["signature"]) is case["valid"]
    )


def test_missing_signature_or_token_is_rejected() -> None:
    params = {"Body": "hi"}
    assert not is_valid_signature("token", "https://x.org/sms/inbound", params, None)
    assert not is_valid_signature(
        "", "https://x.org/sms/inbound", params, sign("", "https://x.org/sms/inbound", params)
    )


def test_sign_round_trips() -> None:
    params = {"From": "+14135550100", "Body": "necesito ayuda ñ"}
    url = "https://tandem.example.org/sms/inbound"
    assert is_valid_signature("secret", url, params, sign("secret", url, params))
    assert not is_valid_signature("secret", url + "?x=1", params, sign("secret", url, params))
