"""Distances on the earth for the directory search: the exact great-circle distance, and a
disc around a place as the bound parameters and arithmetic bounds of the search statements."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam

from services.directory.places import Place

EARTH_RADIUS_MILES = 3958.8
DEGREE = math.pi / 180
# Relative margin on the haversine term inside which the arithmetic bounds below defer to
# distance_miles in Python: far wider than rounding (1e-15), far thinner than any real gap.
MARGIN = 1e-9


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Disc:
    """The places within `miles` of a centre, as the parameters of the search statements.

    A place is within the radius iff the haversine term
        a = sin²(Δφ/2) + cos φ0 · cos φ · sin²(Δλ/2)
    is at most A = sin²(miles / 2R). SQL bounds 4a from below with arithmetic only (no
    trigonometry per row, the same on SQLite and PostgreSQL), from x²(1 - x²/3) <= sin²x and
    |cos φ - (cos φ0 - sin φ0 · Δφ)| <= Δφ²/2 (Taylor): a row whose lower bound is above 4A
    is certainly outside. The bound is within about Δφ²/2 of 4a (1e-4 at 50 miles), so the
    few rows just outside that pass it are settled in Python by distance_miles, the one
    formula, which decides every row. The box (the exact extent of the disc in latitude and
    longitude) is what the index scans.
    It does not wrap the antimeridian: the directory is in Massachusetts.
    """

    lat: float
    lon: float
    miles: float
    params: dict[str, float]

    @classmethod
    def around(cls, place: Place, miles: float) -> Disc:
        angle = miles / EARTH_RADIUS_MILES
        phi = math.radians(place.lat)
        dlat = math.degrees(angle)
        south, north = max(place.lat - dlat, -90.0), min(place.lat + dlat, 90.0)
        reach = math.sin(min(angle, math.pi / 2)) / max(math.cos(phi), 1e-12)
        if reach >= 1 or north >= 90 or south <= -90:
            west, east = -180.0, 180.0  # a pole is within the disc
        else:
            dlon = math.degrees(math.asin(reach))
            west, east = place.lon - dlon, place.lon + dlon
        pad = 1e-9  # degrees (a tenth of a millimetre): the box is a little larger, never smaller
        four_a = 4 * math.sin(min(angle, math.pi) / 2) ** 2
        cos0 = math.cos(phi)
        return cls(
            place.lat,
            place.lon,
            miles,
            {
                "lat0": place.lat,
                "lon0": place.lon,
                "south": south - pad,
                "north": north + pad,
                "west": west - pad,
                "east": east + pad,
                "cos0": cos0,
                "sin0_deg": math.sin(phi) * DEGREE,
                "cos0_deg2": cos0 * DEGREE * DEGREE,
                # A lower bound of 4a above this: certainly outside.
                "limit_out": four_a * (1 + MARGIN),
            },
        )

    def miles_to(self, lat: float, lon: float) -> float | None:
        """The exact distance to a row, or None when it is outside."""
        miles = distance_miles(self.lat, self.lon, lat, lon)
        return miles if miles <= self.miles else None


def within(rows: Any) -> tuple[list[ColumnElement[bool]], ColumnElement[bool]]:
    """For search rows: the box, and "maybe inside" the disc (see Disc), on the disc's bound
    parameters."""
    k = DEGREE * DEGREE
    y = rows.latitude - bindparam("lat0")  # Δφ in degrees
    x = rows.longitude - bindparam("lon0")  # Δλ in degrees
    yy, xx = y * y, x * x
    cos_mid = bindparam("cos0") - bindparam("sin0_deg") * y  # cos φ0 - sin φ0 · Δφ
    slack = (k / 2) * yy  # Δφ²/2 bounds the rest of cos φ
    lower = k * yy * (1 - (k / 12) * yy) + bindparam("cos0_deg2") * xx * (cos_mid - slack) * (
        1 - (k / 12) * xx
    )
    box = [
        rows.latitude.between(bindparam("south"), bindparam("north")),
        rows.longitude.between(bindparam("west"), bindparam("east")),
    ]
    return box, lower <= bindparam("limit_out")
