"""The services app factory: gateway, API and health on one aiohttp application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware

from safety import embedding
from safety.judge import default_judge
from services import app_keys, metrics
from services.alerts import api as alerts_api
from services.checkins import api as checkins_api
from services.checkins import stage_library
from services.checkins.dispatcher import CheckInDispatcher, telling_rasa
from services.clients import api as clients_api
from services.clients.phones import PhoneVault
from services.consent import api as consent_api
from services.consent.service import ConsentService
from services.dashboard import casework_pages, staff_pages, stage_pages
from services.dashboard import pages as dashboard_pages
from services.dashboard.accounts import StaffAccounts
from services.dashboard.guard import dashboard_guard, session_storage
from services.dashboard.limits import LoginLimiter
from services.db import encrypted
from services.db.base import utcnow
from services.db.engine import make_engine, make_sessionmaker
from services.directory import api as directory_api
from services.directory.taxonomy import load_taxonomy
from services.engagement import api as engagement_api
from services.forwarded import forwarded
from services.gateway import routes as gateway_routes
from services.gateway import status, worker
from services.gateway.inbound import Gateway
from services.gateway.keywords import load_keywords
from services.gateway.outbound import OutboundSender
from services.gateway.rasa_pool import RasaPool
from services.gateway.replay import Replayer
from services.health import routes as health_routes
from services.logs import log_event
from services.nlg.responses import load_response_texts
from services.openapi import load_openapi
from services.openapi import routes as openapi_routes
from services.privacy.tracker_events import TrackerEvents
from services.referrals import api as referrals_api
from services.referrals.service import ReferralService
from services.settings import SECRET_FIELDS, Settings, load_settings
from services.web import errors, service_token

logger = logging.getLogger(__name__)


class MissingSecrets(RuntimeError):
    pass


def _require_secrets(settings: Settings) -> None:
    missing = [name.upper() for name in SECRET_FIELDS if not getattr(settings, name)]
    if missing:
        raise MissingSecrets(
            "missing " + ", ".join(missing) + ": run `tandem init-local` (development) "
            "or set them in the environment"
        )


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[app_keys.SETTINGS].effective_database_url)
    app[app_keys.ENGINE] = engine
    app[app_keys.SESSIONS] = make_sessionmaker(engine)
    yield
    await engine.dispose()


async def _stage_messages(app: web.Application) -> AsyncIterator[None]:
    """The stage-message library's keys the table lacks, from its YAML, and its words for the
    messages no staff member has edited (staff edits kept).
    A database that is not reachable yet only delays this to the next start: /readyz says so."""
    try:
        async with app[app_keys.SESSIONS]() as session, session.begin():
            added = await stage_library.seed_missing(session, utcnow())
            followed = await stage_library.follow_defaults(session, utcnow())
    except Exception:  # noqa: BLE001 - the app still serves what it can
        log_event(logger, "stage_messages_seed_failed", logging.WARNING, exc_info=True)
    else:
        if added or followed:
            log_event(logger, "stage_messages_seeded", count=added, updated=followed)
    yield


async def _workflows(app: web.Application) -> AsyncIterator[None]:
    app[app_keys.REFERRALS] = ReferralService(
        app[app_keys.SESSIONS], app[app_keys.TAXONOMY], app[app_keys.SETTINGS], app[app_keys.PHONES]
    )
    app[app_keys.CONSENTS] = ConsentService(app[app_keys.SESSIONS], app[app_keys.TAXONOMY])
    app[app_keys.STAFF] = StaffAccounts(app[app_keys.SESSIONS], app[app_keys.SETTINGS])
    yield


# Idle connections to Rasa are dropped before Rasa's server (Sanic) closes them at 5 s: a
# turn sent on a connection Sanic is closing would fail and get the holding reply.
RASA_KEEPALIVE_SECONDS = 4.0


async def _http_client(app: web.Application) -> AsyncIterator[None]:
    connector = aiohttp.TCPConnector(keepalive_timeout=RASA_KEEPALIVE_SECONDS)
    async with aiohttp.ClientSession(connector=connector) as session:
        app[app_keys.HTTP] = session
        yield


async def _gateway(app: web.Application) -> AsyncIterator[None]:
    settings = app[app_keys.SETTINGS]
    # The crisis judgement's sentence encoder loads in about a second: now, not on a crisis.
    await asyncio.to_thread(embedding.warm_up)
    sender = OutboundSender(settings, app[app_keys.SESSIONS], app[app_keys.PHONES])
    rasa = RasaPool.from_settings(settings, app[app_keys.HTTP])
    replayer = Replayer(
        sessions=app[app_keys.SESSIONS],
        rasa=rasa,
        judge=app[app_keys.JUDGE],
        # Replies to replayed messages go out as proactive SMS: late, so opt-out and quiet
        # hours (the program's and hers) apply.
        deliver=sender.deliver_replies,
    )
    gateway = Gateway(
        settings=settings,
        sessions=app[app_keys.SESSIONS],
        vault=app[app_keys.PHONES],
        judge=app[app_keys.JUDGE],
        texts=app[app_keys.RESPONSES],
        keywords=load_keywords(),
        replayer=replayer,
        tracker=TrackerEvents(settings.effective_tracker_store_url),
    )
    app[app_keys.GATEWAY] = gateway
    app[app_keys.OUTBOUND] = sender
    check_ins = CheckInDispatcher(
        settings,
        app[app_keys.SESSIONS],
        sender,
        announce=telling_rasa(rasa),
    )
    interval = settings.tandem_worker_interval_seconds
    async with worker.running(replayer, interval, jobs=[sender.send_due, check_ins.dispatch_due]):
        yield
    await gateway.tracker.dispose()


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or load_settings()
    _require_secrets(settings)
    # Staff sessions (cookie scoped to /dashboard/) are read by the dashboard guard only; /api/*
    # and /metrics take the service token and nothing else.
    app = web.Application(
        middlewares=[
            forwarded,  # first: everything after sees her address behind a trusted proxy
            metrics.timed,
            errors,
            service_token,
            session_middleware(session_storage(settings)),
            dashboard_guard,
        ],
        client_max_size=64 * 1024,
    )
    app[app_keys.SETTINGS] = settings
    app[app_keys.LOGIN_LIMITER] = LoginLimiter(
        settings.tandem_login_ip_limit_count, settings.tandem_login_ip_limit_seconds
    )
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("services.dashboard", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
    )
    app[app_keys.TAXONOMY] = load_taxonomy()
    app[app_keys.JUDGE] = default_judge()
    app[app_keys.RESPONSES] = load_response_texts()
    app[app_keys.PHONES] = PhoneVault(
        settings.tandem_phone_hash_key, settings.tandem_phone_encryption_keys
    )
    encrypted.use_keys(settings.tandem_phone_encryption_keys)
    app[app_keys.OPENAPI] = load_openapi()
    app.cleanup_ctx.extend([_database, _stage_messages, _workflows, _http_client, _gateway])
    app.add_routes(health_routes)
    app.add_routes(gateway_routes.routes)
    app.add_routes(status.routes)
    app.add_routes(directory_api.routes)
    app.add_routes(clients_api.routes)
    app.add_routes(engagement_api.routes)
    app.add_routes(checkins_api.routes)
    app.add_routes(alerts_api.routes)
    app.add_routes(referrals_api.routes)
    app.add_routes(consent_api.routes)
    app.add_routes(openapi_routes)
    app.add_routes(metrics.routes)
    app.add_routes(dashboard_pages.routes)
    app.add_routes(casework_pages.routes)
    app.add_routes(staff_pages.routes)
    app.add_routes(stage_pages.routes)
    return app
