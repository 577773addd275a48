"""A fake Twilio Messages API for tests and demos, speaking Twilio's real shapes.

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json   (HTTP basic auth AccountSid:token)
        201 with the Message resource; 401 {"code": 20003, ...} on bad credentials;
        400 {"code": 21610, ...} for numbers in `opted_out`; 400 21604/21602/21603 when To,
        Body, or both From and MessagingServiceSid are missing.
    GET  /fake/messages      every create request it received (JSON), for demos and tests
    POST /fake/status        form MessageSid, MessageStatus[, ErrorCode]: fire a status callback

After a 201 it posts the status callbacks "sent" then "delivered" to the StatusCallback URL,
signed like Twilio (X-Twilio-Signature over that URL and the form). `callback_base_url`, when
set, delivers them elsewhere (as a proxy in front of Tandem would) while still signing the
StatusCallback URL. Point TWILIO_API_BASE_URL at this server to use it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime

import aiohttp
from aiohttp import web

from services.gateway.fake_twilio_state import API_VERSION, FakeTwilio, Received
from sms_text.segments import count_segments

ERRORS = {
    20003: (401, "Authenticate"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
}


def twilio_error(code: int) -> web.Response:
    status, message = ERRORS[code]
    payload: dict[str, object] = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    headers = {}
    if status == 401:
        payload["detail"] = "Your AccountSid or AuthToken was incorrect."
        headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return web.json_response(payload, status=status, headers=headers)


FAKE_TWILIO = web.AppKey("fake_twilio", FakeTwilio)
routes = web.RouteTableDef()


def _authorized(request: web.Request, account_sid: str, auth_token: str) -> bool:
    """HTTP basic auth with AccountSid:AuthToken."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        login, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    expected = f"{account_sid}:{auth_token}".encode()
    return bool(auth_token) and hmac.compare_digest(f"{login}:{password}".encode(), expected)


@routes.post("/2010-04-01/Accounts/{account_sid}/Messages.json")
async def create_message(request: web.Request) -> web.Response:
    fake = request.app[FAKE_TWILIO]
    account_sid = request.match_info["account_sid"]
    form = await request.post()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    record = Received(
        http_status=0,
        account_sid=account_sid,
        authorized=_authorized(request, account_sid, fake.auth_token),
        to=params.get("To"),
        from_=params.get("From"),
        messaging_service_sid=params.get("MessagingServiceSid"),
        body=params.get("Body"),
        status_callback=params.get("StatusCallback"),
    )
    fake.received.append(record)
    if not record.authorized:
        error = 20003
    elif not record.to:
        error = 21604
    elif not record.from_ and not record.messaging_service_sid:
        error = 21603
    elif not record.body:
        error = 21602
    elif record.to in fake.opted_out:
        error = 21610
    else:
        error = 0
    if error:
        response = twilio_error(error)
        record.http_status, record.error_code = response.status, error
        return response

    sid = "SM" + secrets.token_hex(16)
    now = format_datetime(datetime.now(UTC))
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"
    # With a Messaging Service and no From, Twilio answers "accepted" and picks the sender later.
    status = "queued" if record.from_ else "accepted"
    record.http_status, record.sid, record.status = 201, sid, status
    record.num_segments = count_segments(record.body or "")
    resource = {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": record.body,
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": record.from_,
        "messaging_service_sid": record.messaging_service_sid,
        "num_media": "0",
        "num_segments": str(record.num_segments),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
        "to": record.to,
        "uri": uri,
    }
    if fake.auto_callbacks and record.status_callback:
        fake.schedule_callbacks(sid)
    return web.json_response(resource, status=201)


@routes.get("/fake/messages")
async def list_received(request: web.Request) -> web.Response:
    return web.json_response([r.to_json() for r in request.app[FAKE_TWILIO].received])


@routes.post("/fake/status")
async def fire_status(request: web.Request) -> web.Response:
    fake = request.app[FAKE_TWILIO]
    form = await request.post()
    sid, status = str(form.get("MessageSid", "")), str(form.get("MessageStatus", ""))
    raw_code = str(form.get("ErrorCode", "") or "")
    if not status:
        return web.json_response({"error": "MessageStatus is required"}, status=400)
    try:
        fake.find(sid)
    except KeyError:
        return web.json_response({"error": "unknown MessageSid"}, status=404)
    http_status = await fake.fire_status(sid, status, int(raw_code) if raw_code.isdigit() else None)
    return web.json_response({"http_status": http_status})


async def _http_session(app: web.Application):  # type: ignore[no-untyped-def]
    fake = app[FAKE_TWILIO]
    async with aiohttp.ClientSession() as http:
        fake.http = http
        yield
        for task in list(fake.tasks):
            task.cancel()
        await asyncio.gather(*list(fake.tasks), return_exceptions=True)
        fake.http = None


def create_fake_twilio_app(
    auth_token: str,
    opted_out: set[str] | None = None,
    callback_delay: float = 0.05,
    *,
    auto_callbacks: bool = True,
    callback_base_url: str | None = None,
) -> web.Application:
    app = web.Application()
    app[FAKE_TWILIO] = FakeTwilio(
        auth_token=auth_token,
        opted_out=set(opted_out or ()),
        callback_delay=callback_delay,
        auto_callbacks=auto_callbacks,
        callback_base_url=callback_base_url,
    )
    app.cleanup_ctx.append(_http_session)
    app.add_routes(routes)
    return app
