"""X-Twilio-Signature validation with twilio's own RequestValidator.

Twilio signs the public URL it called (TANDEM_PUBLIC_URL + path + query), which a proxy in
front of Tandem may change, so the URL is rebuilt from settings rather than from the request.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from twilio.request_validator import RequestValidator


def signed_url(public_url: str, path_qs: str) -> str:
    return public_url.rstrip("/") + path_qs


def is_valid_signature(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    if not auth_token or not signature:
        return False
    return RequestValidator(auth_token).validate(url, dict(params), signature)


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio would send (used by `tandem sms` and the fake Twilio)."""
    return RequestValidator(auth_token).compute_signature(url, dict(params))


INBOUND_PATH = "/sms/inbound"


def signed_inbound(
    *, auth_token: str, public_url: str, account_sid: str, to: str, sender: str, text: str
) -> tuple[dict[str, str], str]:
    """The form and X-Twilio-Signature of an inbound SMS webhook, as Twilio sends them (for
    `tandem sms` and the benchmarks: the way to talk to a running stack without a phone)."""
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": account_sid,
        "From": sender,
        "To": to,
        "Body": text,
        "NumMedia": "0",
    }
    return params, sign(auth_token, signed_url(public_url, INBOUND_PATH), params)
