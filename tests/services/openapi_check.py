"""Checks real /api responses against services/openapi.yaml. The app under test gets this as
its outermost middleware (tests/services/conftest.py), so every /api response any test causes
is checked; a test fails if one does not match the documented schema of its status (or the
operation's `default`)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from openapi_schema_validator import OAS31Validator


class OpenApiChecker:
    # Compiled validators, shared by every test's checker (the document is loaded once).
    _validators: dict[tuple[int, str, str, str, str], OAS31Validator] = {}

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.violations: list[str] = []
        self.checked: set[tuple[str, str]] = set()

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        return self.document["paths"].get(path, {}).get(method.lower())

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def problems(
        self, method: str, path: str, status: int, content_type: str, body: bytes
    ) -> list[str]:
        """What is wrong with this response by the document (empty when it matches)."""
        where = f"{method} {path} -> {status}"
        operation = self.operation(method, path)
        if operation is None:
            return [f"{where}: operation not documented"]
        responses = operation["responses"]
        spec = responses.get(str(status)) or responses.get("default")
        if spec is None:
            return [f"{where}: status not documented"]
        content = self._resolve(spec).get("content", {})
        if content_type not in content:
            return [f"{where}: content type {content_type} not documented"]
        documented = str(status) if str(status) in responses else "default"
        key = (id(self.document), method, path, documented, content_type)
        if key not in self._validators:
            schema = content[content_type]["schema"]
            root = {**schema, "components": self.document["components"]}
            self._validators[key] = OAS31Validator(root)
        try:
            payload = json.loads(body)
        except ValueError:
            return [f"{where}: body is not JSON"]
        return [
            f"{where}: {error.message} at {list(error.absolute_path)}"
            for error in self._validators[key].iter_errors(payload)
        ]

    @web.middleware
    async def middleware(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        response = await handler(request)
        resource = request.match_info.route.resource
        if resource is None or not resource.canonical.startswith("/api/"):
            return response
        if isinstance(response, web.Response) and response.body is not None:
            body = response.body if isinstance(response.body, bytes) else b""
            self.checked.add((request.method, resource.canonical))
            self.violations += self.problems(
                request.method, resource.canonical, response.status, response.content_type, body
            )
        return response
