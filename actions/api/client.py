"""A small async client for Tandem's services API.

Reads TANDEM_API_URL (default http://127.0.0.1:8080) and TANDEM_SERVICE_TOKEN when it is
created, so each action run sees the current environment. One aiohttp ClientSession per call
with a 5 s total timeout: the action server makes a few calls per message, and nothing has to
be closed at shutdown. Never logs the token, query values or her text.
"""

import asyncio
import logging
import os
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT_S = 5.0


class ApiError(Exception):
    """The services API could not answer: a non-2xx status, a timeout or no connection.

    status is the HTTP status, or None when no response came back; code is the API's
    machine-readable error ("place_not_found", "unknown_need"...), or "unreachable".
    """

    def __init__(self, status: int | None, code: str, message: str = "") -> None:
        super().__init__(f"{status or 'no response'} {code}: {message}".strip())
        self.status = status
        self.code = code
        self.message = message


class TandemApi:
    """GET JSON from the services API with the service token."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        url = base_url or os.environ.get("TANDEM_API_URL") or DEFAULT_API_URL
        self.base_url = url.rstrip("/")
        self._token = token if token is not None else os.environ.get("TANDEM_SERVICE_TOKEN", "")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    def __repr__(self) -> str:  # keeps the token out of tracebacks and logs
        return f"TandemApi(base_url={self.base_url!r})"

    async def get_json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        query = {k: str(v) for k, v in params.items() if v is not None}
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session:
                async with session.get(
                    f"{self.base_url}{path}", params=query, headers=headers
                ) as resp:
                    body = await _read_json(resp)
                    if 200 <= resp.status < 300:
                        if not isinstance(body, dict):
                            raise ApiError(resp.status, "bad_response", "not a JSON object")
                        return body
                    error = body if isinstance(body, dict) else {}
                    logger.info("API %s answered %s %s", path, resp.status, error.get("error"))
                    raise ApiError(
                        resp.status,
                        str(error.get("error") or f"http_{resp.status}"),
                        str(error.get("message") or ""),
                    )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.warning("API %s unreachable: %s", path, type(exc).__name__)
            raise ApiError(None, "unreachable", type(exc).__name__) from None

    async def resolve_place(self, q: str) -> dict[str, Any]:
        """GET /api/places/resolve?q=: {"zip", "town", "state", "lat", "lon", ...}."""
        return await self.get_json("/api/places/resolve", {"q": q})

    async def search_services(
        self, need: str, near: str, limit: int = 3, offset: int = 0
    ) -> dict[str, Any]:
        """GET /api/services: {"place", "need": {"label", ...}, "total", "results": [...]}."""
        return await self.get_json(
            "/api/services", {"need": need, "near": near, "limit": limit, "offset": offset}
        )


async def _read_json(resp: aiohttp.ClientResponse) -> Any:
    try:
        return await resp.json(content_type=None)
    except ValueError:
        return None
