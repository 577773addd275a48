"""`tandem run`: the services, the Rasa server and the action server in the foreground.

Each runs as a child process with its configuration and secrets passed through the environment,
never on the command line; Ctrl-C (or any child exiting) stops all three. Rasa and the action
server start through small launchers in bot/ (rasa_server.py, action_server.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from services.model_cache import model_path
from services.settings import REPO_ROOT, Settings

BOT_BIN = REPO_ROOT / ".venv-bot" / "bin"
STARTUP_TIMEOUT_SECONDS = 180


@dataclass
class Child:
    name: str
    url: str
    health_url: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None


def bot_environment(settings: Settings) -> dict[str, str]:
    """What the Rasa server and action server read (bot/endpoints.yml, credentials.yml)."""
    tracker_url = settings.effective_tracker_store_url
    if tracker_url.startswith("sqlite:///"):
        Path(tracker_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return {
        # Secrets go through the environment (private to the user), never argv (`ps`).
        "RASA_TOKEN": settings.rasa_token,
        "ACTION_SERVER_TOKEN": settings.action_server_token,
        "ACTION_ENDPOINT_URL": settings.action_server_url.rstrip("/") + "/webhook",
        "RASA_TRACKER_STORE_URL": tracker_url,
        "RASA_TRACKER_DIALECT": urlsplit(tracker_url).scheme.split("+")[0],
        "RASA_TRACKER_DB": urlsplit(tracker_url).path.lstrip("/") or "rasa",
        "TANDEM_API_URL": settings.api_url,
        "TANDEM_SERVICE_TOKEN": settings.tandem_service_token,
        # The tracker store encrypts events with the message log's keys (bot/tracker_store.py).
        "TANDEM_PHONE_ENCRYPTION_KEYS": settings.tandem_phone_encryption_keys,
        # `rasa` is a console script: the repo root (bot.*, actions, safety) must be on the path.
        "PYTHONPATH": str(REPO_ROOT),
        "SANIC_HOST": urlsplit(settings.action_server_url).hostname or "127.0.0.1",
        # Rasa's telemetry would try to reach the internet.
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def children(settings: Settings, model: Path) -> list[Child]:
    base = {**os.environ, **bot_environment(settings)}
    rasa = urlsplit(settings.rasa_url)
    actions = urlsplit(settings.action_server_url)
    return [
        Child(
            "action server",
            settings.action_server_url,
            settings.action_server_url.rstrip("/") + "/health",
            [
                str(BOT_BIN / "python"),
                "-m",
                "bot.action_server",
                "--actions",
                "actions",
                "-p",
                str(actions.port or 5055),
            ],
            base,
        ),
        Child(
            "rasa",
            settings.rasa_url,
            settings.rasa_url.rstrip("/") + "/",
            [
                str(BOT_BIN / "python"),
                "-m",
                "bot.rasa_server",
                "-m",
                str(model),
                "--enable-api",
                "-i",
                rasa.hostname or "127.0.0.1",
                "-p",
                str(rasa.port or 5005),
                "--credentials",
                "bot/credentials.yml",
                "--endpoints",
                "bot/endpoints.yml",
            ],
            base,
        ),
        Child(
            "services",
            settings.local_url,
            settings.local_url + "/healthz",
            [sys.executable, "-m", "services.cli", "serve"],
            dict(os.environ),
        ),
    ]


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - local URL
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(kids: list[Child]) -> None:
    for kid in kids:
        if kid.process and kid.process.poll() is None:
            kid.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for kid in kids:
        if kid.process:
            try:
                kid.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                kid.process.kill()


def run_stack(settings: Settings) -> int:
    model = model_path()
    if not model.exists():
        print(f"No trained model for the current data ({model.name}); run `make train`.")
        return 2
    kids = children(settings, model)
    try:
        for kid in kids:
            kid.process = subprocess.Popen(kid.argv, env=kid.env, cwd=REPO_ROOT)
        pending = {kid.name for kid in kids}
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            for kid in kids:
                if kid.process and kid.process.poll() is not None:
                    print(f"{kid.name} exited with code {kid.process.returncode}; stopping.")
                    return 1
                if kid.name in pending and _up(kid.health_url):
                    pending.discard(kid.name)
                    print(f"  {kid.name} ready at {kid.url}", flush=True)
                    if not pending:
                        print(
                            f"Tandem is running. Try: .venv/bin/tandem sms --from +14135550100 "
                            f'"hi"   (Twilio webhook: {settings.public_url}/sms/inbound). '
                            "Ctrl-C stops everything.",
                            flush=True,
                        )
            if pending and time.monotonic() > deadline:
                print(f"Timed out waiting for: {', '.join(sorted(pending))}; stopping.")
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        _stop(kids)
