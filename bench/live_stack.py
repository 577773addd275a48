"""A Tandem stack for the benches: boot one on free ports, stop it, send it signed SMS.

Used by ``bench/safety_eval.py``, ``bench/conversation_eval.py`` and the e2e blind
conversations test: each text goes through the whole stack as Twilio would send it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from services.gateway.signature import INBOUND_PATH, signed_inbound  # noqa: E402
from services.gateway.twiml import twiml_to_messages  # noqa: E402


class Sender:
    """Signed webhooks to a running stack, as Twilio sends them."""

    def __init__(self, url: str, public_url: str, token: str, account: str, to: str) -> None:
        self.url, self.public_url, self.token = url.rstrip("/"), public_url, token
        self.account, self.to = account, to

    @classmethod
    def from_settings(cls, url: str | None = None) -> Sender:
        """To the stack the environment describes (``url``: another address for it)."""
        from services.settings import load_settings

        s = load_settings()
        return cls(
            url or s.local_url,
            s.public_url,
            s.twilio_auth_token,
            s.twilio_account_sid,
            s.twilio_from_number,
        )

    async def send(self, http: aiohttp.ClientSession, sender: str, text: str) -> list[str]:
        params, signature = signed_inbound(
            auth_token=self.token,
            public_url=self.public_url,
            account_sid=self.account,
            to=self.to,
            sender=sender,
            text=text,
        )
        async with http.post(
            self.url + INBOUND_PATH,
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=aiohttp.ClientTimeout(total=60),
        ) as response:
            body = await response.text()
            if response.status != 200:
                raise RuntimeError(f"Tandem answered {response.status}: {body[:200]}")
            return twiml_to_messages(body)


def boot_stack() -> tuple[subprocess.Popen[bytes], dict[str, str], Path]:
    from tests.e2e.conftest import stack_env

    var_dir = Path(tempfile.mkdtemp(prefix="tandem-safety-eval-"))
    env = stack_env(var_dir, RASA_TIMEOUT_SECONDS="12", TANDEM_RATE_LIMIT_COUNT="1000")
    log = (var_dir / "stack.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if "Tandem is running" in (var_dir / "stack.log").read_text(errors="replace"):
            return process, env, var_dir
        if process.poll() is not None:
            break
        time.sleep(1)
    process.terminate()
    raise SystemExit(f"the stack did not start; see {var_dir / 'stack.log'}")


def stop_stack(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a person stops it; on a loaded machine shutting down can take a while, and
    a stack that will not stop must never cost the measurement: kill it then."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
