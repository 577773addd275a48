"""GET /healthz and GET /readyz."""

from __future__ import annotations

from aiohttp.test_utils import TestClient


async def test_healthz(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200 and (await response.json())["status"] == "ok"


async def test_readyz_reports_each_dependency(client: TestClient) -> None:
    # Database and (fake) Rasa are up; no action server runs in this test.
    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 503
    assert body["checks"] == {"database": True, "rasa": True, "action_server": False}
