"""A real local HTTP server playing Tandem's services API, for the action tests.

It answers in the API's shapes (directory search and details, places, signals, alerts,
client profiles, and referrals with consent, as services/openapi.yaml sets them out), records
every request, keeps the referrals' and consents' states, and can be told to fail.
`running()` starts it on 127.0.0.1 (port 0) and points TANDEM_API_URL and TANDEM_SERVICE_TOKEN
at it; when the test is done, every call the actions made and every answer the fake gave
must match services/openapi.yaml (tests/bot/openapi_check.py), so the fake cannot drift from
the API it plays.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import signals
from actions.taxonomy import feature_label, label_of
from tests.bot.openapi_check import document, request_problems, response_problems

TOKEN = "svc-token-for-tests"
NOW = "2026-01-05T15:00:00Z"  # every time stamp the fake answers with

SPRINGFIELD = {"zip": "01105", "town": "Springfield", "state": "MA", "lat": 42.1, "lon": -72.6}
HOLYOKE = {"zip": None, "town": "Holyoke", "state": "MA", "lat": 42.2, "lon": -72.6}
FEATURES = {
    "masshealth",
    "childcare_onsite",
    "transport_help",
    "perinatal",
    "women_only",
    "evening_hours",
    "weekend_hours",
    "telehealth",
    "spanish",
    "walk_in",
    "same_week_intake",
}


def service(i: int, **overrides: Any) -> dict[str, Any]:
    result = {
        "service_id": f"svc-{i}",
        "location_id": f"loc-{i}",
        "name": f"Demo Recovery Program {i}",
        "organization_id": f"org-{i}",
        "town": "Springfield",
        "address": f"{100 + i} Main St, Springfield, MA 01105",
        "phone": f"(413) 555-01{i:02d}",
        "distance_miles": 0.5 * i,
        "codes": ["moud_buprenorphine"],
        "features": ["masshealth"],
        "why": f"{0.5 * i} mi away; takes MassHealth",
    }
    result.update(overrides)
    return result


def in_spanish(result: dict[str, Any]) -> dict[str, Any]:
    """A result as the API answers it for language "es": its why in Spanish, composed as
    services/directory/search/formatting.py::explain does for one code."""
    labels = [feature_label(f, "es") for f in result.get("features") or []]
    why = "; ".join([f"a {result['distance_miles']:.1f} millas", *labels][:4])
    return {**result, "why": why}


def details(i: int, **overrides: Any) -> dict[str, Any]:
    summary = "Outpatient buprenorphine for pregnant and parenting women."
    result = {
        "service_id": f"svc-{i}",
        "location_id": f"loc-{i}",
        "name": f"Demo Recovery Program {i}",
        "organization": f"Demo Org {i}",
        "description": "DEMO DATA (fictional): " + summary,
        "summary": summary,
        "address": f"{100 + i} Main St, Springfield, MA 01105",
        "town": "Springfield",
        "phone": f"(413) 555-01{i:02d}",
        "hours": "Mon-Fri 8am-6pm",
        "application_process": "Call to set up an intake visit, usually within a week",
        "eligibility_description": None,
        "what_to_bring": "Photo ID and your MassHealth card if you have one",
        "fees_description": "MassHealth accepted; sliding scale",
        "url": None,
        "codes": ["moud_buprenorphine"],
        "code_labels": ["buprenorphine (Suboxone)"],
        "features": ["masshealth", "childcare_onsite"],
        "feature_labels": ["takes MassHealth", "childcare on site"],
    }
    result.update(overrides)
    return result


# The days of a service's hours in Spanish, as services/directory/details.py writes them.
DAYS_ES = {
    "Mon": "lun", "Tue": "mar", "Wed": "mie", "Thu": "jue", "Fri": "vie", "Sat": "sab",
    "Sun": "dom",
}  # fmt: skip


def details_in_spanish(result: dict[str, Any]) -> dict[str, Any]:
    """Details as the API answers them for language "es": the days of the hours, the code
    and feature labels in Spanish; the directory's own texts as they are."""
    hours = result.get("hours")
    if isinstance(hours, str):
        hours = re.sub(r"\b(" + "|".join(DAYS_ES) + r")\b", lambda m: DAYS_ES[m[1]], hours)
    return {
        **result,
        "hours": hours,
        "code_labels": [label_of(c, "es") for c in result.get("codes") or []],
        "feature_labels": [feature_label(f, "es") for f in result.get("features") or []],
    }


@dataclass
class FakeApi:
    """What the fake services API answers, and what it was asked."""

    places: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "01105": SPRINGFIELD,
            "springfield": SPRINGFIELD,
            "holyoke": HOLYOKE,
        }
    )
    results: list[dict[str, Any]] = field(default_factory=list)
    label: str = "buprenorphine (Suboxone)"
    # As the real search: false, and `total` counts only the page and one more when more follow.
    total_exact: bool = True
    services_status: int = 200
    services_error: str = ""
    # Status codes for the write endpoints (201/200 unless told otherwise).
    signals_status: int = 201
    signals_failures: int = 0  # answer this many signal posts with 503 first
    signals_held: asyncio.Event | None = None  # signal posts wait for it to be set
    alerts_status: int = 201
    clients_status: int = 200
    details_status: int = 200
    # Fields of every service's details to answer instead of details(i)'s (in English).
    details_overrides: dict[str, Any] = field(default_factory=dict)
    # Referrals and consent (the contract): statuses to answer instead of success, the consent
    # text's parts, and the state the endpoints keep.
    referral_status: int = 201
    grant_status: int = 200
    grant_error: str = "internal"  # the error code answered with a grant_status other than 200
    decline_status: int = 200
    withdraw_status: int = 200
    # What the API decided for the referrals it makes (on for domestic-violence services).
    do_not_contact: bool = False
    consent_parts: list[str] = field(
        default_factory=lambda: [
            "Consent part 1: Tandem would share your first name and phone number with them.",
            "Consent part 2: reply YES to agree (your signature) or NO. Expires in 90 days.",
        ]
    )
    # Check-ins and contact preferences: her cadence (GET check-ins answers it), her
    # preferences as last saved, and statuses to answer instead of success.
    cadence: str | None = None
    cadence_status: int = 200
    preferences: dict[str, Any] = field(
        default_factory=lambda: {"quiet_hours": None, "discreet": False}
    )
    preferences_status: int = 200
    # Answers that differ from services/openapi.yaml on purpose (a broken API): the test
    # expects at least one such answer, and the calls must still match.
    off_contract: bool = False
    # The state the endpoints keep, by id ("1", "2"... as in the URLs).
    referrals: dict[str, dict[str, Any]] = field(default_factory=dict)
    consents: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Where the calls and the answers differ from services/openapi.yaml.
    call_problems: list[str] = field(default_factory=list)
    answer_problems: list[str] = field(default_factory=list)

    # -- what was asked ------------------------------------------------------------------
    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [r["json"] for r in self.requests if r["path"] == path]

    @property
    def signals(self) -> list[dict[str, Any]]:
        return self.bodies("/api/signals")

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return self.bodies("/api/alerts")

    @property
    def recorded_signals(self) -> list[str]:
        """The signal types the real API would have stored: each signal posted, and the one
        it records with each alert (services/alerts/alerts.py)."""
        return [
            r["json"]["type"] if r["path"] == "/api/signals" else r["json"]["kind"]
            for r in self.requests
            if r["path"] in ("/api/signals", "/api/alerts") and r["json"]
        ]

    def patches(self, client_id: str) -> list[dict[str, Any]]:
        return self.bodies(f"/api/clients/{client_id}")

    def consent(
        self, client_id: str = "client-7", service: int = 2, status: str = "pending"
    ) -> str:
        """A consent (and its referral) already on file; returns the consent id."""
        n = len(self.consents) + 1
        referral_id = consent_id = str(n)
        self.referrals[referral_id] = {
            "id": referral_id,
            "client_id": client_id,
            "service_id": f"svc-{service}",
            "location_id": f"loc-{service}",
            "need": "moud_buprenorphine",
            "consent_id": consent_id,
            "status": {"pending": "draft", "active": "requested"}.get(status, "cancelled"),
            "do_not_contact": self.do_not_contact,
        }
        self.consents[consent_id] = {
            "id": consent_id,
            "client_id": client_id,
            "status": status,
            "language": "en",
            "referral_id": referral_id,
            "message_sid": None,
        }
        return consent_id

    # -- the API's shapes of the state -----------------------------------------------------
    def details_of(self, i: int) -> dict[str, Any]:
        """The details of place i, in English, with details_overrides."""
        return {**details(i), **self.details_overrides}

    def _service_of(self, referral: dict[str, Any]) -> dict[str, Any]:
        """The ServiceContact of a referral's place."""
        d = self.details_of(int(str(referral["service_id"]).split("-")[-1]))
        keys = ("service_id", "location_id", "name", "organization", "phone", "address", "town")
        return {**{k: d[k] for k in keys}, "hours": d["hours"]}

    def _referral(self, referral: dict[str, Any]) -> dict[str, Any]:
        service = self._service_of(referral)
        return {
            "id": int(referral["id"]),
            "client_id": referral["client_id"],
            "service_id": referral["service_id"],
            "location_id": referral["location_id"],
            "service_name": service["name"],
            "organization": service["organization"],
            "need": referral["need"],
            "created_by": "bot",
            "status": referral["status"],
            "reason": None,
            "outcome": None,
            "do_not_contact": referral["do_not_contact"],
            "consent_id": int(referral["consent_id"]),
            "created_at": NOW,
            "updated_at": NOW,
        }

    def _consent(self, consent: dict[str, Any]) -> dict[str, Any]:
        referral = self.referrals[consent["referral_id"]]
        service = self._service_of(referral)
        signed = consent["status"] == "active"
        return {
            "id": int(consent["id"]),
            "client_id": consent["client_id"],
            "status": consent["status"],
            "language": consent["language"],
            "patient_name": None,
            "disclosed_by": "Tandem",
            "information": "your first name and phone number",
            "recipient": f"{service['organization']} - {service['name']}",
            "recipient_organization_id": None,
            "purpose": "so they can contact you about a first visit",
            "revocation": "text CANCEL MY REFERRAL anytime",
            "expires_at": "2099-01-01T00:00:00Z",
            "parts": self.consent_parts,
            "signed_message_sid": consent["message_sid"] if signed else None,
            "signed_at": NOW if signed else None,
            "withdrawn_message_sid": (
                consent["message_sid"] if consent["status"] == "withdrawn" else None
            ),
            "created_at": NOW,
            "status_changed_at": None,
            "status_changed_by": None,
        }

    async def record(self, request: web.Request) -> None:
        body = None
        if request.body_exists:
            body = await request.json()
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "url": request.raw_path,  # path and query string exactly as sent
                "query": dict(request.query),
                "authorization": request.headers.get("Authorization"),
                "json": body,
            }
        )

    # -- handlers ------------------------------------------------------------------------
    async def resolve(self, request: web.Request) -> web.Response:
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        q = body.get("q")
        if not isinstance(q, str):
            return error("invalid_field", 400, field="q")
        place = self.places.get(q.strip().lower())
        if place is None:
            return error("place_not_found", 404)
        return web.json_response({"query": q, **place})

    async def search(self, request: web.Request) -> web.Response:
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        if self.services_status != 200:
            return error(self.services_error, self.services_status)
        near = body["near"]
        place = self.places.get(near.lower())
        if place is None:
            return error("place_not_found", 404)
        limit, offset = body["limit"], body["offset"]
        wanted = body.get("features") or []
        if not isinstance(wanted, list) or set(wanted) - FEATURES:
            return error("unknown_feature", 400)
        language = body.get("language", "en")
        if language not in ("en", "es"):
            return error("invalid_field", 400, field="language")
        results = [r for r in self.results if set(wanted) <= set(r.get("features") or [])]
        need = body["need"]
        label = self.label if language == "en" else label_of(need, "es")
        page = [in_spanish(r) if language == "es" else r for r in results[offset : offset + limit]]
        more = len(results) > offset + limit
        exact = self.total_exact or not more
        return web.json_response(
            {
                "place": {"query": near, **place},
                "need": {"query": need, "codes": [need], "label": label},
                "features": wanted,
                "total": len(results) if exact else offset + limit + 1,
                "total_exact": exact,
                "more": more,
                "offset": offset,
                "limit": limit,
                "radius_miles": float(body.get("radius", 25)),
                "results": page,
            }
        )

    async def service_details(self, request: web.Request) -> web.Response:
        await self.record(request)
        if self.details_status != 200:
            return error("not_found", self.details_status)
        language = request.query.get("language", "en")
        if language not in ("en", "es"):
            return error("invalid_field", 400, field="language")
        i = int(request.match_info["service_id"].split("-")[-1])
        answer = self.details_of(i)
        return web.json_response(details_in_spanish(answer) if language == "es" else answer)

    async def signal(self, request: web.Request) -> web.Response:
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        if self.signals_held is not None:
            await self.signals_held.wait()
        if self.signals_failures > 0:
            self.signals_failures -= 1
            return error("unavailable", 503)
        if self.signals_status != 201:
            return error("internal", self.signals_status)
        value = body.get("value")
        return web.json_response(
            {
                "id": len(self.requests),
                "client_id": body["client_id"],
                "type": body["type"],
                "value": None if value is None else str(value),
                "source": body.get("source", "bot"),
                "message_sid": body.get("message_sid"),
                "created_at": NOW,
            },
            status=201,
        )

    async def alert(self, request: web.Request) -> web.Response:
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        if self.alerts_status != 201:
            return error("internal", self.alerts_status)
        return web.json_response(
            {
                "id": len(self.requests),
                "client_id": body["client_id"],
                "kind": body["kind"],
                "detail": body.get("detail"),
                "status": "open",
                "created_at": NOW,
                "acknowledged_at": None,
                "acknowledged_by": None,
            },
            status=201,
        )

    async def client(self, request: web.Request) -> web.Response:
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        if self.clients_status != 200:
            return error("invalid_field", self.clients_status, field="x")
        profile = {
            "client_id": request.match_info["client_id"],
            "preferred_name": None,
            "stage": None,
            "due_date": None,
            "baby_birth_date": None,
            "stage_messages_stopped": bool(body.get("pregnancy_loss")),
            "language": "en",
        }
        return web.json_response({**profile, **{k: v for k, v in body.items() if k in profile}})

    # -- check-ins and contact preferences -------------------------------------------------
    def _schedule(self, client_id: str) -> dict[str, Any]:
        return {
            "client_id": client_id,
            "cadence": self.cadence,
            "cadence_changed_at": NOW if self.cadence else None,
            "cadence_changed_by": "bot" if self.cadence else None,
            "scheduled": [],
        }

    async def set_cadence(self, request: web.Request) -> web.Response:
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        if self.cadence_status != 200:
            return error("internal", self.cadence_status)
        if body.get("cadence") not in CADENCES:
            return error("invalid_cadence", 422, field="cadence")
        self.cadence = body["cadence"]
        return web.json_response(self._schedule(request.match_info["client_id"]))

    async def check_ins(self, request: web.Request) -> web.Response:
        await self.record(request)
        if self.cadence_status != 200:
            return error("internal", self.cadence_status)
        return web.json_response(self._schedule(request.match_info["client_id"]))

    async def set_preferences(self, request: web.Request) -> web.Response:
        """PUT contact-preferences as the services side sets it out (issue 14): each field
        optional, quiet_hours "HH:MM-HH:MM" or null, discreet a bool; 400 on bad input."""
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        if self.preferences_status != 200:
            return error("internal", self.preferences_status)
        quiet = body.get("quiet_hours")
        if "quiet_hours" in body and quiet is not None and not QUIET_HOURS.fullmatch(quiet):
            return error("invalid_field", 400, field="quiet_hours")
        if "discreet" in body and not isinstance(body["discreet"], bool):
            return error("invalid_field", 400, field="discreet")
        self.preferences.update({k: body[k] for k in ("quiet_hours", "discreet") if k in body})
        return web.json_response(
            {
                "client_id": request.match_info["client_id"],
                **self.preferences,
                "changed_at": NOW,
                "changed_by": body.get("changed_by", "bot"),
            }
        )

    # -- referrals and consent (services/openapi.yaml, tag referrals and consent) ----------
    async def create_referral(self, request: web.Request) -> web.Response:
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        if self.referral_status != 201:
            return error("service_not_found", self.referral_status)
        required = ("client_id", "service_id", "created_by", "language")
        missing = [k for k in required if not body.get(k)]
        if missing:
            return error("invalid_field", 422, field=missing[0])
        consent_id = self.consent(body["client_id"], int(body["service_id"].split("-")[-1]))
        consent = self.consents[consent_id]
        consent["language"] = body["language"]
        referral = self.referrals[consent["referral_id"]]
        referral.update(need=body.get("need"), location_id=body.get("location_id"))
        return web.json_response(
            {"referral": self._referral(referral), "consent": self._consent(consent)},
            status=201,
        )

    def _answer(self, consent: dict[str, Any]) -> dict[str, Any]:
        referral = self.referrals[consent["referral_id"]]
        return {
            "consent": self._consent(consent),
            "referral": self._referral(referral),
            "service": self._service_of(referral),
        }

    async def grant(self, request: web.Request) -> web.Response:
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        if self.grant_status != 200:
            return error(self.grant_error, self.grant_status)
        consent = self.consents.get(request.match_info["consent_id"])
        if consent is None or consent["client_id"] != body.get("client_id"):
            return error("not_found", 404)
        if consent["status"] != "pending":
            return error("consent_not_pending", 409)
        consent.update(status="active", message_sid=body.get("message_sid"))
        self.referrals[consent["referral_id"]]["status"] = "requested"
        return web.json_response(self._answer(consent))

    async def decline(self, request: web.Request) -> web.Response:
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        if self.decline_status != 200:
            return error("internal", self.decline_status)
        consent = self.consents.get(request.match_info["consent_id"])
        if consent is None or consent["client_id"] != body.get("client_id"):
            return error("not_found", 404)
        if consent["status"] != "pending":
            return error("consent_not_pending", 409)
        consent["status"] = "declined"
        self.referrals[consent["referral_id"]]["status"] = "cancelled"
        return web.json_response(self._answer(consent))

    async def withdraw(self, request: web.Request) -> web.Response:
        await self.record(request)
        body = self.requests[-1]["json"] or {}
        if self.withdraw_status != 200:
            return error("internal", self.withdraw_status)
        client_id = request.match_info["client_id"]
        withdrawn, cancelled, services = 0, 0, []
        for consent in self.consents.values():
            if consent["client_id"] != client_id or consent["status"] not in ("active", "pending"):
                continue
            consent.update(status="withdrawn", message_sid=body.get("message_sid"))
            withdrawn += 1
            referral = self.referrals[consent["referral_id"]]
            if referral["status"] not in ("cancelled", "completed", "entered-in-error"):
                referral["status"] = "cancelled"
                cancelled += 1
            service = self._service_of(referral)
            services.append(f"{service['organization']} - {service['name']}")
        return web.json_response(
            {"withdrawn": withdrawn, "referrals_cancelled": cancelled, "services": services}
        )

    # -- the contract ----------------------------------------------------------------------
    @web.middleware
    async def check(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Every call and every answer, against services/openapi.yaml (what the services
        side is adding in parallel is checked once the document has it: PENDING)."""
        route = request.match_info.route.resource
        template = route.canonical if route is not None else request.path
        body = await request.json() if request.body_exists else None
        if pending(request.method, template, body):
            return await handler(request)
        self.call_problems += request_problems(
            request.method, template, dict(request.match_info), dict(request.query), body
        )
        response = await handler(request)
        answer = json.loads(response.body) if isinstance(response, web.Response) else None
        self.answer_problems += response_problems(request.method, template, response.status, answer)
        return response

    def assert_on_contract(self) -> None:
        assert not self.call_problems, "calls differ from services/openapi.yaml:\n" + "\n".join(
            self.call_problems
        )
        if self.off_contract:
            assert self.answer_problems, "off_contract, yet every answer matched the API"
        else:
            assert not self.answer_problems, (
                "the fake's answers differ from services/openapi.yaml:\n"
                + "\n".join(self.answer_problems)
            )


CADENCES = ("every_few_days", "weekly", "every_2_weeks", "when_i_text", "paused")
QUIET_HOURS = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d-(?:[01]\d|2[0-3]):[0-5]\d")
# Operations the services side of issue 14 adds in parallel (contract in the brief): not in
# services/openapi.yaml yet, so checked by the handlers above until the document has them.
PENDING = {("PUT", "/api/clients/{client_id}/contact-preferences")}
PENDING_SIGNALS = {"appointment_upcoming"}


def pending(method: str, template: str, body: Any) -> bool:
    if (method, template) == ("POST", "/api/signals") and isinstance(body, dict):
        signal_types = document()["components"]["schemas"]["SignalType"]["enum"]
        return body.get("type") in PENDING_SIGNALS - set(signal_types)
    documented = document()["paths"].get(template, {}).get(method.lower())
    return (method, template) in PENDING and documented is None


def error(code: str, status: int, **extra: str) -> web.Response:
    """The API's error body: {"error", "message", ...}."""
    return web.json_response({"error": code, "message": "...", **extra}, status=status)


@asynccontextmanager
async def running(fake: FakeApi, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """The fake on a free local port, with the actions pointed at it; on a normal exit, every
    call and answer matched services/openapi.yaml."""
    app = web.Application(middlewares=[fake.check])
    app.router.add_post("/api/places/resolve", fake.resolve)
    app.router.add_post("/api/services/search", fake.search)
    app.router.add_get("/api/services/{service_id}", fake.service_details)
    app.router.add_post("/api/signals", fake.signal)
    app.router.add_post("/api/alerts", fake.alert)
    app.router.add_route("GET", "/api/clients/{client_id}", fake.client)
    app.router.add_route("PATCH", "/api/clients/{client_id}", fake.client)
    app.router.add_put("/api/clients/{client_id}/checkin-cadence", fake.set_cadence)
    app.router.add_get("/api/clients/{client_id}/check-ins", fake.check_ins)
    app.router.add_put("/api/clients/{client_id}/contact-preferences", fake.set_preferences)
    app.router.add_post("/api/referrals", fake.create_referral)
    app.router.add_post("/api/consents/{consent_id}/grant", fake.grant)
    app.router.add_post("/api/consents/{consent_id}/decline", fake.decline)
    app.router.add_post("/api/clients/{client_id}/consents/withdraw", fake.withdraw)
    async with serving(app) as url:
        monkeypatch.setenv("TANDEM_API_URL", url)
        monkeypatch.setenv("TANDEM_SERVICE_TOKEN", TOKEN)
        # Signal posts run in the background (actions/signals.py): retries without waiting,
        # and every post done before the test looks at what reached the fake.
        monkeypatch.setattr(signals, "RETRY_DELAYS", (0.0, 0.0))
        try:
            yield url
        finally:
            await signals.settled()
    fake.assert_on_contract()


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`app` on a free local port (127.0.0.1, port 0): its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def tracker(
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "inform_location",
    entities: list[dict[str, Any]] | None = None,
    new_slots: dict[str, Any] | None = None,
    events_before: list[dict[str, Any]] | None = None,
    active_loop: str | None = "find_services_form",
    message_sid: str | None = "SM0123456789abcdef",
) -> Tracker:
    """A tracker whose latest user message is `text`; `new_slots` were just extracted from it
    (the SlotSet events a form hands to its validation action); `events_before` came before
    her message."""
    values = {
        "need": None,
        "location": None,
        "search_offset": 0.0,
        "requested_slot": None,
        "search_features": None,
        "last_results": None,
        "offer": "none",
        "offered": None,
        "crisis_active": False,
        "consent_pending": False,
        "referral_consent": None,
        "referral_service": None,
        "details_shown": None,
        "introduced": True,
        "language": "en",
        "language_saved": None,
    }
    values.update(slots or {})
    values.update(new_slots or {})
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.93},
        "entities": entities or [],
        "metadata": {"message_sid": message_sid} if message_sid else {},
    }
    events: list[dict[str, Any]] = list(events_before or [])
    events += [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": message},
    ]
    events += [SlotSet(name, value) for name, value in (new_slots or {}).items()]
    return Tracker(
        sender_id="client-7",
        slots=values,
        latest_message=message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )
