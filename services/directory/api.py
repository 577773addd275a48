"""Directory API used by the bot's actions: resolve a place, search services near it (with
feature filters), and the details of one service.

Her words (a town, a street, a zip in a sentence) travel only in request bodies: a place to
resolve and a search are POSTs with JSON, so no URL, access log or proxy log ever holds them.
Only the details of one service are a GET, by the directory's own ids (and the language of
its words, "en" or "es")."""

from __future__ import annotations

import math

from aiohttp import web

from services.app_keys import SESSIONS, TAXONOMY
from services.directory.details import UnknownLocation, UnknownService, service_details
from services.directory.places import Place, PlaceNotFound, resolve_place
from services.directory.search import search_services
from services.directory.taxonomy import LANGUAGES, UnknownFeature, UnknownNeed
from services.web import ApiError, json_object

routes = web.RouteTableDef()

MAX_LIMIT = 20
MAX_OFFSET = 10_000
MAX_RADIUS_MILES = 100.0
MAX_PLACE_CHARS = 1600  # her whole reply at most (resolve_place reads its first 200)
MAX_KEY_CHARS = 200  # a need (codes or groups) or a feature key
MAX_FEATURES = 20


def _text(body: dict[str, object], name: str, max_chars: int) -> str:
    """A required text field, or a 400 `invalid_field` naming it."""
    value = body.get(name)
    if not isinstance(value, str) or len(value) > max_chars:
        raise ApiError(
            400, "invalid_field", f"{name} must be text (at most {max_chars}).", field=name
        )
    return value


def _place(query: str, field: str) -> Place:
    if not query.strip():
        raise ApiError(400, "missing_place", "Give a zip code or town.", field=field)
    try:
        return resolve_place(query)
    except PlaceNotFound:
        raise ApiError(
            404, "place_not_found", "No Massachusetts zip code or town matches.", field=field
        ) from None


def _number(
    body: dict[str, object], name: str, default: float, low: float, high: float, *, whole: bool
) -> float:
    """A number field within low..high (a whole one if `whole`), or a 400 `invalid_field`."""
    value = body.get(name)
    if value is None:
        return default
    # bool is an int in Python, not a number in JSON. Ints compare exactly however long;
    # floats must be finite (Python's JSON reads NaN and Infinity) and, if asked, whole.
    if isinstance(value, bool) or not isinstance(value, int | float):
        valid = False
    elif isinstance(value, float):
        valid = math.isfinite(value) and (value.is_integer() or not whole)
    else:
        valid = True
    if not valid:
        kind = "a whole number" if whole else "a number"
        raise ApiError(400, "invalid_field", f"{name} must be {kind}.", field=name)
    if not low <= value <= high:  # type: ignore[operator]
        raise ApiError(400, "invalid_field", f"{name} must be {low:g}..{high:g}.", field=name)
    return float(value)  # type: ignore[arg-type]


def _features(body: dict[str, object]) -> str:
    """The features field (a list of feature keys) as the taxonomy reads it: comma-separated."""
    value = body.get("features")
    if value is None:
        return ""
    if (
        not isinstance(value, list)
        or len(value) > MAX_FEATURES
        or not all(isinstance(v, str) and len(v) <= MAX_KEY_CHARS for v in value)
    ):
        raise ApiError(
            400, "invalid_field", "features must be a list of feature keys.", field="features"
        )
    return ",".join(value)


def _language(value: object) -> str:
    """The language of the answer's words (a search's need label and each result's why; a
    service's hours and labels), from the body or the query: "en" by default."""
    if value is None:
        return "en"
    if value not in LANGUAGES:
        raise ApiError(400, "invalid_field", "language must be en or es.", field="language")
    return str(value)


@routes.post("/api/places/resolve")
async def resolve(request: web.Request) -> web.Response:
    body = await json_object(request)
    return web.json_response(_place(_text(body, "q", MAX_PLACE_CHARS), "q").as_dict())


@routes.post("/api/services/search")
async def services(request: web.Request) -> web.Response:
    body = await json_object(request)
    taxonomy = request.app[TAXONOMY]
    language = _language(body.get("language"))
    try:
        need = taxonomy.resolve(_text(body, "need", MAX_KEY_CHARS), language)
    except UnknownNeed as e:
        raise ApiError(400, "unknown_need", f"Unknown need: {e}.", field="need") from None
    try:
        features = taxonomy.resolve_features(_features(body))
    except UnknownFeature as e:
        raise ApiError(
            400,
            "unknown_feature",
            f"Unknown feature: {e}. Known: {', '.join(sorted(taxonomy.features))}.",
            field="features",
        ) from None
    place = _place(_text(body, "near", MAX_PLACE_CHARS), "near")
    limit = int(_number(body, "limit", 3, 1, MAX_LIMIT, whole=True))
    offset = int(_number(body, "offset", 0, 0, MAX_OFFSET, whole=True))
    radius = float(_number(body, "radius", 25.0, 1, MAX_RADIUS_MILES, whole=False))
    async with request.app[SESSIONS]() as session:
        result = await search_services(
            session,
            taxonomy,
            need,
            place,
            radius_miles=radius,
            limit=limit,
            offset=offset,
            features=features,
            language=language,
        )
    return web.json_response(
        {
            "place": place.as_dict(),
            "need": {"query": need.query, "codes": list(need.codes), "label": need.label},
            "features": list(features),
            "total": result.total,
            "total_exact": result.total_exact,
            "more": result.more,
            "offset": offset,
            "limit": limit,
            "radius_miles": radius,
            "results": [hit.as_dict() for hit in result.hits],
        }
    )


@routes.get("/api/services/{service_id}")
async def service(request: web.Request) -> web.Response:
    service_id = request.match_info["service_id"]
    location_id = request.query.get("location_id") or None
    language = _language(request.query.get("language"))
    async with request.app[SESSIONS]() as session:
        try:
            details = await service_details(session, service_id, location_id, language)
        except UnknownService:
            raise ApiError(
                404, "unknown_service", "No open service has this id.", service_id=service_id
            ) from None
        except UnknownLocation:
            raise ApiError(
                404,
                "unknown_location",
                "This service is not offered at that location.",
                field="location_id",
            ) from None
    return web.json_response(details.as_dict(request.app[TAXONOMY], language))
