"""The OpenAPI 3.1 document of /api/*, hand-written in services/openapi.yaml, loaded once at
start and served at GET /api/openapi.json (no token: it describes, it reveals nothing).
tests/services/test_openapi.py keeps it true to the routes and to real responses."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from services.app_keys import OPENAPI

OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")
routes = web.RouteTableDef()


@cache
def load_openapi(path: Path = OPENAPI_PATH) -> dict[str, Any]:
    """Parsed once per process; callers must not change it."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@routes.get("/api/openapi.json")
async def openapi_document(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI])
