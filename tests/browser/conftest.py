"""The browser suite's stack: the e2e suite's (tests/e2e/conftest.py, `tandem run` on free
ports and a throwaway var/ folder) with a fake Twilio beside it for the texts staff send, no
quiet hours, and headless Chromium from the machine (Debian's package; Playwright never
downloads a browser here)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, TANDEM, Stack, running_stack
from tests.ports import free_port

CHROMIUM = os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium")
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"


@dataclass
class BrowserStack(Stack):
    twilio_url: str = ""

    def texts_sent(self) -> list[dict]:
        """What the fake Twilio received (GET /fake/messages)."""
        with urllib.request.urlopen(f"{self.twilio_url}/fake/messages", timeout=5) as response:
            data = json.load(response)
        return data if isinstance(data, list) else data["messages"]


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except (urllib.error.URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the fake Twilio did not start ({url})")
            time.sleep(0.3)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserStack]:
    twilio_port = free_port()
    twilio_url = f"http://127.0.0.1:{twilio_port}"
    with running_stack(
        tmp_path_factory.mktemp("var"),
        TWILIO_API_BASE_URL=twilio_url,
        TANDEM_QUIET_HOURS="00:00-00:00",  # a staff text must not wait for morning
        TANDEM_WORKER_INTERVAL_SECONDS="1",
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
            _wait_for(f"{twilio_url}/fake/messages", twilio)
            yield BrowserStack(**vars(running), twilio_url=twilio_url)
        finally:
            twilio.terminate()
            twilio.wait(timeout=10)


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the run saves its screenshots (TANDEM_SCREENSHOTS_DIR, or a temp folder)."""
    chosen = os.environ.get("TANDEM_SCREENSHOTS_DIR")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return tmp_path_factory.mktemp("screenshots")
