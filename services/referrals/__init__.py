"""Closed-loop referrals: lifecycle (FHIR Task status), storage, API and FHIR export."""
