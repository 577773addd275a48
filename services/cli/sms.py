"""`tandem sms` and `tandem fake-twilio`: talk to a running stack without a phone, and a local
fake of Twilio's Messages API."""

from __future__ import annotations

import argparse
import asyncio
import sys

import aiohttp

from services.cli.command import Command
from services.settings import load_settings


async def _send_sms(sender: str, text: str, url: str | None) -> list[str]:
    from services.gateway.signature import INBOUND_PATH as path
    from services.gateway.signature import signed_inbound
    from services.gateway.twiml import twiml_to_messages

    settings = load_settings()
    params, signature = signed_inbound(
        auth_token=settings.twilio_auth_token,
        public_url=settings.public_url,
        account_sid=settings.twilio_account_sid,
        to=settings.twilio_from_number,
        sender=sender,
        text=text,
    )
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            (url or settings.local_url).rstrip("/") + path,
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=aiohttp.ClientTimeout(total=20),
        ) as response,
    ):
        body = await response.text()
        if response.status != 200:
            raise SystemExit(f"Tandem answered {response.status}: {body[:200]}")
        return twiml_to_messages(body)


def cmd_sms(args: argparse.Namespace) -> int:
    try:
        replies = asyncio.run(_send_sms(args.sender, " ".join(args.text), args.url))
    except aiohttp.ClientError as error:
        print(f"Could not reach Tandem ({error}). Is `make run` running?", file=sys.stderr)
        return 1
    for reply in replies:
        print(reply)
        print()
    if not replies:
        print("(no reply)")
    return 0


def cmd_fake_twilio(args: argparse.Namespace) -> int:
    from aiohttp import web

    from services.clients.phones import InvalidPhone, normalize_phone
    from services.gateway.fake_twilio import create_fake_twilio_app

    settings = load_settings()
    if not settings.twilio_auth_token:
        print("TWILIO_AUTH_TOKEN is not set: run `tandem init-local` first.", file=sys.stderr)
        return 2
    try:
        opted_out = {normalize_phone(number) for number in args.opted_out}
    except InvalidPhone:
        print("--opted-out takes phone numbers such as +14135550100", file=sys.stderr)
        return 2
    app = create_fake_twilio_app(
        settings.twilio_auth_token, opted_out, callback_base_url=args.callback_base_url
    )
    print(f"fake Twilio listening; use TWILIO_API_BASE_URL=http://{args.host}:{args.port}")
    print(f"what it received: http://{args.host}:{args.port}/fake/messages", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    sms = sub.add_parser("sms", help="send a signed test SMS to a running stack, print replies")
    sms.add_argument("--from", dest="sender", required=True, help="her phone, e.g. +14135550100")
    sms.add_argument("--url", help="where Tandem listens (default TANDEM_HOST:TANDEM_PORT)")
    sms.add_argument("text", nargs="+")
    fake = sub.add_parser("fake-twilio", help="run a local fake of Twilio's Messages API")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=8089)
    fake.add_argument(
        "--opted-out",
        action="append",
        default=[],
        metavar="PHONE",
        help="answer sends to this number with error 21610 (repeatable)",
    )
    fake.add_argument(
        "--callback-base-url",
        help="deliver status callbacks here instead of the StatusCallback host (still signed "
        "for the StatusCallback URL, as behind a proxy)",
    )


COMMANDS: dict[str, Command] = {
    "sms": cmd_sms,
    "fake-twilio": cmd_fake_twilio,
}
