"""What a search answers: one page of services, each at its nearest location."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ServiceHit:
    service_id: str
    location_id: str
    name: str
    organization_id: str
    town: str
    address: str
    phone: str | None
    distance_miles: float
    codes: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    why: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "service_id": self.service_id,
            "location_id": self.location_id,
            "name": self.name,
            "organization_id": self.organization_id,
            "town": self.town,
            "address": self.address,
            "phone": self.phone,
            "distance_miles": round(self.distance_miles, 1),
            "codes": self.codes,
            "features": self.features,
            "why": self.why,
        }


@dataclass
class SearchResult:
    """One page of hits; `more`: whether any service comes after the page. `total`: how many
    services match within the radius when `total_exact`, else how many were found (in a
    smaller disc): at least the page and one more, at most the true number."""

    total: int
    hits: list[ServiceHit]
    more: bool
    total_exact: bool
