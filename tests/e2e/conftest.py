"""Boot the whole stack the way `make run` does (`tandem run`: services, Rasa, action server)
on free ports and a throwaway var/ folder, and stop it the way a person does: Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from services.local_secrets import read_env_file
from tests.ports import free_port

REPO = Path(__file__).resolve().parents[2]
TANDEM = [sys.executable, "-m", "services.cli"]
BOOT_TIMEOUT_SECONDS = 240


def tracker_events(var_dir: Path) -> list[tuple[str, str, dict]]:
    """Rasa's stored events (sender, type, event), decrypted with the stack's keys: the
    tracker store keeps them encrypted (bot/tracker_store.py)."""
    keys = read_env_file(var_dir / "local.env")["TANDEM_PHONE_ENCRYPTION_KEYS"]
    fernet = MultiFernet([Fernet(k.encode()) for k in keys.split(",") if k])
    with sqlite3.connect(var_dir / "rasa_tracker.db") as db:
        rows = db.execute("SELECT sender_id, type_name, data FROM events ORDER BY id").fetchall()
    return [(s, t, json.loads(fernet.decrypt(d.encode()))) for s, t, d in rows]


@dataclass
class Stack:
    env: dict[str, str]
    var_dir: Path
    log: Path
    url: str

    def sms(self, text: str, sender: str) -> list[str]:
        return send_sms(self.env, text, sender)


def send_sms(env: dict[str, str], text: str, sender: str) -> list[str]:
    """`tandem sms` exactly as a person would run it; replies split on blank lines."""
    done = subprocess.run(
        [*TANDEM, "sms", "--from", sender, text],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    replies = [r.strip() for r in done.stdout.split("\n\n") if r.strip()]
    return [] if replies == ["(no reply)"] else replies


def stack_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """A development environment on free ports and a throwaway var/ folder, prepared the way
    `make run` prepares one (secrets, migrations, demo directory)."""
    env = {
        **os.environ,
        "TANDEM_ENV": "development",
        "TANDEM_VAR_DIR": str(var_dir),
        "TANDEM_PORT": str(free_port()),
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}",
        **extra,
    }
    for name in (
        "DATABASE_URL",
        "RASA_TRACKER_STORE_URL",
        "TANDEM_PUBLIC_URL",
        "TWILIO_AUTH_TOKEN",
    ):
        env.pop(name, None)
    for step in (["init-local"], ["db", "upgrade"], ["directory", "import", "data/directory"]):
        subprocess.run([*TANDEM, *step], env=env, cwd=REPO, check=True, capture_output=True)
    return env


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_stack(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`tandem run [args]` in its own process group, once it is ready."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*TANDEM, "run", *args],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{env['TANDEM_PORT']}"
    deadline = time.monotonic() + BOOT_TIMEOUT_SECONDS
    while not _ready(url):
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL) if process.poll() is None else None
            pytest.fail("stack did not become ready:\n" + log.read_text()[-4000:])
        time.sleep(1)
    return process


def stop_stack(process: subprocess.Popen[bytes], log: Path) -> None:
    """Ctrl-C, as in a terminal: it signals the whole foreground process group."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("Ctrl-C did not stop the stack within 60 s")
    assert code == 0, log.read_text()[-4000:]


@contextmanager
def running_stack(var_dir: Path, **extra: str) -> Iterator[Stack]:
    """The whole stack on free ports in `var_dir` (`extra` goes into its environment), stopped
    with Ctrl-C afterwards, every port closed. The e2e and browser suites share it."""
    env = stack_env(var_dir, **extra)
    port = int(env["TANDEM_PORT"])
    rasa_port = int(env["RASA_URL"].rsplit(":", 1)[1])
    actions_port = int(env["ACTION_SERVER_URL"].rsplit(":", 1)[1])
    log = var_dir / "stack.log"
    process = start_stack(env, log)
    yield Stack(env=env, var_dir=var_dir, log=log, url=f"http://127.0.0.1:{port}")
    stop_stack(process, log)
    for p in (port, rasa_port, actions_port):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", p)) != 0, f"port {p} still open after Ctrl-C"


@dataclass
class TwilioStack(Stack):
    """The stack with a fake Twilio beside it: what Tandem texts first (staff texts,
    check-ins, replays) lands there."""

    twilio_url: str = ""

    def texts_sent(self) -> list[dict]:
        """What the fake Twilio received (GET /fake/messages)."""
        with urllib.request.urlopen(f"{self.twilio_url}/fake/messages", timeout=5) as response:
            data = json.load(response)
        return data if isinstance(data, list) else data["messages"]


def _wait_for_twilio(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except (urllib.error.URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the fake Twilio did not start ({url})")
            time.sleep(0.3)


@contextmanager
def running_stack_with_twilio(var_dir: Path, **extra: str) -> Iterator[TwilioStack]:
    """running_stack with `tandem fake-twilio` beside it, no quiet hours (nothing Tandem
    starts waits for morning) and the services' worker (replays, held texts, check-ins)
    running every second."""
    twilio_port = free_port()
    twilio_url = f"http://127.0.0.1:{twilio_port}"
    with running_stack(
        var_dir,
        TWILIO_API_BASE_URL=twilio_url,
        TANDEM_QUIET_HOURS="00:00-00:00",
        TANDEM_WORKER_INTERVAL_SECONDS="1",
        **extra,
    ) as running:
        with (running.var_dir / "fake_twilio.log").open("ab") as log:
            twilio = subprocess.Popen(
                [*TANDEM, "fake-twilio", "--port", str(twilio_port)],
                env=running.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_for_twilio(f"{twilio_url}/fake/messages", twilio)
            yield TwilioStack(**vars(running), twilio_url=twilio_url)
        finally:
            twilio.terminate()
            twilio.wait(timeout=10)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("var")) as running:
        yield running
