"""The action server answers only the Rasa server (issue 11, finding 1): the real launcher
(bot/action_server.py) in a process of its own, called as the probe called it, and as Rasa
calls it with the header bot/endpoints.yml configures."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ports import closed_port_url, free_port

REPO = Path(__file__).resolve().parents[2]
TOKEN = "action-server-test-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
ACTION_CALL = {
    "next_action": "action_request_human",
    "sender_id": "c_someone",
    "tracker": {"sender_id": "c_someone", "slots": {}, "latest_message": {}, "events": []},
    "domain": {},
    "version": "3.6.21",
}


def call(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None
) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def launch(port: int, token: str | None, api_url: str | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SANIC_HOST": "127.0.0.1",
        "TANDEM_API_URL": api_url or closed_port_url(),
        "TANDEM_SERVICE_TOKEN": "service-token-0123456789",
    }
    env.pop("ACTION_SERVER_TOKEN", None)
    if token is not None:
        env["ACTION_SERVER_TOKEN"] = token
    return subprocess.Popen(
        [sys.executable, "-m", "bot.action_server", "--actions", "actions", "-p", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    process = launch(port, TOKEN)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if call(url + "/health")[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("action server did not start:\n" + process.stdout.read().decode())
        time.sleep(0.3)
    yield url
    process.terminate()
    process.wait(timeout=20)


def test_health_is_open(server: str) -> None:
    assert call(server + "/health") == (200, '{"status":"ok"}')


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": "Bearer " + TOKEN[:-1]},
        {"Authorization": f"Basic {TOKEN}"},
        {"X-Tandem-Token": TOKEN},
    ],
    ids=["none", "no scheme", "longer", "shorter", "basic", "other header"],
)
def test_every_other_route_needs_the_secret(server: str, headers: dict) -> None:
    body = json.dumps(ACTION_CALL).encode()
    assert call(server + "/actions", headers=headers)[0] == 401
    json_post = {**headers, "Content-Type": "application/json"}
    assert call(server + "/webhook", "POST", body, json_post)[0] == 401
    assert call(server + "/nope", headers=headers)[0] == 401


def test_the_action_list_is_not_open(server: str) -> None:
    status, body = call(server + "/actions")
    assert status == 401 and "action_" not in body
    status, body = call(server + "/actions", headers=BEARER)
    assert status == 200 and {"name": "action_request_human"} in json.loads(body)


def test_a_browser_page_cannot_run_an_action(server: str) -> None:
    # The probe's text/plain POST: a "simple" request a page can send without a preflight.
    body = json.dumps(ACTION_CALL).encode()
    plain = {"Content-Type": "text/plain", "Origin": "http://localhost:3000"}
    assert call(server + "/webhook", "POST", body, plain)[0] == 403
    # Even with the secret, and for a preflight or the health check: no Origin is welcome.
    for origin in ("null", "http://127.0.0.1:8080"):
        with_origin = {**BEARER, "Origin": origin}
        assert call(server + "/webhook", "POST", body, with_origin)[0] == 403
        assert call(server + "/actions", headers=with_origin)[0] == 403
        assert call(server + "/health", headers={"Origin": origin})[0] == 403
        preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
        status = call(server + "/webhook", "OPTIONS", None, preflight)[0]
        assert status == 403


def test_the_secret_lets_a_call_through(server: str) -> None:
    # Tandem's API is not running: the action still runs, and answers with events.
    body = json.dumps(ACTION_CALL).encode()
    status, answer = call(
        server + "/webhook", "POST", body, {**BEARER, "Content-Type": "application/json"}
    )
    assert status == 200, answer
    assert "events" in json.loads(answer)


def test_a_failed_call_does_not_echo_the_request(server: str) -> None:
    secret = "she said: my ex is at 12 Elm St"
    broken = {"next_action": "action_request_human", "tracker": secret}
    status, answer = call(
        server + "/webhook",
        "POST",
        json.dumps(broken).encode(),
        {**BEARER, "Content-Type": "application/json"},
    )
    assert status == 500 and "Elm" not in answer


def test_rasa_sends_the_header_from_endpoints_yml(server: str, monkeypatch) -> None:
    from rasa.utils.endpoints import ClientResponseError, read_endpoint_config

    # As services/stack.py sets them for the Rasa server.
    monkeypatch.setenv("ACTION_ENDPOINT_URL", server + "/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", TOKEN)
    for name in (
        "RASA_TRACKER_DIALECT",
        "RASA_TRACKER_STORE_URL",
        "RASA_TRACKER_DB",
        "RASA_LOCK_STORE",
    ):
        monkeypatch.setenv(name, "unused")
    endpoint = read_endpoint_config(str(REPO / "bot" / "endpoints.yml"), "action_endpoint")
    assert endpoint is not None and endpoint.headers == BEARER

    async def unknown_action() -> int:
        try:
            await endpoint.request(json={**ACTION_CALL, "next_action": "nope"}, method="post")
        except ClientResponseError as error:
            return error.status
        return 200

    # Past the secret check: the executor itself says it has no such action.
    assert asyncio.run(unknown_action()) == 404


@pytest.mark.parametrize("token", [None, "", "short"])
def test_it_refuses_to_start_without_a_real_secret(token: str | None) -> None:
    process = launch(free_port(), token)
    output = process.communicate(timeout=60)[0].decode()
    assert process.returncode != 0
    assert "ACTION_SERVER_TOKEN must be set" in output


def test_several_action_servers_share_one_port_and_no_other_may_take_it() -> None:
    import socket

    from bot.action_server import shared_socket

    port = free_port()
    first, second = shared_socket("127.0.0.1", port), shared_socket("127.0.0.1", port)
    try:
        with socket.socket() as plain:  # a socket without SO_REUSEPORT is refused
            with pytest.raises(OSError):
                plain.bind(("127.0.0.1", port))
    finally:
        first.close()
        second.close()
