"""The browser suite's stack: the e2e suite's (tests/e2e/conftest.py, `tandem run` on free
ports and a throwaway var/ folder) with a fake Twilio beside it for the texts staff send, no
quiet hours, and headless Chromium from the machine (Debian's package; Playwright never
downloads a browser here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, TwilioStack, running_stack_with_twilio

CHROMIUM = os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium")
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"


BrowserStack = TwilioStack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserStack]:
    with running_stack_with_twilio(tmp_path_factory.mktemp("var")) as running:
        yield running


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the run saves its screenshots (TANDEM_SCREENSHOTS_DIR, or a temp folder)."""
    chosen = os.environ.get("TANDEM_SCREENSHOTS_DIR")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return tmp_path_factory.mktemp("screenshots")
