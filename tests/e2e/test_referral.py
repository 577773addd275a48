"""Issue 5's closed loop, end to end through signed webhooks against the real stack: search,
pick a place, the consent text, YES -> the referral is `requested`; then "don't share my info"
-> the consent is withdrawn and the referral cancelled. The referral's state is read back with
the service token from GET /api/referrals (services/openapi.yaml).

Needs the services side of the referral contract (POST /api/referrals, consent grant and
withdraw, GET /api/referrals); it cannot pass on a stack without it.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from typing import Any

import pytest

from services.local_secrets import read_env_file
from sms_text.segments import count_segments
from tests.directory_truth import expected_nearest
from tests.e2e.conftest import Stack, tracker_events

pytestmark = pytest.mark.e2e

RESULT = re.compile(r"^(\d+)\) (.+?), ([A-Za-z .'-]+)\. Call (\(\d{3}\) \d{3}-\d{4})\. (.+)$")


def assert_sms_sized(replies: list[str]) -> None:
    assert replies, "the bot answered nothing"
    for reply in replies:
        assert count_segments(reply) <= 2, f"{count_segments(reply)} segments: {reply!r}"


def listed(replies: list[str]) -> list[str]:
    return [m.group(2) for m in map(RESULT.match, replies) if m]


def client_id_of(stack: Stack, phrase: str) -> str:
    """Her pseudonymous client id: the Rasa sender of the conversation with this phrase."""
    senders = {s for s, kind, event in tracker_events(stack.var_dir) if event.get("text") == phrase}
    assert len(senders) == 1, senders
    return senders.pop()


def api(stack: Stack, path: str, **params: str) -> Any:
    token = (
        stack.env.get("TANDEM_SERVICE_TOKEN")
        or read_env_file(stack.var_dir / "local.env")["TANDEM_SERVICE_TOKEN"]
    )
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    request = urllib.request.Request(
        f"{stack.url}{path}{query}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def referrals_of(stack: Stack, client_id: str) -> list[dict[str, Any]]:
    data = api(stack, "/api/referrals", client_id=client_id)
    if isinstance(data, list):
        return data
    for key in ("referrals", "results", "items"):
        if isinstance(data.get(key), list):
            return list(data[key])
    raise AssertionError(f"no list of referrals in {data!r}")


def status_of(thing: dict[str, Any]) -> str:
    status = thing.get("status")
    return str(status.get("code") if isinstance(status, dict) else status)


def test_search_pick_consent_yes_then_withdraw(stack: Stack) -> None:
    phone = "+14135550120"

    # First contact with a need and a place: the one-line intro, then the results.
    first = stack.sms("need suboxone near 01105 asap", phone)
    assert_sms_sized(first)
    assert "Tandem" in first[0] and "911" in first[0] and "STOP" in first[0], first
    expected = expected_nearest("moud_buprenorphine", "01105")
    assert listed(first) == expected[:3], first

    # Her pick: the consent text the services side wrote, then she says YES.
    consent = stack.sms("sign me up for 2", phone)
    assert_sms_sized(consent)
    text = " ".join(consent)
    assert "YES" in text and re.search(r"\bNO\b", text), consent
    assert re.search(r"STOP SHARING|cancel my referral", text, re.I), consent
    assert not listed(consent)

    done = stack.sms("YES", phone)
    assert_sms_sized(done)
    assert "CANCEL MY REFERRAL" in " ".join(done), done

    client_id = client_id_of(stack, "need suboxone near 01105 asap")
    (referral,) = referrals_of(stack, client_id)
    assert status_of(referral) == "requested", referral
    details = api(stack, f"/api/referrals/{referral['id']}")
    consent_record = details.get("consent") or (details.get("referral") or {}).get("consent")
    assert consent_record and status_of(consent_record) == "active", details

    # She takes it back: withdrawn at once, the referral cancelled with that reason.
    withdrawn = stack.sms("don't share my info", phone)
    assert_sms_sized(withdrawn)
    assert re.search(r"took back|canceled", " ".join(withdrawn), re.I), withdrawn

    (referral,) = referrals_of(stack, client_id)
    assert status_of(referral) == "cancelled", referral
    details = api(stack, f"/api/referrals/{referral['id']}")
    consent_record = details.get("consent") or (details.get("referral") or {}).get("consent")
    assert consent_record and status_of(consent_record) == "withdrawn", details
