"""Admins manage staff in the browser: the list (email, role, active, last login, locked), add
one with a set-password link shown once, a new link, change a role, deactivate and reactivate,
unlock. Each action needs the CSRF token, writes exactly one audit row (none when refused),
and takes effect at her next request; the women of a deactivated case manager (or one moved
to program staff) go back to the unassigned queue. Non-admins are refused every one of these
routes in test_dashboard_access.py."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient

from services.app_keys import SESSIONS
from services.db.tables import Client
from tests.services import casework_support
from tests.services.casework_support import ADMIN, CM, PROGRAM, as_, assign, form, staff_id
from tests.services.dashboard_support import (
    PASSWORD,
    audit_rows,
    csrf,
    csrf_of,
    login,
    other_browser,
)
from tests.services.referral_support import add_woman

twilio, app = casework_support.twilio, casework_support.app  # the fixtures
PAGE = "/dashboard/staff"
NEW = "new.person@example.org"


async def new_rows(client: TestClient, before: int) -> list[tuple[str, int | None, str | None]]:
    """The audit rows written since `before`: action, actor, target."""
    return [(r.action, r.actor_id, r.target_id) for r in (await audit_rows(client))[before:]]


async def act(client: TestClient, email: str, what: str, **fields: str):  # type: ignore[no-untyped-def]
    return await form(client, PAGE, f"{PAGE}/{await staff_id(client, email)}/{what}", **fields)


def row_of(page: str, email: str) -> str:
    match = re.search(rf"<tr>\s*<td>{re.escape(email)}.*?</tr>", page, re.S)
    assert match, email
    return match.group(0)


async def test_an_admin_sees_every_account(app: TestClient) -> None:
    await as_(app, ADMIN)
    page = await (await app.get(PAGE)).text()
    assert "4 accounts, by email" in page and '<a href="/dashboard/staff">Staff</a>' in page
    assert "(you)" in row_of(page, ADMIN) and "Deactivate" not in row_of(page, ADMIN)
    cm = row_of(page, CM)
    assert "<td>yes</td>" in cm and "<td>never</td>" in cm and "<td>no</td>" in cm
    assert '<option value="case_manager" selected>' in cm
    await as_(app, CM)  # a login shows as her last one
    await as_(app, ADMIN)
    cm = row_of(await (await app.get(PAGE)).text(), CM)
    assert "never" not in cm and re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td>", cm)


async def test_adding_someone_shows_her_link_once_and_it_works(app: TestClient) -> None:
    await as_(app, ADMIN)
    before = len(await audit_rows(app))
    added = await form(app, PAGE, PAGE, email=" New.Person@Example.org ", role="case_manager")
    page = await added.text()
    assert added.status == 200 and f"Set-password link for {NEW}" in page
    link = re.search(
        r'<code id="new-link">https?://[^/]+(/dashboard/set-password/[^<]+)</code>', page
    )
    assert link
    new_id = await staff_id(app, NEW)
    admin_id = await staff_id(app, ADMIN)
    # One row for the account, one for her link (a credential of its own), both by the admin.
    assert await new_rows(app, before) == [
        ("staff_created", admin_id, str(new_id)),
        ("set_password_link_created", admin_id, str(new_id)),
    ]
    assert link.group(1) not in await (await app.get(PAGE)).text()  # shown once
    assert "(no password yet)" in row_of(await (await app.get(PAGE)).text(), NEW)

    # She sets her password from it in her own browser and logs in.
    async with other_browser(app) as hers:
        set_page = await hers.get(link.group(1))
        token = csrf_of(await set_page.text())
        done = await hers.post(
            link.group(1),
            data={"csrf_token": token, "new_password": PASSWORD, "confirm_password": PASSWORD},
        )
        assert done.status == 200 and "Your password is set" in await done.text()
        assert (await login(hers, NEW)).status == 303

    # The same email again, or a bad one: refused on the page, nothing written.
    before = len(await audit_rows(app))
    again = await form(app, PAGE, PAGE, email=NEW, role="admin")
    assert again.status == 409 and "already exists" in await again.text()
    bad = await form(app, PAGE, PAGE, email="not an email", role="admin")
    assert bad.status == 400 and "Enter an email address" in await bad.text()
    no_role = await form(app, PAGE, PAGE, email="x@example.org", role="boss")
    assert no_role.status == 400
    assert len(await audit_rows(app)) == before


async def test_a_new_link_for_someone_who_forgot_her_password(app: TestClient) -> None:
    await as_(app, ADMIN)
    before = len(await audit_rows(app))
    made = await act(app, CM, "link")
    page = await made.text()
    assert made.status == 200 and f"Set-password link for {CM}" in page
    assert await new_rows(app, before) == [
        ("set_password_link_created", await staff_id(app, ADMIN), str(await staff_id(app, CM)))
    ]
    link = re.search(r"(/dashboard/set-password/[^<]+)</code>", page)
    assert link
    new = "a brand new passphrase"
    async with other_browser(app) as hers:
        token = csrf_of(await (await hers.get(link.group(1))).text())
        await hers.post(
            link.group(1), data={"csrf_token": token, "new_password": new, "confirm_password": new}
        )
        assert (await login(hers, CM, PASSWORD)).status == 401
        assert (await login(hers, CM, new)).status == 303


async def test_a_role_change_takes_effect_at_her_next_request(app: TestClient) -> None:
    her = await add_woman(app, phone="+14135550188", name="Rosa")
    await assign(app, her, CM)
    async with other_browser(app) as cms:
        assert (await login(cms, CM)).status == 303
        assert (await cms.get(f"/dashboard/clients/{her}")).status == 200
        await as_(app, ADMIN)
        before = len(await audit_rows(app))
        moved = await act(app, CM, "role", role="program_staff")
        assert moved.status == 303 and moved.headers["Location"] == PAGE
        assert [a for a, _, _ in await new_rows(app, before)] == ["staff_role_changed"]
        shown = await (await app.get(PAGE)).text()
        assert "Her role is program staff now. 1 woman assigned to her went back" in shown
        # Her open session now has the new role: no client records.
        assert (await cms.get(f"/dashboard/clients/{her}")).status == 403
    async with app.app[SESSIONS]() as session:
        assert (await session.get_one(Client, her)).assigned_to is None

    before = len(await audit_rows(app))
    same = await act(app, CM, "role", role="program_staff")
    assert same.status == 409 and "already has that role" in await same.text()
    assert (await act(app, CM, "role", role="boss")).status == 400
    own = await act(app, ADMIN, "role", role="case_manager")
    assert own.status == 409 and "ask another admin" in await own.text()
    assert len(await audit_rows(app)) == before


async def test_deactivating_ends_her_sessions_and_reactivating_lets_her_back(
    app: TestClient,
) -> None:
    her = await add_woman(app, phone="+14135550188", name="Rosa")
    await assign(app, her, CM)
    async with other_browser(app) as cms:
        assert (await login(cms, CM)).status == 303
        copied = {c.key: c.value for c in cms.cookie_jar}
        await as_(app, ADMIN)
        before = len(await audit_rows(app))
        off = await act(app, CM, "deactivate")
        assert off.status == 303
        assert [a for a, _, _ in await new_rows(app, before)] == ["staff_deactivated"]
        shown = await (await app.get(PAGE)).text()
        assert "she cannot log in" in shown and "<td>no</td>" in row_of(shown, CM)
        assert "Reactivate" in row_of(shown, CM)
        gone = await cms.get("/dashboard/", allow_redirects=False)
        assert gone.status == 303 and gone.headers["Location"] == "/dashboard/login"
        assert (await login(cms, CM)).status == 401
        async with app.app[SESSIONS]() as session:
            assert (await session.get_one(Client, her)).assigned_to is None

        before = len(await audit_rows(app))
        assert (await act(app, CM, "deactivate")).status == 409
        assert (await act(app, ADMIN, "deactivate")).status == 409  # never herself
        assert len(await audit_rows(app)) == before
        on = await act(app, CM, "reactivate")
        assert on.status == 303
        assert [a for a, _, _ in await new_rows(app, before)] == ["staff_reactivated"]
        # Her old cookie stays dead; a new login works.
        cms.cookie_jar.clear()
        cms.cookie_jar.update_cookies(copied)
        assert (await cms.get("/dashboard/", allow_redirects=False)).status == 303
        assert (await login(cms, CM)).status == 303


async def test_an_admin_unlocks_a_locked_account(app: TestClient) -> None:
    async with other_browser(app) as cms:
        for _ in range(5):
            assert (await login(cms, CM, "wrong password here")).status == 401
        assert (await login(cms, CM)).status == 401  # locked
        await as_(app, ADMIN)
        assert "until " in row_of(await (await app.get(PAGE)).text(), CM)
        before = len(await audit_rows(app))
        unlocked = await act(app, CM, "unlock")
        assert unlocked.status == 303
        assert await new_rows(app, before) == [
            ("staff_unlocked", await staff_id(app, ADMIN), str(await staff_id(app, CM)))
        ]
        shown = await (await app.get(PAGE)).text()
        assert "The account is unlocked." in shown and "Unlock" not in row_of(shown, CM)
        assert (await login(cms, CM)).status == 303
    before = len(await audit_rows(app))
    again = await act(app, CM, "unlock")
    assert again.status == 409 and "not locked out" in await again.text()
    assert len(await audit_rows(app)) == before


async def test_every_staff_action_needs_the_csrf_token(app: TestClient) -> None:
    await as_(app, ADMIN)
    cm = await staff_id(app, CM)
    await csrf(app, PAGE)
    before = len(await audit_rows(app))
    for path, fields in (
        (PAGE, {"email": NEW, "role": "admin"}),
        (f"{PAGE}/{cm}/link", {}),
        (f"{PAGE}/{cm}/role", {"role": "admin"}),
        (f"{PAGE}/{cm}/deactivate", {}),
        (f"{PAGE}/{cm}/reactivate", {}),
        (f"{PAGE}/{cm}/unlock", {}),
    ):
        missing = await app.post(path, data=fields, allow_redirects=False)
        wrong = await app.post(path, data={**fields, "csrf_token": "no"}, allow_redirects=False)
        assert missing.status == wrong.status == 403, path
    assert len(await audit_rows(app)) == before
    page = await (await app.get(PAGE)).text()
    assert NEW not in page and '<option value="case_manager" selected>' in row_of(page, CM)


@pytest.mark.parametrize("email", [CM, PROGRAM])
async def test_no_staff_page_for_anyone_but_admins(app: TestClient, email: str) -> None:
    await as_(app, email)
    home = await (await app.get("/dashboard/")).text()
    assert 'href="/dashboard/staff"' not in home
    assert (await app.get(PAGE, allow_redirects=False)).status == 403
