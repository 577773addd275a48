"""The words of a result: a phone number and an address as she reads them, and the one line
on why a place fits her."""

from __future__ import annotations

from services.db.tables import Address
from services.directory.search.results import ServiceHit
from services.directory.taxonomy import Need, Taxonomy


def format_phone(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return number.strip()


def format_address(address: Address) -> str:
    street = ", ".join(p for p in (address.address_1, address.address_2) if p)
    return f"{street}, {address.city}, {address.state_province} {address.postal_code}"


def explain(hit: ServiceHit, need: Need, taxonomy: Taxonomy) -> str:
    """One short line on why this place fits: distance, then what it offers for her."""
    parts = [f"{hit.distance_miles:.1f} mi away"]
    if len(need.codes) > 1:
        parts.append(
            "offers " + ", ".join(taxonomy.labels[c] for c in hit.codes if c in need.codes)
        )
    parts.extend(label for f in hit.features if (label := taxonomy.feature_label(f)))
    return "; ".join(parts[:4])
