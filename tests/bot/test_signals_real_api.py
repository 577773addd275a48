"""The bot's actions against the real services API (not tests/bot/fake_api.py), so the
counts are what staff and the research export see: each crisis and each request for a person
is one signal, and every value the actions send is one the signal taxonomy takes.

`tandem serve` runs in the services runtime (.venv) on a free port and a throwaway var/; the
actions run here, in the bot runtime, as the action server runs them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import signals
from actions.checkin import ActionCheckinMood, ActionMilestone
from actions.crisis import ActionCrisisAlert
from actions.support import ActionHandleBarrier, ActionProviderFeedback, ActionRequestHuman
from tests.bot.fake_api import tracker
from tests.ports import closed_port_url, free_port

REPO = Path(__file__).resolve().parents[2]
SERVICES_PYTHON = REPO / ".venv" / "bin" / "python"
TANDEM = [str(SERVICES_PYTHON), "-m", "services.cli"]

pytestmark = pytest.mark.skipif(
    not SERVICES_PYTHON.exists(), reason="the services runtime (.venv) is not set up"
)


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.partition("=") for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, _, v in pairs if not k.startswith("#")}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    var_dir = tmp_path_factory.mktemp("var")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TANDEM_ENV": "development",
        "TANDEM_VAR_DIR": str(var_dir),
        "TANDEM_PORT": str(port),
        "RASA_URL": closed_port_url(),
        "ACTION_SERVER_URL": closed_port_url(),
        "TANDEM_WORKER_INTERVAL_SECONDS": "0",
    }
    for name in ("DATABASE_URL", "TANDEM_PUBLIC_URL", "TWILIO_AUTH_TOKEN", "TANDEM_API_URL"):
        env.pop(name, None)
    for step in (["init-local"], ["db", "upgrade"]):
        subprocess.run([*TANDEM, *step], env=env, cwd=REPO, check=True, capture_output=True)
    log = (var_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [*TANDEM, "serve"], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail((var_dir / "serve.log").read_text()[-3000:])
                time.sleep(0.3)
        # Her first text makes her a client (the bot is down: she gets the holding reply).
        subprocess.run(
            [*TANDEM, "sms", "--from", "+14135550123", "hi"],
            env=env, cwd=REPO, check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        with sqlite3.connect(var_dir / "tandem.db") as db:
            (client_id,) = db.execute("SELECT id FROM clients").fetchone()
        token = _env_file(var_dir / "local.env")["TANDEM_SERVICE_TOKEN"]
        yield {"url": url, "token": token, "client_id": client_id}
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
        log.close()


def act(
    action: Any, services: dict[str, str], monkeypatch: pytest.MonkeyPatch, **args: Any
) -> CollectingDispatcher:
    monkeypatch.setenv("TANDEM_API_URL", services["url"])
    monkeypatch.setenv("TANDEM_SERVICE_TOKEN", services["token"])
    monkeypatch.setattr(signals, "RETRY_DELAYS", ())
    dispatcher = CollectingDispatcher()
    t = tracker(active_loop=None, **args)
    t.sender_id = services["client_id"]

    async def scenario() -> None:
        await action.run(dispatcher, t, {})
        await signals.settled()

    asyncio.run(scenario())
    return dispatcher


def her_signals(services: dict[str, str]) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"{services['url']}/api/clients/{services['client_id']}/signals?limit=200",
        headers={"Authorization": f"Bearer {services['token']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_a_crisis_and_a_request_for_a_person_are_each_one_signal(
    services: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    act(ActionCrisisAlert(), services, monkeypatch, text="x", intent="crisis_suicide",
        message_sid="SM" + "1" * 32)  # fmt: skip
    act(ActionRequestHuman(), services, monkeypatch, text="a real person please",
        message_sid="SM" + "2" * 32)  # fmt: skip
    kinds = Counter(s["type"] for s in her_signals(services))
    assert (kinds["crisis"], kinds["human_requested"]) == (1, 1)
    crisis = next(s for s in her_signals(services) if s["type"] == "crisis")
    assert (crisis["value"], crisis["message_sid"]) == ("suicide", "SM" + "1" * 32)


@pytest.mark.parametrize(
    ("action", "args", "signal_type", "value"),
    [
        (ActionHandleBarrier(), {"text": "i dont have a ride"}, "barrier_reported", "rides"),
        (ActionHandleBarrier(), {"text": "they judge me"}, "barrier_reported", "felt_judged"),
        (ActionProviderFeedback(), {"text": "x", "intent": "provider_feedback_positive"},
         "provider_rating", "4"),
        (ActionCheckinMood(), {"text": "a 2 today"}, "checkin_mood", "2"),
        (ActionMilestone(), {"text": "30 days today!"}, "milestone", "30 days"),
    ],
)  # fmt: skip
def test_the_values_the_actions_send_are_in_the_taxonomy(
    services: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    action: Any,
    args: dict[str, Any],
    signal_type: str,
    value: str,
) -> None:
    sid = "SM" + os.urandom(16).hex()
    act(action, services, monkeypatch, message_sid=sid, **args)
    stored = [s for s in her_signals(services) if s["message_sid"] == sid]
    assert [(s["type"], s["value"]) for s in stored] == [(signal_type, value)]
