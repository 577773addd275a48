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


# The words around the labels, in each language of Tandem's texts (GSM-7, as the Spanish SMS
# texts are written: no accented a/i/o/u).
_DISTANCE = {"en": "{miles:.1f} mi away", "es": "a {miles:.1f} millas"}
_OFFERS = {"en": "offers ", "es": "ofrece "}


def explain(hit: ServiceHit, need: Need, taxonomy: Taxonomy, language: str = "en") -> str:
    """One short line on why this place fits, in her language: distance, then what it offers
    for her ("1.0 mi away; takes MassHealth", "a 1.0 millas; acepta MassHealth")."""
    language = language if language in _DISTANCE else "en"
    parts = [_DISTANCE[language].format(miles=hit.distance_miles)]
    if len(need.codes) > 1:
        parts.append(
            _OFFERS[language]
            + ", ".join(taxonomy.label(c, language) for c in hit.codes if c in need.codes)
        )
    parts.extend(label for f in hit.features if (label := taxonomy.feature_label(f, language)))
    return "; ".join(parts[:4])
