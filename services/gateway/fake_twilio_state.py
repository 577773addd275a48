"""What the fake Twilio (fake_twilio.py) received, and its status callbacks: posted as Twilio
posts them, signed with X-Twilio-Signature over the StatusCallback URL and the form."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from services.gateway.signature import sign

API_VERSION = "2010-04-01"


@dataclass
class Received:
    """One create request as the fake saw it."""

    http_status: int
    account_sid: str
    authorized: bool
    to: str | None = None
    from_: str | None = None
    messaging_service_sid: str | None = None
    body: str | None = None
    status_callback: str | None = None
    sid: str | None = None
    status: str | None = None
    error_code: int | None = None
    num_segments: int | None = None
    callbacks: list[dict] = field(default_factory=list)  # {"status", "error_code", "http_status"}

    def to_json(self) -> dict:
        data = asdict(self)
        data["from"] = data.pop("from_")
        return data


@dataclass
class FakeTwilio:
    auth_token: str
    opted_out: set[str] = field(default_factory=set)
    callback_delay: float = 0.05
    auto_callbacks: bool = True
    callback_base_url: str | None = None
    # The sender a Messaging Service picks from its pool when no From is given.
    pool_number: str = "+14135550199"
    received: list[Received] = field(default_factory=list)
    http: aiohttp.ClientSession | None = None
    tasks: set[asyncio.Task] = field(default_factory=set)

    @property
    def messages(self) -> list[Received]:
        """The requests that created a message (201)."""
        return [r for r in self.received if r.sid]

    def find(self, sid: str) -> Received:
        for record in self.received:
            if record.sid == sid:
                return record
        raise KeyError(sid)

    async def fire_status(self, sid: str, status: str, error_code: int | None = None) -> int | None:
        """Post a status callback for message `sid` as Twilio would; returns the HTTP status
        Tandem answered (None if it could not be reached)."""
        if self.http is None:
            raise RuntimeError("the fake Twilio app is not running")
        record = self.find(sid)
        if not record.status_callback:
            raise ValueError(f"message {sid} has no StatusCallback")
        params = {
            "MessageSid": sid,
            "MessageStatus": status,
            "AccountSid": record.account_sid,
            "From": record.from_ or self.pool_number,
            "To": record.to or "",
            "ApiVersion": API_VERSION,
            "SmsSid": sid,
            "SmsStatus": status,
        }
        if record.messaging_service_sid:
            params["MessagingServiceSid"] = record.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        signature = sign(self.auth_token, record.status_callback, params)
        http_status: int | None
        try:
            async with self.http.post(
                self._delivery_url(record.status_callback),
                data=params,
                headers={"X-Twilio-Signature": signature},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                await response.read()
                http_status = response.status
        except (aiohttp.ClientError, TimeoutError):
            http_status = None
        record.status = status
        record.callbacks.append(
            {"status": status, "error_code": error_code, "http_status": http_status}
        )
        return http_status

    async def drain(self) -> None:
        """Wait until every automatic callback has been posted."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    def _delivery_url(self, url: str) -> str:
        if not self.callback_base_url:
            return url
        base = urlsplit(self.callback_base_url)
        target = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))

    async def _auto_callbacks(self, sid: str) -> None:
        for status in ("sent", "delivered"):
            await asyncio.sleep(self.callback_delay)
            await self.fire_status(sid, status)

    def schedule_callbacks(self, sid: str) -> None:
        task = asyncio.get_running_loop().create_task(self._auto_callbacks(sid))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
