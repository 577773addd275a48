"""Directory API used by the bot's actions: resolve a place, search services near it."""

from __future__ import annotations

from aiohttp import web

from services.app_keys import SESSIONS, TAXONOMY
from services.directory.places import Place, PlaceNotFound, resolve_place
from services.directory.search import search_services, service_details_of
from services.directory.taxonomy import UnknownNeed
from services.web import ApiError

routes = web.RouteTableDef()

MAX_LIMIT = 20
MAX_RADIUS_MILES = 100.0


def _place(query: str) -> Place:
    if not query.strip():
        raise ApiError(400, "missing_place", "Give a zip code or town (near=...).")
    try:
        return resolve_place(query)
    except PlaceNotFound:
        raise ApiError(
            404, "place_not_found", "No Massachusetts zip code or town matches."
        ) from None


def _number(request: web.Request, name: str, default: float, low: float, high: float) -> float:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{name} must be a number.", field=name) from None
    if not low <= value <= high:
        raise ApiError(400, "invalid_parameter", f"{name} must be {low:g}..{high:g}.", field=name)
    return value


@routes.get("/api/places/resolve")
async def resolve(request: web.Request) -> web.Response:
    return web.json_response(_place(request.query.get("q", "")).as_dict())


@routes.get("/api/services")
async def services(request: web.Request) -> web.Response:
    taxonomy = request.app[TAXONOMY]
    try:
        need = taxonomy.resolve(request.query.get("need", ""))
    except UnknownNeed as e:
        raise ApiError(400, "unknown_need", f"Unknown need: {e}.", field="need") from None
    place = _place(request.query.get("near", ""))
    limit = int(_number(request, "limit", 3, 1, MAX_LIMIT))
    offset = int(_number(request, "offset", 0, 0, 10_000))
    radius = _number(request, "radius", 25.0, 1, MAX_RADIUS_MILES)
    features = [f.strip().lower() for f in request.query.get("features", "").split(",")]
    features = [f for f in features if f]
    unknown = [f for f in features if taxonomy.feature_label(f) is None]
    if unknown:
        raise ApiError(
            400, "unknown_feature", f"Unknown feature: {', '.join(unknown)}.", field="features"
        )
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
        )
    return web.json_response(
        {
            "place": place.as_dict(),
            "need": {"query": need.query, "codes": list(need.codes), "label": need.label},
            "total": result.total,
            "offset": offset,
            "limit": limit,
            "radius_miles": radius,
            "features": features,
            "results": [hit.as_dict() for hit in result.hits],
        }
    )


@routes.get("/api/services/{service_id}")
async def service_details(request: web.Request) -> web.Response:
    """One service with its status and alert (a closed service says why, and until when)."""
    async with request.app[SESSIONS]() as session:
        details = await service_details_of(session, request.match_info["service_id"])
    if details is None:
        raise ApiError(404, "service_not_found", "No service has that id.")
    return web.json_response(details)
