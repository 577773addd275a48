"""Issue 14's loop closed end to end on the real stack: she texts (signed SMS), picks a place,
consents, the referral is `requested`; the follow-up scheduled two days later ("were you able
to reach them?") goes out through the fake Twilio, reaches her conversation in Rasa as
EXTERNAL_check_in, and her "no, they never called me back" gets an answer that fits. With
discreet texts on, the stand-in goes out instead, her "1" gets the real question.

Time: the follow-up is due two days after her YES. The test makes it due by moving that one
check-in's due_at to a minute ago in the stack's database (nothing else changes), then polls
for the services' worker round (TANDEM_WORKER_INTERVAL_SECONDS=1, running_stack_with_twilio).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.local_secrets import read_env_file
from tests.e2e.conftest import TwilioStack, running_stack_with_twilio, tracker_events
from tests.e2e.test_referral import api, client_id_of, referrals_of, status_of

pytestmark = pytest.mark.e2e
FOLLOW_UP = "referral_follow_up"
# SQLAlchemy's SQLite DateTime format, as the stack stores due_at (UTC).
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwilioStack]:
    with running_stack_with_twilio(tmp_path_factory.mktemp("follow_up")) as running:
        yield running


def wait_for(what: str, found: Callable[[], Any], timeout: float = 60) -> Any:
    """Poll until `found()` gives something (the worker runs every second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def put(stack: TwilioStack, path: str, body: dict[str, Any]) -> Any:
    token = read_env_file(stack.var_dir / "local.env")["TANDEM_SERVICE_TOKEN"]
    request = urllib.request.Request(
        f"{stack.url}{path}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def referred(stack: TwilioStack, phone: str, first: str) -> str:
    """She finds a place, picks it and says YES: a `requested` referral. Her client id."""
    assert stack.sms(first, phone)
    assert "YES" in " ".join(stack.sms("sign me up for 1", phone))
    assert "CANCEL MY REFERRAL" in " ".join(stack.sms("YES", phone))
    client_id = client_id_of(stack, first)
    (referral,) = referrals_of(stack, client_id)
    assert status_of(referral) == "requested", referral
    return client_id


def make_follow_up_due(stack: TwilioStack, client_id: str) -> None:
    """The follow-up is scheduled two days out; move it (that row only) to a minute ago."""
    schedule = api(stack, f"/api/clients/{client_id}/check-ins")["scheduled"]
    (follow_up,) = [c for c in schedule if c["kind"] == FOLLOW_UP]
    due = datetime.fromisoformat(follow_up["due_at"])
    assert timedelta(days=2) - timedelta(minutes=5) < due - datetime.now(UTC) <= timedelta(days=2)
    with sqlite3.connect(stack.var_dir / "tandem.db", timeout=10) as db:
        (stored,) = db.execute("SELECT due_at FROM check_ins WHERE id = ?", (follow_up["id"],))
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", stored[0]), stored
        now = (datetime.now(UTC) - timedelta(minutes=1)).strftime(SQLITE_TIME)
        db.execute("UPDATE check_ins SET due_at = ? WHERE id = ?", (now, follow_up["id"]))


def texts_to(stack: TwilioStack, phone: str) -> list[str]:
    return [m["body"] for m in stack.texts_sent() if m["to"] == phone]


def told_the_bot(stack: TwilioStack, client_id: str) -> list[dict[str, Any]]:
    """The EXTERNAL_check_in events in her conversation: the entities Rasa got."""
    return [
        {e["entity"]: e["value"] for e in event["parse_data"]["entities"]}
        for sender, kind, event in tracker_events(stack.var_dir)
        if sender == client_id
        and kind == "user"
        and event.get("parse_data", {}).get("intent", {}).get("name") == "EXTERNAL_check_in"
    ]


def test_the_referral_follow_up_goes_out_and_her_answer_gets_a_fitting_reply(
    stack: TwilioStack,
) -> None:
    phone = "+14135550161"
    client_id = referred(stack, phone, "need suboxone near 01105")
    make_follow_up_due(stack, client_id)

    (sent,) = wait_for("the follow-up through the fake Twilio", lambda: texts_to(stack, phone))
    assert sent == (
        "Hi, it's Tandem. Checking in about your referral: were you able to reach them? "
        "If something got in the way, tell me and I can help."
    )
    told = wait_for("EXTERNAL_check_in in Rasa", lambda: told_the_bot(stack, client_id))
    assert told == [{"check_in_kind": FOLLOW_UP, "discreet": "false"}]
    assert not [
        c
        for c in api(stack, f"/api/clients/{client_id}/check-ins")["scheduled"]
        if c["kind"] == FOLLOW_UP
    ], "sent once, nothing of it left pending"

    (reply,) = stack.sms("no, they never called me back", phone)
    assert reply.startswith("I'm sorry they haven't gotten back to you."), reply
    assert "case manager" in reply and "another place" in reply
    # Her "yes" takes the offer: a case manager is asked to reach out.
    taken = " ".join(stack.sms("yes", phone))
    assert "have a case manager reach out to you" in taken, taken
    barriers = api(stack, f"/api/clients/{client_id}/signals", type="barrier_reported")
    assert [s["value"] for s in barriers] == ["no_callback"]


def test_discreet_the_stand_in_goes_out_and_her_1_gets_the_real_question(
    stack: TwilioStack,
) -> None:
    phone = "+14135550162"
    client_id = referred(stack, phone, "need suboxone near 01105 today")
    put(stack, f"/api/clients/{client_id}/contact-preferences", {"discreet": True})
    make_follow_up_due(stack, client_id)

    (sent,) = wait_for("the stand-in through the fake Twilio", lambda: texts_to(stack, phone))
    assert sent == "Hi, it's T. Reply 1 if it's a good time to talk."
    told = wait_for("EXTERNAL_check_in in Rasa", lambda: told_the_bot(stack, client_id))
    assert told == [{"check_in_kind": FOLLOW_UP, "discreet": "true"}]

    (question,) = stack.sms("1", phone)
    assert "were you able to reach them?" in question, question
