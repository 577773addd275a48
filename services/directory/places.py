"""Turn what she texted ("01105", "im in holyoke", "springfeild ma") into a place with
coordinates, offline, from the `zipcodes` package."""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from statistics import fmean

import zipcodes

DEFAULT_STATE = "MA"
ZIP_PATTERN = re.compile(r"(?<!\d)(\d{5})(?:-\d{4})?(?!\d)")
# Words around a town name in a text ("i'm in", "near", "ma") that are not part of it.
FILLER = re.compile(
    r"\b(i'?m|im|i am|in|at|near|by|around|live|living|stay|staying|from|the|area|city|town|of"
    r"|ma|mass|massachusetts|usa|pls|please|zip|code|is|my)\b"
)


class PlaceNotFound(LookupError):
    """Nothing in the zip database matches the text."""


@dataclass(frozen=True)
class Place:
    query: str
    zip: str | None
    town: str
    state: str
    lat: float
    lon: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class _Town:
    name: str
    lat: float
    lon: float


@cache
def _towns(state: str) -> dict[str, _Town]:
    """Town name (lowercase) -> centroid of its zip codes."""
    points: dict[str, list[tuple[float, float]]] = {}
    names: dict[str, str] = {}
    for record in zipcodes.filter_by(state=state):
        if not record.get("lat") or not record.get("long"):
            continue
        key = record["city"].lower()
        names[key] = record["city"].title()
        points.setdefault(key, []).append((float(record["lat"]), float(record["long"])))
    return {
        key: _Town(names[key], fmean(p[0] for p in pts), fmean(p[1] for p in pts))
        for key, pts in points.items()
    }


@lru_cache(maxsize=4096)
def _zip_place(code: str) -> tuple[str, str, float, float] | None:
    """(town, state, lat, lon) of a zip code, or None. A look-up scans the zipcodes package's
    whole table (0.3-0.6 ms); her zip is looked up again on every search, so each is kept."""
    try:
        records = zipcodes.matching(code)
    except (TypeError, ValueError):
        records = []
    located = [r for r in records if r.get("lat") and r.get("long")]
    if not located:
        return None
    r = located[0]
    return r["city"].title(), r["state"], float(r["lat"]), float(r["long"])


def _by_zip(query: str, code: str) -> Place:
    found = _zip_place(code)
    if found is None:
        raise PlaceNotFound(query)
    return Place(query, code, *found)


def _by_town(query: str, state: str) -> Place:
    towns = _towns(state)
    words = re.sub(r"[^a-z\s-]", " ", query.lower())
    words = " ".join(FILLER.sub(" ", words).split())
    if not words:
        raise PlaceNotFound(query)
    key = words if words in towns else None
    if key is None:
        # A town named inside a longer phrase: prefer the longest name found.
        found = [t for t in towns if re.search(rf"\b{re.escape(t)}\b", words)]
        key = max(found, key=len) if found else None
    if key is None:
        close = difflib.get_close_matches(words, towns.keys(), n=1, cutoff=0.8)
        key = close[0] if close else None
    if key is None:
        raise PlaceNotFound(query)
    town = towns[key]
    return Place(query, None, town.name, state, town.lat, town.lon)


def resolve_place(query: str, state: str = DEFAULT_STATE) -> Place:
    """A zip anywhere in the text wins; otherwise a town in `state` (exact, contained, or a
    close spelling). Raises PlaceNotFound."""
    query = query.strip()[:200]
    match = ZIP_PATTERN.search(query)
    if match:
        return _by_zip(query, match.group(1))
    return _by_town(query, state)
