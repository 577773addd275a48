"""Twilio's webhook requests, verified strictly: `verify_twilio`, for both webhooks.

Twilio posts `application/x-www-form-urlencoded` in UTF-8; anything else, or a body that does not
parse, is a 4xx with a short reason and no traceback (the sender's bytes stay out of the log).

After the signature check, the ids are checked too. Twilio signs one string: the URL, then every
key and value concatenated in key order, so from a captured request `MessageSid=SM…` +
`NumMedia=0` can be re-split into `MessageSid=SM…NumMedia0` with the same signature and a "new"
MessageSid. Requiring the exact sid format (SM/MM + 32 hex), and for an inbound message a
present, small NumMedia, pins every boundary the replay would move.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from aiohttp import web

from services.app_keys import SETTINGS
from services.gateway.signature import is_valid_signature, signed_url

FORM_TYPE = "application/x-www-form-urlencoded"
CHARSETS = {None, "utf-8", "utf8"}
SID_NAMES = ("MessageSid", "SmsSid")
MESSAGE_SID = re.compile(r"(?:SM|MM)[0-9a-fA-F]{32}")
NUM_MEDIA = re.compile(r"[0-9]{1,2}")  # Twilio allows at most 10 media per message


class BadForm(Exception):
    """A webhook request Tandem refuses; `reason` is a metric label, `message` goes back."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message

    def http(self) -> web.HTTPClientError:
        kind = {415: web.HTTPUnsupportedMediaType, 403: web.HTTPForbidden}.get(
            self.status, web.HTTPBadRequest
        )
        return kind(text=self.message)


async def verify_twilio(request: web.Request) -> dict[str, str]:
    """The form of a webhook request that Twilio signed, with a MessageSid in Twilio's format;
    BadForm otherwise (4xx for the form, 403 for the signature, 400 for the sid)."""
    settings = request.app[SETTINGS]
    params = await read_form(request)
    url = signed_url(settings.public_url, request.path_qs)
    signature = request.headers.get("X-Twilio-Signature")
    if not is_valid_signature(settings.twilio_auth_token, url, params, signature):
        raise BadForm(403, "bad_signature", "invalid signature")
    message_sid(params)
    return params


async def read_form(request: web.Request) -> dict[str, str]:
    """The form's text fields, or BadForm (415 for the wrong type or charset, 400 otherwise)."""
    if request.content_type != FORM_TYPE:
        raise BadForm(415, "content_type", f"Send {FORM_TYPE}.")
    charset = request.charset.lower() if request.charset else None
    if charset not in CHARSETS:
        raise BadForm(415, "charset", "Send the form in UTF-8.")
    try:
        form = await request.post()
    except UnicodeDecodeError:
        raise BadForm(400, "malformed", "The form is not valid UTF-8.") from None
    except (ValueError, LookupError, RuntimeError):
        raise BadForm(400, "malformed", "The form could not be parsed.") from None
    return {k: v for k, v in form.items() if isinstance(v, str)}


def message_sid(params: Mapping[str, str]) -> str:
    """The MessageSid (or SmsSid), which must be Twilio's format and agree with each other."""
    given = {params[name] for name in SID_NAMES if name in params}
    if not given or len(given) > 1 or not all(MESSAGE_SID.fullmatch(v) for v in given):
        raise BadForm(
            400, "bad_sid", "MessageSid and SmsSid must be SM or MM followed by 32 hex digits."
        )
    return given.pop()


def num_media(params: Mapping[str, str]) -> int:
    raw = params.get("NumMedia")
    if raw is None or not NUM_MEDIA.fullmatch(raw):
        raise BadForm(400, "bad_num_media", "NumMedia must be present and a small number.")
    return int(raw)
