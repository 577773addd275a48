"""The middleware that gives every handler the request as the client made it, behind the
proxies of TANDEM_TRUSTED_PROXIES (the rule is in services/proxies.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from services.app_keys import SETTINGS
from services.proxies import client_address, client_scheme

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The request as the client made it (`request.remote`, `request.scheme`), for every
    handler and middleware after this one."""
    trusted = request.app[SETTINGS].trusted_proxies
    if not trusted:
        return await handler(request)
    peer = request.remote
    remote = client_address(peer, request.headers.getall("X-Forwarded-For", []), trusted)
    scheme = client_scheme(peer, request.scheme, request.headers.get("X-Forwarded-Proto"), trusted)
    if remote == peer and scheme == request.scheme:
        return await handler(request)
    return await handler(request.clone(remote=remote or "unknown", scheme=scheme))
