"""The running stack against the outside probe (issue 11): no secret on any command line
(finding 4), the action server refuses strangers and browsers (finding 1), the databases are
private (finding 8), and the logs of the run carry no phone number in any format and no query
string (finding 3, logs)."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from services.local_secrets import read_env_file
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e


def call(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None
) -> int:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def command_lines() -> list[bytes]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            found.append((proc / "cmdline").read_bytes())
        except OSError:  # gone, or not ours to read
            continue
    return found


def test_no_secret_is_on_any_command_line(stack: Stack) -> None:
    secrets = read_env_file(stack.var_dir / "local.env")
    lines = command_lines()
    for name, value in secrets.items():
        assert not any(value.encode() in line for line in lines), f"{name} is in a command line"
    assert {"RASA_TOKEN", "ACTION_SERVER_TOKEN", "TANDEM_SERVICE_TOKEN"} <= set(secrets)
    assert any(b"bot.rasa_server" in line for line in lines)
    assert any(b"bot.action_server" in line for line in lines)


def test_the_action_server_refuses_strangers_and_browsers(stack: Stack) -> None:
    url = stack.env["ACTION_SERVER_URL"]
    call_body = json.dumps(
        {
            "next_action": "action_withdraw_consent",
            "sender_id": "c_someone",
            "tracker": {"sender_id": "c_someone", "slots": {}, "latest_message": {}, "events": []},
            "domain": {},
        }
    ).encode()
    assert call(url + "/health") == 200
    assert call(url + "/actions") == 401
    assert call(url + "/webhook", "POST", call_body, {"Content-Type": "application/json"}) == 401
    page = {"Content-Type": "text/plain", "Origin": "http://127.0.0.1:3000"}
    assert call(url + "/webhook", "POST", call_body, page) == 403
    token = read_env_file(stack.var_dir / "local.env")["ACTION_SERVER_TOKEN"]
    assert call(url + "/actions", headers={"Authorization": token}) == 401, "Bearer only"


def test_the_databases_are_private(stack: Stack) -> None:
    stack.sms("hi", "+14135550180")  # both databases have been written
    for name in ("tandem.db", "rasa_tracker.db", "local.env"):
        path = stack.var_dir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    for companion in stack.var_dir.glob("*.db-*"):
        assert stat.S_IMODE(companion.stat().st_mode) & 0o077 == 0, companion.name


def test_the_logs_carry_no_phone_and_no_query_string(stack: Stack) -> None:
    senders = ["+1 (413) 555-0181", "413.555.0182", "+1-413-555-0183"]
    for sender in senders:
        assert stack.sms("hi", sender)
    # A search makes the actions call /api/places/resolve and /api/services/search, her place
    # in the request body (it was once in the query string: near=...)
    stack.sms("i need help getting on suboxone", senders[0])
    assert stack.sms("01105", senders[0])
    stack.sms("you can call me at +1 413 555 0184 or %2B14135550185", senders[1])
    log = stack.log.read_text(errors="replace")
    assert "near=" not in log and "need=" not in log
    for digits in ("5550181", "5550182", "5550183", "5550184", "5550185"):
        assert digits not in log
    access = [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and '"http_request"' in line
    ]
    assert any(entry["path"] == "/api/services/search" for entry in access), "search logged"
    assert any(entry["path"] == "/api/places/resolve" for entry in access), "place logged"
    assert all("?" not in entry["path"] for entry in access)
