"""FHIR R4 export of one referral, for the provider: a Bundle (collection) of ServiceRequest,
Task, Consent and the Patient, following the Gravity SDOH Clinical Care IG profiles.

Built as plain JSON and validated with the `fhir.resources` models (its R4B package: ServiceRequest,
Task, Consent and Patient are the same in R4 and R4B). Only what her consent lists goes out:
her first name, her phone number (never with do-not-contact) and the need; the caller checks the
consent is active before building anything.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from services.db.tables import Client, Consent, Referral, ReferralStatusChange
from services.referrals.lifecycle import OUTCOMES

SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare"
PROFILES = {
    "ServiceRequest": f"{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest",
    "Task": f"{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement",
    "Consent": f"{SDOHCC}/StructureDefinition/SDOHCC-Consent",
}
SDOHCC_CODES = f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
TASK_CODES = "http://hl7.org/fhir/CodeSystem/task-code"
ACT_CODES = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
PART2_31 = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/section-2.31"
NAMESPACE = uuid.UUID("6f1c2d1e-6d2a-4b0e-9c55-1f7a3e0d8b42")  # stable urn:uuid per resource

# ServiceRequest.status is the requester's view of the order; Task.status is the referral's.
SERVICE_REQUEST_STATUS = {
    "draft": "draft",
    "requested": "active",
    "accepted": "active",
    "in-progress": "active",
    "on-hold": "on-hold",
    "rejected": "revoked",
    "cancelled": "revoked",
    "failed": "revoked",
    "completed": "completed",
    "entered-in-error": "entered-in-error",
}
# Tandem needs to the Gravity SDOH categories (SDOHCC ValueSet SDOH Category); clinical needs
# (MOUD, prenatal care, ...) have no SDOH domain.
SDOH_CATEGORY = {
    "ipv_support": ("intimate-partner-violence", "Intimate Partner Violence"),
    "housing": ("housing-instability", "Housing Instability"),
    "transportation": ("transportation-insecurity", "Transportation Insecurity"),
    "food_benefits": ("food-insecurity", "Food Insecurity"),
    "peer_recovery": ("social-connection", "Social Connection"),
}
UNSPECIFIED = ("sdoh-category-unspecified", "SDOH Category Unspecified")


def _urn(kind: str, referral_id: int) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'tandem:{kind}:{referral_id}')}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def referral_bundle(
    referral: Referral,
    consent: Consent,
    client: Client,
    history: list[ReferralStatusChange],
    *,
    need_label: str,
    phone: str | None,
    program: str,
    base_url: str,
    now: datetime,
) -> dict[str, Any]:
    kinds = ("Patient", "ServiceRequest", "Task", "Consent")
    ids = {kind: _urn(kind, referral.id) for kind in kinds}
    service, organization = referral.service, referral.service.organization
    provider = {"type": "Organization", "display": organization.name}
    performer = {
        "type": "HealthcareService",
        "identifier": {"system": f"{base_url}/directory/services", "value": service.id},
        "display": f"{organization.name} - {service.name}",
    }
    requester = {"type": "Organization", "display": program}
    patient_ref = {"reference": ids["Patient"]}
    identifier = [{"system": f"{base_url}/referrals", "value": str(referral.id)}]
    need = {
        "coding": [
            {
                "system": f"{base_url}/fhir/CodeSystem/need",
                "code": referral.need,
                "display": need_label,
            }
        ],
        "text": need_label,
    }
    category, display = SDOH_CATEGORY.get(referral.need, UNSPECIFIED)

    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": f"{base_url}/clients", "value": client.id}],
    }
    if consent.patient_name:
        patient["name"] = [{"given": [consent.patient_name]}]
    if phone:
        patient["telecom"] = [{"system": "phone", "value": phone, "use": "mobile"}]

    service_request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "meta": {"profile": [PROFILES["ServiceRequest"]]},
        "identifier": identifier,
        "status": SERVICE_REQUEST_STATUS[referral.status],
        "intent": "order",
        "category": [{"coding": [{"system": SDOHCC_CODES, "code": category, "display": display}]}],
        "code": need,
        "subject": patient_ref,
        "authoredOn": _iso(referral.created_at),
        "requester": requester,
        "performer": [performer],
        "supportingInfo": [{"reference": ids["Consent"]}],
    }
    if referral.do_not_contact:
        service_request["orderDetail"] = [
            {
                "coding": [
                    {
                        "system": SDOHCC_CODES,
                        "code": "contacting-subject-prohibited",
                        "display": "Contacting subject prohibited",
                    }
                ],
                "text": "Do not contact her directly: contact goes through her case manager.",
            }
        ]

    task: dict[str, Any] = {
        "resourceType": "Task",
        "meta": {"profile": [PROFILES["Task"]]},
        "identifier": identifier,
        "status": referral.status,
        "intent": "order",
        "code": {
            "coding": [
                {"system": TASK_CODES, "code": "fulfill", "display": "Fulfill the focal request"}
            ]
        },
        "focus": {"reference": ids["ServiceRequest"]},
        "for": patient_ref,
        "authoredOn": _iso(referral.created_at),
        "lastModified": _iso(referral.updated_at),
        "requester": requester,
        "owner": provider,
    }
    if referral.reason:
        task["statusReason"] = {"text": referral.reason}
    if referral.outcome:
        task["output"] = [
            {
                "type": {"text": "outcome"},
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": f"{base_url}/fhir/CodeSystem/referral-outcome",
                            "code": referral.outcome,
                            "display": OUTCOMES[referral.outcome],
                        }
                    ]
                },
            }
        ]
    if history:
        task["note"] = [
            {
                "time": _iso(change.created_at),
                "text": f"{change.from_status or 'new'} -> {change.to_status}"
                + (f": {change.reason}" if change.reason else ""),
            }
            for change in history
        ]

    shown = "\n\n".join(consent.text)
    consent_resource: dict[str, Any] = {
        "resourceType": "Consent",
        "meta": {"profile": [PROFILES["Consent"]]},
        "identifier": [{"system": f"{base_url}/consents", "value": str(consent.id)}],
        "status": "active",
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": ACT_CODES, "code": "IDSCL"}]}],
        "patient": patient_ref,
        "dateTime": _iso(consent.signed_at),
        "performer": [patient_ref],
        "organization": [requester],
        "sourceAttachment": {
            "contentType": "text/plain; charset=utf-8",
            "language": consent.language,
            "data": base64.b64encode(shown.encode()).decode(),
            "title": "Consent text sent by SMS; her reply YES is her signature",
            "creation": _iso(consent.created_at),
        },
        "policy": [{"authority": "https://www.ecfr.gov", "uri": PART2_31}],
        "verification": [
            {
                "verified": True,
                "verifiedWith": patient_ref,
                "verificationDate": _iso(consent.signed_at),
            }
        ],
        "provision": {
            "type": "permit",
            "period": {"start": _iso(consent.signed_at), "end": _iso(consent.expires_at)},
            "actor": [
                {
                    "role": {"coding": [{"system": PARTICIPATION, "code": "IRCP"}]},
                    "reference": provider,
                }
            ],
            "purpose": [{"system": ACT_REASON, "code": "TREAT"}],
            "code": [{"text": consent.information}],
            "data": [{"meaning": "related", "reference": {"reference": ids["ServiceRequest"]}}],
        },
    }
    if consent.signed_message_sid:
        consent_resource["identifier"].append(
            {"system": f"{base_url}/messages", "value": consent.signed_message_sid}
        )

    bundle = {
        "resourceType": "Bundle",
        "identifier": {"system": f"{base_url}/referrals", "value": str(referral.id)},
        "type": "collection",
        "timestamp": _iso(now),
        "entry": [
            {"fullUrl": ids[r["resourceType"]], "resource": r}
            for r in (service_request, task, consent_resource, patient)
        ],
    }
    # Validation by the FHIR models: a malformed export is a bug, never sent.
    return Bundle.model_validate(bundle).model_dump(mode="json", by_alias=True, exclude_none=True)
