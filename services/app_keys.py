"""Typed keys for what the app factory puts on the aiohttp Application."""

from __future__ import annotations

from aiohttp import ClientSession, web
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

SETTINGS = web.AppKey("settings", "Settings")
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker)
HTTP = web.AppKey("http", ClientSession)
TAXONOMY = web.AppKey("taxonomy", "Taxonomy")
JUDGE = web.AppKey("judge", "SafetyJudge")
RESPONSES = web.AppKey("responses", "ResponseTexts")
PHONES = web.AppKey("phones", "PhoneVault")
GATEWAY = web.AppKey("gateway", "Gateway")
OUTBOUND = web.AppKey("outbound", "OutboundSender")
REFERRALS = web.AppKey("referrals", "ReferralService")
CONSENTS = web.AppKey("consents", "ConsentService")
OPENAPI = web.AppKey("openapi", dict)
STAFF = web.AppKey("staff", "StaffAccounts")
LOGIN_LIMITER = web.AppKey("login_limiter", "LoginLimiter")
