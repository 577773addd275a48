"""Rasa stops in the middle of a conversation and comes back: she is answered at once while it
is down, and every message she sent is replayed to the real bot, in order and exactly once,
with the replies delivered through (fake) Twilio."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.model_cache import model_path
from services.settings import load_settings
from services.stack import children
from tests.e2e.conftest import REPO, TANDEM, send_sms, stack_env, tracker_events
from tests.ports import free_port

pytestmark = pytest.mark.e2e
PHONE = "+14135550140"


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.load(response)


def wait_for(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass
class SplitStack:
    env: dict[str, str]
    var_dir: Path
    twilio_url: str
    processes: dict[str, subprocess.Popen[bytes]]
    argv: dict[str, tuple[list[str], dict[str, str]]]
    health: dict[str, str]

    def start(self, name: str) -> None:
        argv, env = self.argv[name]
        with (self.var_dir / f"{name.replace(' ', '_')}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                argv,
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: up(self.health[name]), 240, f"{name} to be ready")

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

    def sms(self, text: str) -> list[str]:
        return send_sms(self.env, text, PHONE)


@pytest.fixture(scope="module")
def split_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SplitStack]:
    """Services, Rasa and the action server as separate processes (so Rasa alone can be
    stopped), plus the fake Twilio."""
    var_dir = tmp_path_factory.mktemp("outage")
    twilio_port = free_port()
    env = stack_env(
        var_dir,
        TWILIO_API_BASE_URL=f"http://127.0.0.1:{twilio_port}",
        TANDEM_WORKER_INTERVAL_SECONDS="1",
        TANDEM_QUIET_HOURS="00:00-00:00",  # the replay must not wait for morning
        RASA_TIMEOUT_SECONDS="5",
    )
    old_environ = dict(os.environ)
    os.environ.update(env)
    try:
        settings = load_settings()
        kids = children(settings, model_path())
    finally:
        os.environ.clear()
        os.environ.update(old_environ)
    stack = SplitStack(
        env=env,
        var_dir=var_dir,
        twilio_url=f"http://127.0.0.1:{twilio_port}",
        processes={},
        argv={k.name: (k.argv, {**k.env, **env}) for k in kids},
        health={k.name: k.health_url for k in kids},
    )
    stack.argv["fake twilio"] = ([*TANDEM, "fake-twilio", "--port", str(twilio_port)], env)
    stack.health["fake twilio"] = f"{stack.twilio_url}/fake/messages"
    try:
        for name in ("fake twilio", "action server", "rasa", "services"):
            stack.start(name)
        yield stack
    finally:
        for name in list(stack.processes):
            stack.stop(name)


def test_rasa_stops_and_restarts_mid_conversation(split_stack: SplitStack) -> None:
    asked = split_stack.sms("i need help getting on suboxone")
    assert any("zip" in r.lower() for r in asked), asked

    split_stack.stop("rasa")
    holding = split_stack.sms("01105")
    assert len(holding) == 1 and "911" in holding[0] and "988" in holding[0]
    crisis = split_stack.sms("i took too many pills")
    assert crisis[0].startswith("Call 911 now"), "crisis help does not need the bot"
    # A possible crisis gets the same direct question the bot would ask, with 988 in it.
    (possible,) = split_stack.sms("i get these dark thoughts sometimes at night")
    assert "are you having thoughts of ending your life?" in possible and "988" in possible

    split_stack.start("rasa")

    def delivered() -> list[str]:
        sent = get_json(f"{split_stack.twilio_url}/fake/messages")
        return [m["body"] for m in sent if m["to"] == PHONE]  # type: ignore[index, union-attr]

    def both_replayed() -> bool:
        bodies = delivered()
        return any(b.startswith("Here are places near Springfield") for b in bodies) and any(
            b.startswith("Call 911 now") for b in bodies
        )

    wait_for(both_replayed, 90, "both missed messages to be replayed and answered")
    bodies = delivered()
    header = next(i for i, b in enumerate(bodies) if b.startswith("Here are places near"))
    crisis_at = next(i for i, b in enumerate(bodies) if b.startswith("Call 911 now"))
    assert bodies[header + 1].startswith("1) ")
    assert header < crisis_at, "replayed in the order she sent them"

    user_texts = [e["text"] for _, kind, e in tracker_events(split_stack.var_dir) if kind == "user"]
    assert user_texts.count("01105") == 1 and user_texts.count("i took too many pills") == 1
    assert user_texts.index("01105") < user_texts.index("i took too many pills")


def test_no_phone_number_in_any_log_or_the_tracker(split_stack: SplitStack) -> None:
    split_stack.sms("hello again")
    digits = PHONE.removeprefix("+1")
    for log in split_stack.var_dir.glob("*.log"):
        text = log.read_text(errors="replace")
        assert digits not in text and digits[3:] not in text, log.name
    with sqlite3.connect(split_stack.var_dir / "rasa_tracker.db") as db:
        dumped = " ".join(str(row) for row in db.execute("SELECT sender_id, data FROM events"))
    assert digits[3:] not in dumped


def test_rasa_frozen_crisis_answered_within_seconds_and_replayed(split_stack: SplitStack) -> None:
    # A hung Rasa (SIGSTOP: alive, takes connections, never answers), not a stopped one.
    phone = "+14135550141"
    overdose = "i took way too many of my pills and cant feel my legs"
    pantry = "is there a food pantry open tomorrow"
    assert send_sms(split_stack.env, "hi", phone), "the bot answers before it hangs"
    rasa = split_stack.processes["rasa"]
    os.killpg(rasa.pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        crisis = send_sms(split_stack.env, overdose, phone)
        crisis_wait = time.monotonic() - start
        start = time.monotonic()
        holding = send_sms(split_stack.env, pantry, phone)
        holding_wait = time.monotonic() - start
    finally:
        os.killpg(rasa.pid, signal.SIGCONT)
    assert crisis[0].startswith("Call 911 now")
    assert crisis_wait < 4, f"a crisis waited {crisis_wait:.1f} s on a hung bot"
    # At most the probe the crisis started (1 s) and the turn itself, never the time-out.
    assert "988" in holding[0] and holding_wait < 3, f"waited {holding_wait:.1f} s"

    def user_texts() -> list[str]:
        return [e["text"] for _, kind, e in tracker_events(split_stack.var_dir) if kind == "user"]

    wait_for(
        lambda: pantry in user_texts() and overdose in user_texts(),
        90,
        "the messages she sent while it hung to reach the bot",
    )
    assert user_texts().count(overdose) == 1, "nothing is processed twice"
    assert user_texts().index(overdose) < user_texts().index(pantry), "in her order"
