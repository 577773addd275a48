"""A small async client for Tandem's services API.

Reads TANDEM_API_URL (default http://127.0.0.1:8080) and TANDEM_SERVICE_TOKEN when it is
created, so each action run sees the current environment. Each call has a 5 s total timeout.
The action server keeps one aiohttp ClientSession while it runs (`keep_connections`, from
bot/action_server.py), so its calls reuse connections to the API instead of opening one per
call; elsewhere (tests, scripts) each call has a session of its own. Never logs the token,
query values or her text.

Her words (a place, a search) go only in JSON request bodies, never in a URL: URLs end up in
access logs, proxy logs and tracebacks. A query string may carry only the directory ids and
the language code ("en" or "es") in URL_PARAMS; `request` refuses anything else.
"""

import asyncio
import contextlib
import logging
import os
from typing import Any
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT_S = 5.0
# The only query parameters a call may carry: ids from the directory and the language of
# the answer's words ("en" or "es"), never her words.
URL_PARAMS = frozenset({"location_id", "language"})
# Kept connections close after this long idle, under the services' own keep-alive (75 s).
KEEPALIVE_SECONDS = 30.0

_kept: aiohttp.ClientSession | None = None  # the action server's, while it runs


async def keep_connections() -> None:
    """From now on every call of this process shares one session (its event loop's)."""
    global _kept
    _kept = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS)
    )


async def close_connections() -> None:
    global _kept
    if _kept is not None:
        session, _kept = _kept, None
        await session.close()


def _session() -> contextlib.AbstractAsyncContextManager[aiohttp.ClientSession]:
    if _kept is not None and not _kept.closed:
        return contextlib.nullcontext(_kept)  # `async with` must not close it
    return aiohttp.ClientSession()


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
    """Calls to the services API with the service token."""

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
        """GET path with the query params (None values left out): the JSON object answered."""
        return await self.request("GET", path, params=params)

    async def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One call to the API: the JSON object answered (an empty one for an empty body
        after a POST or PATCH). Raises ApiError for anything but a 2xx answer, and ValueError
        for a query parameter outside URL_PARAMS (her words belong in `body`)."""
        unsafe = set(params or {}) - URL_PARAMS
        if unsafe:
            raise ValueError(f"not a URL parameter (send it in the body): {sorted(unsafe)}")
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        try:
            async with _session() as session:
                async with session.request(
                    method,
                    f"{self.base_url}{path}",
                    params=query,
                    json=body,
                    headers=headers,
                    timeout=self._timeout,
                ) as resp:
                    data = await _read_json(resp)
                    if 200 <= resp.status < 300:
                        if isinstance(data, dict):
                            return data
                        if method != "GET" and data is None:
                            return {}
                        raise ApiError(resp.status, "bad_response", "not a JSON object")
                    error = data if isinstance(data, dict) else {}
                    logger.info(
                        "API %s %s answered %s %s",
                        method,
                        _route(path),
                        resp.status,
                        error.get("error"),
                    )
                    raise ApiError(
                        resp.status,
                        str(error.get("error") or f"http_{resp.status}"),
                        str(error.get("message") or ""),
                    )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.warning("API %s %s unreachable: %s", method, _route(path), type(exc).__name__)
            raise ApiError(None, "unreachable", type(exc).__name__) from None

    async def resolve_place(self, q: str) -> dict[str, Any]:
        """POST /api/places/resolve {"q"}: {"zip", "town", "state", "lat", "lon", ...}."""
        return await self.request("POST", "/api/places/resolve", body={"q": q})

    async def search_services(
        self,
        need: str,
        near: str,
        limit: int = 3,
        offset: int = 0,
        features: list[str] | tuple[str, ...] | None = None,
        language: str = "en",
    ) -> dict[str, Any]:
        """POST /api/services/search: {"place", "need": {"label", ...}, "more", "results", ...}.

        features: feature keys from data/taxonomy.yml; only services with all of them.
        language: "en" or "es", the language of the need's label and each result's "why"."""
        body: dict[str, Any] = {
            "need": need,
            "near": near,
            "limit": limit,
            "offset": offset,
            "language": language,
        }
        if features:
            body["features"] = list(features)
        return await self.request("POST", "/api/services/search", body=body)

    async def service_details(
        self, service_id: str, location_id: str | None, language: str = "en"
    ) -> dict[str, Any]:
        """GET /api/services/{id}?location_id=&language=: name, address, phone, hours,
        intake...; language "en" or "es" for the days in `hours` and `feature_labels` (any
        other value is sent as "en": only a language code goes in the URL)."""
        return await self.get_json(
            f"/api/services/{quote(service_id, safe='')}",
            {"location_id": location_id, "language": "es" if language == "es" else "en"},
        )

    async def post_signal(
        self,
        client_id: str,
        type_: str,
        value: str | int | None = None,
        message_sid: str | None = None,
    ) -> dict[str, Any]:
        """POST /api/signals: one engagement signal from the bot."""
        body: dict[str, Any] = {"client_id": client_id, "type": type_, "source": "bot"}
        if value is not None:
            body["value"] = value
        if message_sid:
            body["message_sid"] = message_sid
        return await self.request("POST", "/api/signals", body=body)

    async def create_alert(
        self,
        client_id: str,
        kind: str,
        detail: str | None = None,
        message_sid: str | None = None,
    ) -> dict[str, Any]:
        """POST /api/alerts: an urgent alert ("crisis") or escalation ("human_requested") for
        staff; the API records its signal, tied to her message. detail is a category, never
        her words."""
        body: dict[str, Any] = {"client_id": client_id, "kind": kind}
        if detail:
            body["detail"] = detail
        if message_sid:
            body["message_sid"] = message_sid
        return await self.request("POST", "/api/alerts", body=body)

    async def update_client(self, client_id: str, **fields: Any) -> dict[str, Any]:
        """PATCH /api/clients/{id}: preferred_name, stage, due_date, baby_birth_date,
        language, pregnancy_loss."""
        return await self.request("PATCH", f"/api/clients/{quote(client_id, safe='')}", body=fields)

    # --- check-ins and contact preferences (services/openapi.yaml, tag check-ins) ------

    async def set_checkin_cadence(self, client_id: str, cadence: str) -> dict[str, Any]:
        """PUT /api/clients/{id}/checkin-cadence: how often she wants a check-in (one of
        services/checkins/cadence.py's cadences); answers her schedule."""
        return await self.request(
            "PUT",
            f"/api/clients/{quote(client_id, safe='')}/checkin-cadence",
            body={"cadence": cadence, "changed_by": "bot"},
        )

    async def check_ins(self, client_id: str) -> dict[str, Any]:
        """GET /api/clients/{id}/check-ins: {"cadence", "scheduled", ...} (cadence None when
        she has not chosen)."""
        return await self.get_json(f"/api/clients/{quote(client_id, safe='')}/check-ins", {})

    async def set_contact_preferences(self, client_id: str, **fields: Any) -> dict[str, Any]:
        """PUT /api/clients/{id}/contact-preferences: quiet_hours ("HH:MM-HH:MM", the daily
        window she does not want texts, or None) and/or discreet (bool); answers
        {"client_id", "quiet_hours", "discreet", "changed_at", "changed_by"}."""
        return await self.request(
            "PUT",
            f"/api/clients/{quote(client_id, safe='')}/contact-preferences",
            body={**fields, "changed_by": "bot"},
        )

    # --- referrals and consent (services/openapi.yaml, tags referrals and consent) ----------

    async def create_referral(
        self,
        client_id: str,
        service_id: str,
        need: str | None,
        language: str = "en",
        location_id: str | None = None,
    ) -> dict[str, Any]:
        """POST /api/referrals: a draft referral and the pending consent that covers it.

        Answers {"referral": {...}, "consent": {"id", "status", "parts": [...], "expires_at"}};
        the consent text (every 42 CFR 2.31 element) is the services side's, in `parts`."""
        body: dict[str, Any] = {
            "client_id": client_id,
            "service_id": service_id,
            "need": need,
            "created_by": "bot",
            "language": language,
        }
        if location_id:
            body["location_id"] = location_id
        return await self.request("POST", "/api/referrals", body=body)

    async def grant_consent(
        self, consent_id: str, client_id: str, message_sid: str | None
    ) -> dict[str, Any]:
        """POST /api/consents/{id}/grant: her YES (the inbound message id is her signature).

        Answers {"consent", "referral", "service": {"name", "organization", "phone"}}; 409
        when the consent is no longer pending."""
        return await self.request(
            "POST",
            f"/api/consents/{quote(consent_id, safe='')}/grant",
            body={"message_sid": message_sid, "client_id": client_id},
        )

    async def decline_consent(self, consent_id: str, client_id: str) -> dict[str, Any]:
        """POST /api/consents/{id}/decline: her NO; answers the service's contact details."""
        return await self.request(
            "POST",
            f"/api/consents/{quote(consent_id, safe='')}/decline",
            body={"client_id": client_id},
        )

    async def withdraw_consents(self, client_id: str, message_sid: str | None) -> dict[str, Any]:
        """POST /api/clients/{id}/consents/withdraw: every active or pending consent of hers.

        Answers {"withdrawn": n, "referrals_cancelled": n, "services": ["Org - Service"]}."""
        return await self.request(
            "POST",
            f"/api/clients/{quote(client_id, safe='')}/consents/withdraw",
            body={"message_sid": message_sid},
        )


def _route(path: str) -> str:
    """The path without ids, for logs: /api/clients/c-123 -> /api/clients/{id}."""
    parts = path.split("/")
    if len(parts) > 3:
        return "/".join(parts[:3] + ["{id}"] + parts[4:])
    return path


async def _read_json(resp: aiohttp.ClientResponse) -> Any:
    try:
        return await resp.json(content_type=None)
    except ValueError:
        return None
