"""Twilio's REST API for outbound messages: twilio 9's client on its aiohttp transport, with
a timeout on every request, pointed at a local fake by TWILIO_API_BASE_URL."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client as TwilioClient

from services.settings import Settings

# Twilio error 21610: "Attempt to send to unsubscribed recipient".
UNSUBSCRIBED = 21610
TWILIO_TIMEOUT_SECONDS = 15.0


class TwilioHttpClient(AsyncTwilioHttpClient):
    """twilio 9's aiohttp client, with two fixes: credentials go in an Authorization header
    (twilio 9.13 builds aiohttp.BasicAuth, deprecated since aiohttp 3.14), and requests get the
    client's timeout (twilio passes none, which means no timeout in aiohttp)."""

    async def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = aiohttp.encode_basic_auth(auth[0], auth[1])
        return await super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )


def make_twilio_client(settings: Settings) -> TwilioClient:
    """A twilio 9 REST client on its async HTTP client; TWILIO_API_BASE_URL redirects it.

    The v2010 Api domain builds every URL from `client.api.base_url` at request time
    (Domain.absolute_url), so overriding it sends Messages.json to the fake. Edge and region
    (TWILIO_EDGE/TWILIO_REGION) would rewrite that host, so they are cleared with an override.
    """
    client = TwilioClient(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS),
    )
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url.rstrip("/")
        client.edge = None
        client.region = None
    return client


class LazyTwilio:
    """Creates the Twilio client on first use and closes its HTTP session at the end."""

    def __init__(self, factory: Callable[[], TwilioClient]) -> None:
        self._factory = factory
        self._client: TwilioClient | None = None

    def get(self) -> TwilioClient:
        if self._client is None:
            self._client = self._factory()
        return self._client

    async def __aenter__(self) -> LazyTwilio:
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._client is not None:
            close = getattr(self._client.http_client, "close", None)
            if close is not None:
                await close()
            self._client = None


def create_args(settings: Settings, phone: str, body: str, status_callback: str) -> dict[str, str]:
    """The arguments of Messages.create for one text: from our number, or our Messaging Service
    when one is set (it then picks the sender)."""
    args = {"to": phone, "body": body, "status_callback": status_callback}
    if settings.twilio_messaging_service_sid:
        args["messaging_service_sid"] = settings.twilio_messaging_service_sid
    else:
        args["from_"] = settings.twilio_from_number
    return args


def error_code_of(error: TwilioRestException | TwilioServiceException) -> int | None:
    """Twilio's error code (21610: unsubscribed), when it gave one."""
    try:
        return int(error.code)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
