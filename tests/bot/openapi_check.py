"""Checks the bot's calls to the services API, and the fake API's answers to them
(tests/bot/fake_api.py), against services/openapi.yaml: the path's parameters, the JSON body
of the request, and the body of the response by its status (or the operation's `default`).

The document is OpenAPI 3.1, whose schemas are JSON Schema 2020-12: jsonschema (pinned in
requirements/bot.txt) checks them, with the document's components beside each schema so that
its `$ref`s resolve.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

DOCUMENT = Path(__file__).resolve().parents[2] / "services" / "openapi.yaml"


@cache
def document() -> dict[str, Any]:
    with DOCUMENT.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@cache
def _validator(route: str, method: str, *where: str) -> Draft202012Validator:
    """The validator of one schema of an operation, found by the keys after the operation."""
    node: Any = document()["paths"][route][method]
    for key in where:
        node = _resolve(node[key])
    return Draft202012Validator({**node, "components": document()["components"]})


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _errors(validator: Draft202012Validator, value: Any, where: str) -> list[str]:
    return [
        f"{where}: {error.message} at {list(error.absolute_path)}"
        for error in validator.iter_errors(value)
    ]


def _parameters(route: str, method: str) -> list[dict[str, Any]]:
    paths = document()["paths"][route]
    return [
        _resolve(p) for p in [*paths.get("parameters", []), *paths[method].get("parameters", [])]
    ]


def _value(text: str, schema: dict[str, Any]) -> Any:
    """A path or query value as its schema's type reads it ("7" for an integer is 7)."""
    if schema.get("type") == "integer" and text.lstrip("-").isdigit():
        return int(text)
    return text


def request_problems(
    method: str, route: str, params: dict[str, str], query: dict[str, str], body: Any
) -> list[str]:
    """What is wrong with a call to `route` (the path template, as in the document)."""
    method = method.lower()
    where = f"{method.upper()} {route}"
    operation = document()["paths"].get(route, {}).get(method)
    if operation is None:
        return [f"{where}: operation not documented"]
    problems = []
    documented = {(p["in"], p["name"]): p for p in _parameters(route, method)}
    given = {("path", k): v for k, v in params.items()} | {
        ("query", k): v for k, v in query.items()
    }
    for key, text in given.items():
        parameter = documented.get(key)
        if parameter is None:
            problems.append(f"{where}: {key[0]} parameter {key[1]!r} not documented")
            continue
        validator = Draft202012Validator(_resolve(parameter["schema"]))
        problems += _errors(validator, _value(text, parameter["schema"]), f"{where} {key[1]}")
    if "requestBody" in operation:
        if body is None:
            if operation["requestBody"].get("required"):
                problems.append(f"{where}: the request has no JSON body")
        else:
            schema = ("requestBody", "content", "application/json", "schema")
            problems += _errors(_validator(route, method, *schema), body, f"{where} request")
    elif body is not None:
        problems.append(f"{where}: a body the operation does not take")
    return problems


def response_problems(method: str, route: str, status: int, body: Any) -> list[str]:
    """What is wrong with the answer `status`, `body` to a call to `route`."""
    method = method.lower()
    where = f"{method.upper()} {route} -> {status}"
    operation = document()["paths"].get(route, {}).get(method)
    if operation is None:
        return [f"{where}: operation not documented"]
    documented = str(status) if str(status) in operation["responses"] else "default"
    if documented not in operation["responses"]:
        return [f"{where}: status not documented"]
    schema = ("responses", documented, "content", "application/json", "schema")
    return _errors(_validator(route, method, *schema), body, where)
