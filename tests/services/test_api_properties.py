"""Property tests for every /api handler (issue 11): random JSON bodies (and some that are not
JSON), random path ids and random query parameters, sent with the service token, never get a
5xx, and every answer matches services/openapi.yaml.

The operations come from the OpenAPI document, which test_openapi.py keeps equal to the
routes the app serves, so a new handler is covered the day it is documented. The values mix
random JSON with real ids (her client id, a referral, its consent, a directory service, an
inbound MessageSid) and the words the API knows (statuses, signal types, needs), so that the
examples get past the first check of each handler and into its workflow: most bodies fit the
operation's schema but for one or two spoiled fields, so each field's own check is reached.

60 examples per operation by default (about 15 s in all); TANDEM_PROPERTY_EXAMPLES=600 for a
deeper hunt.
"""

from __future__ import annotations

import json
import os
import string
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from services.openapi import load_openapi
from tests.services.openapi_check import OpenApiChecker
from tests.services.referral_support import (
    BUPRENORPHINE,
    BUPRENORPHINE_LOCATION,
    DV_ADVOCACY,
    add_woman,
    inbound,
    offer,
    offer_and_grant,
)

DOCUMENT = load_openapi()
METHODS = ("get", "post", "patch", "put", "delete")
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in METHODS
)
PROPERTY_SETTINGS = hsettings(
    max_examples=int(os.environ.get("TANDEM_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Words the API knows: enums of the document, needs, features, places, dates, actors.
KNOWN_WORDS = sorted(
    {
        *(
            str(v)
            for schema in DOCUMENT["components"]["schemas"].values()
            for v in schema.get("enum", [])
            if v is not None
        ),
        *("bot", "staff:cm1", "staff:", "gateway", "en", "es", "pregnant", "postpartum"),
        *("moud", "moud_buprenorphine", "childcare", "ipv_support", "masshealth", "walk_in"),
        *("01105", "holyoke", "im in springfield", "2026-01-01", "2026-02-30", "yes", "YES"),
        *("open", "acknowledged", "closed", "crisis", "human_requested", "craving"),
    }
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats()  # NaN and the infinities too: Python's JSON writes and reads them
    | TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def body_schema(method: str, path: str) -> dict[str, Any]:
    operation = DOCUMENT["paths"][path][method.lower()]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return _resolve(content.get("schema", {}))


# Values that fit a field by its name, where its schema alone says little.
BY_NAME: dict[str, list[Any]] = {
    "need": ["moud", "moud_buprenorphine", "childcare", "ipv_support", "moud,childcare"],
    "near": ["01105", "holyoke", "im in springfield", "atlantis"],
    "q": ["01105", "holyoke", "springfeild ma", "xyzzy"],
    "actor": ["bot", "staff:cm1", "staff:", "someone"],
    "created_by": ["bot", "staff:cm1"],
    "features": [["masshealth"], ["masshealth", "walk_in"], ["hot_tub"], []],
    "reason": ["no capacity", "", None],
}


def typed(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value of the schema's own type (not always valid: ranges and lengths are loose)."""
    schema = _resolve(schema)
    for combined in ("oneOf", "anyOf", "allOf"):
        if combined in schema:
            return st.one_of([typed(option) for option in schema[combined]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kinds = schema.get("type", "string")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    options = []
    for kind in kinds:
        if kind == "null":
            options.append(st.none())
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "integer":
            low, high = schema.get("minimum", -5), schema.get("maximum", 2**31)
            options.append(st.integers(min_value=low - 1, max_value=high + 1))
        elif kind == "number":
            options.append(st.floats(schema.get("minimum", -1e9), schema.get("maximum", 1e9)))
        elif kind == "array":
            options.append(st.lists(typed(schema.get("items", {})), max_size=3))
        elif kind == "object":
            options.append(st.dictionaries(TEXT, JSON, max_size=3))
        elif schema.get("format") == "date":
            options.append(st.dates().map(str))
        else:
            options.append(st.sampled_from(KNOWN_WORDS) | TEXT)
    return st.one_of(options)


def fitting(
    name: str, schema: dict[str, Any], world: dict[str, list[Any]]
) -> st.SearchStrategy[Any]:
    """A value that fits the field: a real id for an id, a known need for a need, else one of
    its schema's type."""
    if name in world:
        return st.sampled_from(world[name])
    if name in BY_NAME:
        return st.sampled_from(BY_NAME[name])
    return typed(schema)


def query_names(method: str, path: str) -> list[str]:
    item = DOCUMENT["paths"][path]
    parameters = [*item.get("parameters", []), *item[method.lower()].get("parameters", [])]
    names = [_resolve(p)["name"] for p in parameters if _resolve(p)["in"] == "query"]
    return sorted({*names, "limit", "offset", "status", "client_id", "q", "near"})


@pytest.fixture
async def world(client: TestClient, api_headers: dict[str, str]) -> dict[str, list[Any]]:
    """Real rows to aim at: her id, referrals in several states, consents, message ids."""
    woman = await add_woman(client, name="Jess")
    granted = await offer_and_grant(client, api_headers, woman)
    pending = await offer(client, api_headers, woman)
    other = await add_woman(client, phone="+14135550143")
    theirs = await offer(client, api_headers, other, service_id=DV_ADVOCACY, need="ipv_support")
    referrals = [granted["referral"]["id"], pending["referral"]["id"], theirs["referral"]["id"]]
    consents = [granted["consent"]["id"], pending["consent"]["id"], theirs["consent"]["id"]]
    return {
        "client_id": [woman, other, "c_nobody"],
        "referral_id": referrals,
        "consent_id": consents,
        "service_id": [BUPRENORPHINE, DV_ADVOCACY],
        "location_id": [BUPRENORPHINE_LOCATION],
        "message_sid": [await inbound(client, woman), await inbound(client, woman, "no")],
    }


def values(world: dict[str, list[Any]]) -> st.SearchStrategy[Any]:
    """A value for any field: a real id, a word the API knows, or random JSON."""
    real = [v for pool in world.values() for v in pool]
    return st.sampled_from(real) | st.sampled_from(KNOWN_WORDS) | JSON


def path_id(name: str, world: dict[str, list[Any]]) -> st.SearchStrategy[str]:
    real = st.sampled_from([str(v) for v in world.get(name, [])] or ["x"])
    odd = st.sampled_from(["²", "٣", "0", "-1", "1e3", " 1", "%", "..", "c_x", "9" * 40])
    return st.one_of(real, real, real, odd, st.integers().map(str), TEXT.filter(bool))


def body_bytes(draw: Any, schema: dict[str, Any], world: dict[str, list[Any]]) -> bytes | None:
    """Mostly a JSON object that fits the operation's body with one or two fields spoiled (so
    that each field's own check gets reached), else other JSON, bytes, or no body."""
    kind = draw(st.sampled_from(["object"] * 5 + ["json", "bytes", "none"]))
    if kind == "none":
        return None
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    fields = schema.get("properties", {})
    if kind == "json" or not fields:
        return json.dumps(draw(JSON)).encode()
    required = [f for f in schema.get("required", []) if f in fields]
    body = draw(
        st.fixed_dictionaries(
            {f: fitting(f, fields[f], world) for f in required},
            optional={f: fitting(f, fields[f], world) for f in fields if f not in required},
        )
    )
    # Spoil one field (now and then two, or an unknown one): missing, or any value at all.
    spoiled = [draw(st.sampled_from(sorted(fields)), label="spoiled")]
    if draw(st.booleans()):
        spoiled.append(draw(st.text(string.ascii_letters + "_", min_size=1, max_size=12)))
    if draw(st.booleans()):
        spoiled.append(draw(st.sampled_from(sorted(fields))))
    for name in spoiled if draw(st.integers(min_value=0, max_value=5)) else []:
        how = draw(st.sampled_from(["missing", "anything", "anything", "typed"]))
        if how == "missing":
            body.pop(name, None)
        elif how == "anything":
            body[name] = draw(values(world))
        else:
            body[name] = draw(typed(fields.get(name, {})))
    return json.dumps(body).encode()


def query_strings(draw: Any, names: list[str], world: dict[str, list[Any]]) -> dict[str, str]:
    keys = st.sampled_from(names) | st.text(string.ascii_letters, min_size=1, max_size=10)
    value = values(world).map(lambda v: v if isinstance(v, str) else json.dumps(v))
    return draw(st.dictionaries(keys, value, max_size=4))


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@PROPERTY_SETTINGS
@given(data=st.data())
async def test_no_request_gets_a_5xx_and_every_answer_is_documented(
    client: TestClient,
    api_headers: dict[str, str],
    world: dict[str, list[Any]],
    method: str,
    path: str,
    data: st.DataObject,
) -> None:
    ids = {
        name: data.draw(path_id(name, world), label=name)
        for name in (part[1:-1] for part in path.split("/") if part.startswith("{"))
    }
    url = path.format(**{name: quote(value, safe="") for name, value in ids.items()})
    query = query_strings(data.draw, query_names(method, path), world)
    body = body_bytes(data.draw, body_schema(method, path), world)
    content_type = data.draw(st.sampled_from(["application/json", "text/plain", ""]))
    headers = {**api_headers, **({"Content-Type": content_type} if content_type else {})}

    checker = checker_of(client)
    before = len(checker.violations)
    response = await client.request(method, url, params=query, data=body, headers=headers)
    payload = await response.read()
    event(f"{method} {path} -> {response.status}")  # --hypothesis-show-statistics
    assert response.status < 500, payload[:300]
    new = checker.violations[before:]
    del checker.violations[before:]  # reported here, where Hypothesis can shrink the example
    assert new == [], new


def checker_of(client: TestClient) -> OpenApiChecker:
    """The checker tests/services/conftest.py puts in front of the app under test."""
    checker = getattr(client.app.middlewares[0], "__self__", None)
    assert isinstance(checker, OpenApiChecker)
    return checker


async def test_every_served_operation_is_under_test(client: TestClient) -> None:
    served = {
        (route.method, route.resource.canonical)
        for route in client.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method.lower() in METHODS
    }
    assert served == set(OPERATIONS)
