"""Schemathesis against GET /api/openapi.json (issue 11): with the service token, every
documented operation is called with data generated from its schema (valid and invalid), over
real HTTP, on the real app. No answer is a 5xx; every status, content type and body matches
the document; and each operation refuses the call without the token (`ignored_auth`).

A bounded run, to keep `make test` fast: TANDEM_SCHEMATHESIS_EXAMPLES examples per operation
and phase (default 20). Generated ids rarely name a real row, so most answers are 4xx; the
Hypothesis tests in test_api_properties.py aim at real rows.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from aiohttp import web
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from services.app import create_app
from services.openapi import load_openapi
from tests.services.conftest import SERVICE_TOKEN, make_settings

EXAMPLES = int(os.environ.get("TANDEM_SCHEMATHESIS_EXAMPLES", "20"))
AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
]


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory, directory_db: Path) -> Iterator[str]:
    """The services app on 127.0.0.1 (a free port), in its own thread and event loop, on a
    copy of the demo directory; Rasa is a closed port (the API does not need it)."""
    var_dir = tmp_path_factory.mktemp("schemathesis")
    shutil.copy(directory_db, var_dir / "tandem.db")
    settings = make_settings(var_dir)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = web.AppRunner(create_app(settings), access_log=None)

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=60)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


# The document as the app serves it at GET /api/openapi.json (app[OPENAPI] is this same
# load; test_the_schema_is_the_one_served checks it over HTTP). Loaded at import, so that
# pytest collects one test per operation; the base URL comes from the running app.
schema = schemathesis.openapi.from_dict(
    load_openapi(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {"max-examples": EXAMPLES},
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


def test_the_schema_is_the_one_served(api_url: str) -> None:
    with urllib.request.urlopen(f"{api_url}/api/openapi.json", timeout=10) as response:
        served = json.load(response)
    assert served == json.loads(json.dumps(schema.raw_schema))


@schema.parametrize()
def test_the_api_answers_as_documented(case: schemathesis.Case, api_url: str) -> None:
    case.call_and_validate(base_url=api_url, headers=AUTH, checks=CHECKS, timeout=10)
