"""Rasa's calls to the action server: connections kept, and only the domain it reads.

Two wastes of Rasa 3.6 on every action call (several per turn: the slot-mapping validation
runs on every message, a form's validation, each custom action), found under load
(bench/results/turn_profile.md, cut 8):

- `EndpointConfig.request` opens a new aiohttp ClientSession, so a new TCP connection, for
  every call and closes it after. Here each event loop keeps one session per set of default
  headers; an action server process that dies closes its connections, and the next call
  connects to one that lives (they share a port, bot/action_server.py).
- Every call carried the whole domain as JSON (63 KB, 55 KB of it the responses), encoded by
  Rasa and parsed by the action server each time. rasa-sdk reads only the domain's `slots`
  and `forms` (form and slot-mapping validation), and Tandem's actions read none of it, so
  that is all that is sent. The rest (her session's events) is encoded with ujson, as the
  action server (Sanic) decodes it: about half the time of the standard library's encoder.

bot/rasa_server.py installs both before Rasa starts.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
import ujson
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

# What rasa-sdk reads of the domain (rasa_sdk/forms.py, rasa_sdk/slots.py).
DOMAIN_KEYS_READ = ("slots", "forms")
# Under Sanic's keep-alive (5 s), so Rasa never reuses a connection the action server is
# closing as the call goes out.
KEEPALIVE_SECONDS = 4.0

_rasa_call_format = RemoteAction._action_call_format
_sessions: dict[tuple[Any, ...], aiohttp.ClientSession] = {}


def kept_session(endpoint: EndpointConfig) -> contextlib.nullcontext[aiohttp.ClientSession]:
    """EndpointConfig.session, with one session kept per event loop and default headers
    (Rasa's `request` uses it in `async with`, which would close a session of its own)."""
    loop = asyncio.get_running_loop()
    basic = endpoint.basic_auth
    key = (loop, tuple(sorted(endpoint.headers.items())), tuple(sorted(basic.items())))
    session = _sessions.get(key)
    if session is None or session.closed:
        for old in [k for k in _sessions if k[0].is_closed()]:
            del _sessions[old]  # sessions of event loops that ended (tests start many)
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            # As Rasa's own EndpointConfig.session builds it.
            auth=aiohttp.BasicAuth(basic["username"], basic["password"]) if basic else None,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            json_serialize=ujson.dumps,
        )
        _sessions[key] = session
    return contextlib.nullcontext(session)


async def close_sessions() -> None:
    """Close the kept sessions of the running event loop (tests; a process just exits)."""
    loop = asyncio.get_running_loop()
    for key in [k for k in _sessions if k[0] is loop]:
        await _sessions.pop(key).close()


def action_call_format(self: RemoteAction, tracker: Any, domain: Domain) -> dict[str, Any]:
    """RemoteAction._action_call_format, with only the domain the action server reads."""
    call = _rasa_call_format(self, tracker, domain)
    if "domain" in call:  # Domain.as_dict(): the domain's own dict, so left unchanged
        whole = call["domain"]
        call["domain"] = {key: whole[key] for key in DOMAIN_KEYS_READ if key in whole}
    return call


def install() -> None:
    EndpointConfig.session = kept_session  # type: ignore[method-assign]
    RemoteAction._action_call_format = action_call_format  # type: ignore[method-assign]
