"""`tandem run`: the services, the Rasa server and the action server in the foreground.

Each runs as a child process with its configuration and secrets passed through the environment,
never on the command line; Ctrl-C stops them all. TANDEM_RASA_WORKERS Rasa processes (on
consecutive ports, sharing the tracker store and the Redis lock store) and TANDEM_ACTION_WORKERS
action servers (on one port: bot/action_server.py) run; one of these that dies after it was
ready is restarted while the gateway skips it, and one that exits before it was ever ready (or
the services exiting) stops the stack. Rasa and the action server start through small
launchers in bot/ (rasa_server.py, action_server.py).
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


# A bot process that dies after start is restarted after 1 s, then 2, 4, ... up to a minute
# while it keeps dying; once it has stayed up a minute the wait starts again at 1 s.
RESTART_BACKOFF_MAX = 60.0


@dataclass
class Child:
    name: str
    url: str
    health_url: str
    argv: list[str]
    env: dict[str, str]
    restartable: bool = False  # the bot processes; the services' exit stops the stack
    process: subprocess.Popen[bytes] | None = None
    ready: bool = False  # has answered its health check since it last started
    ready_at: float = 0.0
    backoff: float = 0.0
    restart_at: float = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=REPO_ROOT)


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
        # Several Rasa processes share one lock store (bot/lock_store.py); one alone may keep
        # its locks in memory.
        "RASA_LOCK_STORE": "bot.lock_store.RedisURLLockStore"
        if settings.redis_url
        else "in_memory",
        **({"REDIS_URL": settings.redis_url} if settings.redis_url else {}),
        # `rasa` is a console script: the repo root (bot.*, actions, safety) must be on the path.
        "PYTHONPATH": str(REPO_ROOT),
        "SANIC_HOST": urlsplit(settings.action_server_url).hostname or "127.0.0.1",
        # Rasa's telemetry would try to reach the internet.
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


# The processes' matrix products are small (one text against a reader's support vectors), and
# several processes share the machine's cores: OpenBLAS's extra threads mostly spin.
# One thread per process cut the CPU of a crisis judgement from 9.5 to 5.4 ms at the same
# wall time (bench/results/turn_profile.md, cut 8). An operator's own setting wins.
PROCESS_DEFAULTS = {"OPENBLAS_NUM_THREADS": "1"}


def _numbered(name: str, index: int, count: int) -> str:
    return name if count == 1 else f"{name} {index + 1}"


def children(settings: Settings, model: Path) -> list[Child]:
    """The action servers, the Rasa processes and the services, in start order."""
    base = {**PROCESS_DEFAULTS, **os.environ, **bot_environment(settings)}
    actions = urlsplit(settings.action_server_url)
    action_env = base
    if settings.tandem_action_workers > 1:
        action_env = {**base, "ACTION_SERVER_REUSE_PORT": "1"}  # bot/action_server.py
    kids = [
        Child(
            _numbered("action server", i, settings.tandem_action_workers),
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
            action_env,
            restartable=True,
        )
        for i in range(settings.tandem_action_workers)
    ]
    for i, url in enumerate(settings.rasa_urls):
        rasa = urlsplit(url)
        kids.append(
            Child(
                _numbered("rasa", i, len(settings.rasa_urls)),
                url,
                url + "/",
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
                restartable=True,
            )
        )
    kids.append(
        Child(
            "services",
            settings.local_url,
            settings.local_url + "/healthz",
            [sys.executable, "-m", "services.cli", "serve"],
            {**PROCESS_DEFAULTS, **os.environ},
        )
    )
    return kids


# `tandem run --process KIND`: the names children() gives each kind of process.
PROCESS_KINDS = {"services": "services", "rasa": "rasa", "actions": "action server"}


def exec_process(settings: Settings, kind: str, index: int) -> int:
    """One process of the stack, started exactly as `tandem run` starts it, in place of this
    one: what a process manager runs and restarts (deploy/systemd/). `index` counts from 1
    up to TANDEM_RASA_WORKERS (Rasa: its port is RASA_URL's + index - 1) or
    TANDEM_ACTION_WORKERS."""
    model = model_path()
    name = PROCESS_KINDS[kind]
    same = [kid for kid in children(settings, model) if kid.name.rstrip("0123456789 ") == name]
    if not 1 <= index <= len(same):
        print(f"There is no {name} {index}: this configuration has {len(same)}.")
        return 2
    if kind == "rasa" and not model.exists():
        print(f"No trained model for the current data ({model.name}); run `make train`.")
        return 2
    kid = same[index - 1]
    os.chdir(REPO_ROOT)
    sys.stdout.flush()
    os.execve(kid.argv[0], kid.argv, kid.env)  # noqa: S606 - the argv children() builds


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


def _supervise(kid: Child, now: float) -> str | None:
    """Why the stack must stop because of `kid`, if it must; restarts a dead bot process
    that had been ready (the gateway skips it meanwhile: services/gateway/rasa_pool.py)."""
    assert kid.process is not None
    code = kid.process.poll()
    if code is None:
        if not kid.ready and _up(kid.health_url):
            kid.ready, kid.ready_at = True, now
            print(f"  {kid.name} ready at {kid.url}", flush=True)
        return None
    if not (kid.restartable and kid.ready):
        # The services, or a process that never came up (its configuration is wrong).
        return f"{kid.name} exited with code {code}"
    # Crash-looping after start: wait longer before each restart, up to a minute.
    stayed_up = now - kid.ready_at > RESTART_BACKOFF_MAX
    kid.backoff = 1.0 if stayed_up else min(max(1.0, kid.backoff * 2), RESTART_BACKOFF_MAX)
    print(f"{kid.name} exited with code {code}; restarting in {kid.backoff:.0f} s.", flush=True)
    kid.ready = False
    kid.process = None
    kid.restart_at = now + kid.backoff
    return None


def _stopped(kid: Child) -> bool:
    """A process that ended cleanly or on Ctrl-C / SIGTERM was stopped, not broken: Ctrl-C
    reaches every process of the group at once, and a child can end before this one's own
    KeyboardInterrupt is raised (then `tandem run` exits 0 as on its own Ctrl-C)."""
    assert kid.process is not None
    return kid.process.returncode in (0, -signal.SIGINT, -signal.SIGTERM)


def run_stack(settings: Settings) -> int:
    model = model_path()
    if not model.exists():
        print(f"No trained model for the current data ({model.name}); run `make train`.")
        return 2
    kids = children(settings, model)
    try:
        for kid in kids:
            kid.start()
        running = False
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            now = time.monotonic()
            for kid in kids:
                if kid.process is None:
                    if now >= kid.restart_at:
                        kid.start()
                    continue
                stop = _supervise(kid, now)
                if stop:
                    print(f"{stop}; stopping.", flush=True)
                    return 0 if _stopped(kid) else 1
            if not running and all(kid.ready for kid in kids):
                running = True
                print(
                    f"Tandem is running ({settings.tandem_env}: {len(settings.rasa_urls)} Rasa, "
                    f"{settings.tandem_action_workers} action server processes). Try: "
                    f'.venv/bin/tandem sms --from +14135550100 "hi"   (Twilio webhook: '
                    f"{settings.public_url}/sms/inbound). Ctrl-C stops everything.",
                    flush=True,
                )
            if not running and now > deadline:
                pending = ", ".join(kid.name for kid in kids if not kid.ready)
                print(f"Timed out waiting for: {pending}; stopping.")
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        _stop(kids)
