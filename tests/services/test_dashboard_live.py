"""The queue's live updates: the JSON check an open queue polls, the part of the queue it
swaps in, the script it runs (same origin, allowed by the CSP and nothing else), who may poll,
and that polling does not keep an unattended session alive."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from services.dashboard import guard
from services.dashboard.guard import COOKIE_NAME
from tests.services import casework_support
from tests.services.casework_support import ADMIN, CM, CM2, PROGRAM, add_alert, as_, assign, form
from tests.services.referral_support import add_woman

twilio, app = casework_support.twilio, casework_support.app  # the fixtures


async def check(client: TestClient) -> dict:
    response = await client.get("/dashboard/live", allow_redirects=False)
    assert response.status == 200 and response.content_type == "application/json"
    return await response.json()


async def test_the_check_counts_her_open_alerts_and_names_the_newest(app: TestClient) -> None:
    rosa = await add_woman(app, phone="+14135550101", name="Rosa")
    other = await add_woman(app, phone="+14135550102", name="Other")
    await assign(app, other, CM2)
    await add_alert(app, other, "crisis")  # another case manager's: not hers to see
    await as_(app, CM)
    assert await check(app) == {
        "count": 0,
        "newest": None,
        "title": "(0 urgent) Queue · Tandem staff",
    }
    first = await add_alert(app, rosa, "human_requested")
    assert await check(app) == {
        "count": 1,
        "newest": first,
        "title": "(1 urgent) Queue · Tandem staff",
    }
    # One acknowledged and another raised: the same count, a new newest.
    acknowledged = await form(
        app, f"/dashboard/alerts/{first}", f"/dashboard/alerts/{first}/acknowledge", note="ok"
    )
    assert acknowledged.status == 303
    second = await add_alert(app, rosa, "crisis")
    assert await check(app) == {
        "count": 1,
        "newest": second,
        "title": "(1 urgent) Queue · Tandem staff",
    }
    await as_(app, ADMIN)  # admins see every woman's alerts
    assert (await check(app))["count"] == 2


async def test_the_live_part_is_the_queue_without_the_page(app: TestClient) -> None:
    rosa = await add_woman(app, phone="+14135550101", name="<b>Rosa</b>")
    await add_alert(app, rosa, "crisis")
    await as_(app, CM)
    response = await app.get("/dashboard/live/queue")
    part = await response.text()
    assert response.status == 200
    assert "<html" not in part and "<h1>" not in part and "<script" not in part
    assert '<p id="urgent-status" role="status">' in part and "1 open urgent alert." in part
    assert '<div id="queue-sections">' in part and '<h2 id="urgent-h">Urgent alerts</h2>' in part
    assert "&lt;b&gt;Rosa&lt;/b&gt;" in part and "<b>Rosa</b>" not in part
    assert 'name="csrf_token"' in part  # its Claim buttons still post
    # The page itself includes the same part, with the script and the link around it.
    page = await (await app.get("/dashboard/")).text()
    assert part.strip() in page
    assert 'data-check="/dashboard/live"' in page and 'data-queue="/dashboard/live/queue"' in page


@pytest.mark.parametrize("path", ["/dashboard/live", "/dashboard/live/queue"])
async def test_only_case_work_roles_poll(app: TestClient, path: str) -> None:
    stranger = await app.get(path, allow_redirects=False)
    assert stranger.status == 303 and stranger.headers["Location"] == "/dashboard/login"
    await as_(app, PROGRAM)  # program staff see no client records, not even a count
    assert (await app.get(path, allow_redirects=False)).status == 403
    await as_(app, CM)
    assert (await app.get(path, allow_redirects=False)).status == 200


async def test_the_script_is_served_here_and_the_csp_allows_only_this_origin(
    app: TestClient,
) -> None:
    script = await app.get("/dashboard/static/live.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    await as_(app, CM)
    queue = await app.get("/dashboard/")
    policy = dict(
        part.strip().split(" ", 1) for part in queue.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert "unsafe" not in queue.headers["Content-Security-Policy"]


async def test_polling_does_not_keep_an_unattended_session_alive(
    app: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(guard, "clock", lambda: now[0])
    await as_(app, CM)
    assert (await app.get("/dashboard/")).status == 200
    # The open queue checks every few seconds for 29 minutes; she does nothing.
    for _ in range(29):
        now[0] += 60
        polled = await app.get("/dashboard/live", allow_redirects=False)
        assert polled.status == 200
        assert COOKIE_NAME not in polled.cookies  # the session is not touched
    now[0] += 2 * 60  # 31 minutes since she last used the page (the idle limit is 30)
    ended = await app.get("/dashboard/live", allow_redirects=False)
    assert ended.status == 303 and ended.headers["Location"] == "/dashboard/login"
    assert (await app.get("/dashboard/", allow_redirects=False)).status == 303
