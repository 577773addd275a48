"""GET /healthz (this process is up) and GET /readyz (database, Rasa, action server).

Ready takes one Rasa process that answers (the gateway skips the others); `rasa_processes`
says how many of them answer."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web
from sqlalchemy import text

from services.app_keys import ENGINE, HTTP, SETTINGS

routes = web.RouteTableDef()
CHECK_TIMEOUT = aiohttp.ClientTimeout(total=2)


@routes.get("/healthz")
async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _http_ok(http: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with http.get(url, timeout=CHECK_TIMEOUT) as response:
            return response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


async def _database_ok(request: web.Request) -> bool:
    try:
        async with request.app[ENGINE].connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any database failure means not ready
        return False


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    settings, http = request.app[SETTINGS], request.app[HTTP]
    database, actions, *rasa = await asyncio.gather(
        _database_ok(request),
        _http_ok(http, settings.action_server_url.rstrip("/") + "/health"),
        *(_http_ok(http, url + "/") for url in settings.rasa_urls),
    )
    checks = {"database": database, "rasa": any(rasa), "action_server": actions}
    ready = all(checks.values())
    return web.json_response(
        {
            "status": "ready" if ready else "not_ready",
            "checks": checks,
            "rasa_processes": {"up": sum(rasa), "of": len(rasa)},
        },
        status=200 if ready else 503,
    )
