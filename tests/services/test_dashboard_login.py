"""Staff login, lockout, rate limits, CSRF, session cookies and timeouts, logout, password
change and one-time set-password links, through the real pages."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from services.app_keys import SESSIONS, STAFF
from services.dashboard import guard
from services.dashboard.accounts import LoginFailed, normalize_email
from services.dashboard.audit import Where
from services.db.base import utcnow
from services.db.tables import SetPasswordLink, StaffAccount
from services.settings import Settings
from tests.services.dashboard_support import (
    PASSWORD,
    add_staff,
    audit_counts,
    audit_rows,
    csrf,
    csrf_of,
    dashboard,
    login,
    other_browser,
)

EMAIL = "maria@example.org"
GENERIC = "That email and password do not match an account that can log in."


async def test_login_shows_who_is_logged_in_and_audits_once(settings: Settings) -> None:
    async with dashboard(settings) as client:
        await add_staff(client, EMAIL, "case_manager")
        response = await login(client, "  Maria@Example.ORG ")
        assert response.status == 303 and response.headers["Location"] == "/dashboard/"
        home = await client.get("/dashboard/")
        page = await home.text()
        assert home.status == 200 and EMAIL in page and "case manager" in page
        assert '<main id="main">' in page and '<label for="email">' not in page
        rows = await audit_rows(client)
        assert [(r.action, r.actor_role, r.source) for r in rows] == [
            ("staff_created", None, "cli"),
            ("login_succeeded", "case_manager", "web"),
        ]
        assert rows[1].ip == "127.0.0.1" and rows[1].request_id


async def test_wrong_password_and_unknown_email_get_the_same_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with dashboard(settings) as client:
        await add_staff(client, EMAIL, "case_manager")
        passwords = client.app[STAFF].passwords
        dummies = []
        real_dummy = passwords.dummy_verify

        async def counting_dummy(password: str) -> None:
            dummies.append(password)
            await real_dummy(password)

        monkeypatch.setattr(passwords, "dummy_verify", counting_dummy)
        wrong = await login(client, EMAIL, "not the password at all")
        unknown = await login(client, "nobody@example.org", "not the password at all")
        assert wrong.status == unknown.status == 401
        wrong_page, unknown_page = await wrong.text(), await unknown.text()
        assert GENERIC in wrong_page and GENERIC in unknown_page
        # An unknown email is still checked against a hash (the same work as a known one).
        assert dummies == ["not the password at all"]
        assert (await client.get("/dashboard/", allow_redirects=False)).status == 303
        counts = await audit_counts(client)
        assert counts["login_failed"] == 2 and counts["login_succeeded"] == 0


async def test_five_wrong_passwords_lock_the_account_for_a_while(settings: Settings) -> None:
    async with dashboard(settings) as client:
        await add_staff(client, EMAIL, "admin")
        for _ in range(4):
            assert (await login(client, EMAIL, "wrong password here")).status == 401
        assert (await audit_counts(client))["account_locked"] == 0
        assert (await login(client, EMAIL, "wrong password here")).status == 401
        # Locked: the right password gets the same generic answer.
        locked = await login(client, EMAIL)
        assert locked.status == 401 and GENERIC in await locked.text()
        counts = await audit_counts(client)
        assert counts["account_locked"] == 1 and counts["login_refused_locked"] == 1
        async with client.app[SESSIONS]() as session, session.begin():
            account = (
                await session.execute(
                    update(StaffAccount)
                    .values(locked_until=utcnow() - timedelta(seconds=1))
                    .returning(StaffAccount.locked_until)
                )
            ).scalar_one()
        assert account < utcnow()
        assert (await login(client, EMAIL)).status == 303


async def test_lockout_length_and_count_come_from_settings(settings: Settings) -> None:
    async with dashboard(
        settings, tandem_login_max_failures=2, tandem_login_lockout_minutes=1
    ) as client:
        await add_staff(client, EMAIL, "admin")
        for _ in range(2):
            await login(client, EMAIL, "wrong password here")
        async with client.app[SESSIONS]() as session:
            account = await session.get(StaffAccount, 1)
        assert account is not None and account.locked_until is not None
        assert timedelta(seconds=50) < account.locked_until - utcnow() <= timedelta(minutes=1)


async def test_too_many_failures_from_one_address_are_refused(settings: Settings) -> None:
    async with dashboard(settings, tandem_login_ip_limit_count=3) as client:
        await add_staff(client, EMAIL, "admin")
        for n in range(3):
            await login(client, f"nobody{n}@example.org", "wrong password here")
        refused = await login(client, EMAIL)
        assert refused.status == 429 and "Too many wrong tries" in await refused.text()
        assert (await audit_counts(client))["login_succeeded"] == 0


@pytest.mark.parametrize("token", [None, "", "forged-token"])
async def test_a_form_without_the_right_csrf_token_is_refused(
    settings: Settings, token: str | None
) -> None:
    async with dashboard(settings) as client:
        await add_staff(client, EMAIL, "admin")
        await csrf(client)  # she has a session with a token, but the form does not carry it
        data = {"email": EMAIL, "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        response = await client.post("/dashboard/login", data=data, allow_redirects=False)
        assert response.status == 403
        assert (await audit_counts(client))["login_succeeded"] == 0
        # Logged in, logout and password change refuse it too.
        assert (await login(client, EMAIL)).status == 303
        for path in ("/dashboard/logout", "/dashboard/password"):
            data = {"current_password": PASSWORD, "new_password": "x" * 20}
            if token is not None:
                data["csrf_token"] = token
            assert (await client.post(path, data=data, allow_redirects=False)).status == 403
        assert (await client.get("/dashboard/")).status == 200
        counts = await audit_counts(client)
        assert counts["logout"] == 0 and counts["password_changed"] == 0


async def test_session_cookie_flags(settings: Settings) -> None:
    async with dashboard(settings, tandem_secure_cookies=True) as client:
        response = await client.get("/dashboard/login")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith(f"{guard.COOKIE_NAME}=")
        for flag in ("HttpOnly", "SameSite=Lax", "Secure", "Path=/dashboard/"):
            assert flag in cookie
        assert response.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    async with dashboard(settings, tandem_secure_cookies=False) as client:
        response = await client.get("/dashboard/login")
        assert "Secure" not in response.headers["Set-Cookie"]


def test_secure_cookies_by_default_outside_plain_local_http(settings: Settings) -> None:
    assert settings.model_copy(update={"tandem_public_url": "https://x.org"}).secure_cookies
    local = settings.model_copy(update={"tandem_public_url": "http://127.0.0.1:8080"})
    assert not local.secure_cookies
    assert local.model_copy(update={"tandem_env": "production"}).secure_cookies


def test_the_session_key_is_derived_not_the_secret_itself() -> None:
    key = guard.session_key("test-secret-key-0123456789")
    assert len(key) == 32 and key != b"test-secret-key-0123456789"[:32]
    assert key != guard.session_key("another-secret-key-0123456")
    with pytest.raises(ValueError):
        guard.session_key("")


async def test_idle_and_absolute_session_timeouts(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(guard, "clock", lambda: now[0])
    async with dashboard(settings, tandem_session_idle_minutes=30) as client:
        await add_staff(client, EMAIL, "admin")
        assert (await login(client, EMAIL)).status == 303
        now[0] += 29 * 60
        assert (await client.get("/dashboard/", allow_redirects=False)).status == 200
        now[0] += 31 * 60  # idle for 31 minutes
        gone = await client.get("/dashboard/", allow_redirects=False)
        assert gone.status == 303 and gone.headers["Location"] == "/dashboard/login"
        # Active all along, but past the absolute limit (12 hours).
        assert (await login(client, EMAIL)).status == 303
        steps = 0
        while steps < 100:
            steps += 1
            now[0] += 20 * 60
            response = await client.get("/dashboard/", allow_redirects=False)
            if response.status != 200:
                break
        # 36 steps of 20 minutes are 12 hours, still in; the 37th is past it.
        assert response.status == 303 and steps == 37


async def test_logout_ends_this_and_copied_sessions(settings: Settings) -> None:
    async with dashboard(settings) as client:
        await add_staff(client, EMAIL, "program_staff")
        assert (await login(client, EMAIL)).status == 303
        copied = {c.key: c.value for c in client.session.cookie_jar}
        home = await client.get("/dashboard/")
        response = await client.post(
            "/dashboard/logout",
            data={"csrf_token": csrf_of(await home.text())},
            allow_redirects=False,
        )
        assert response.status == 303 and response.headers["Location"] == "/dashboard/login"
        assert (await client.get("/dashboard/", allow_redirects=False)).status == 303
        async with other_browser(client) as thief:
            thief.cookie_jar.update_cookies(copied)
            stolen = await thief.get("/dashboard/", allow_redirects=False)
            assert stolen.status == 303
        assert (await audit_counts(client))["logout"] == 1


async def test_password_change(settings: Settings) -> None:
    new = "a much longer new passphrase"
    async with dashboard(settings) as client, other_browser(client) as laptop:
        await add_staff(client, EMAIL, "case_manager")
        assert (await login(client, EMAIL)).status == 303
        token = await csrf(laptop)
        await laptop.post(
            "/dashboard/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
        )
        assert (await laptop.get("/dashboard/", allow_redirects=False)).status == 200

        form = {"csrf_token": await csrf(client, "/dashboard/password")}
        wrong = await client.post(
            "/dashboard/password",
            data={
                **form,
                "current_password": "not it at all",
                "new_password": new,
                "confirm_password": new,
            },
        )
        assert wrong.status == 400 and "current password is not right" in await wrong.text()
        short = await client.post(
            "/dashboard/password",
            data={
                **form,
                "current_password": PASSWORD,
                "new_password": "short",
                "confirm_password": "short",
            },
        )
        assert short.status == 400 and "at least 12" in await short.text()
        done = await client.post(
            "/dashboard/password",
            data={
                **form,
                "current_password": PASSWORD,
                "new_password": new,
                "confirm_password": new,
            },
        )
        assert done.status == 200 and "Your password is changed." in await done.text()
        # This session goes on; the other browser's is over.
        assert (await client.get("/dashboard/", allow_redirects=False)).status == 200
        assert (await laptop.get("/dashboard/", allow_redirects=False)).status == 303
        counts = await audit_counts(client)
        assert counts["password_changed"] == 1 and counts["password_change_failed"] == 1

        for session_cookie in list(client.session.cookie_jar):
            client.session.cookie_jar.clear(lambda c, k=session_cookie.key: c.key == k)
        assert (await login(client, EMAIL, PASSWORD)).status == 401
        assert (await login(client, EMAIL, new)).status == 303


async def test_a_set_password_link_works_once(settings: Settings) -> None:
    async with dashboard(settings) as client:
        token = await add_staff(client, EMAIL, "case_manager", password=None)
        assert token
        # No password yet: nothing logs her in.
        assert (await login(client, EMAIL, "")).status == 401
        path = f"/dashboard/set-password/{token}"
        page = await client.get(path)
        assert page.status == 200 and EMAIL in await page.text()
        form = {"csrf_token": csrf_of(await page.text())}
        short = await client.post(
            path, data={**form, "new_password": "short", "confirm_password": "short"}
        )
        assert short.status == 400
        new = "my own long passphrase"
        done = await client.post(path, data={**form, "new_password": new, "confirm_password": new})
        assert done.status == 200 and "Your password is set" in await done.text()
        again = await client.post(
            path, data={**form, "new_password": new + "2", "confirm_password": new + "2"}
        )
        assert again.status == 404
        assert (await client.get(path)).status == 404
        assert (await login(client, EMAIL, new)).status == 303
        counts = await audit_counts(client)
        assert counts["password_set_by_link"] == 1 and counts["set_password_link_created"] == 1


async def test_an_expired_set_password_link_is_refused(settings: Settings) -> None:
    async with dashboard(settings) as client:
        token = await add_staff(client, EMAIL, "admin", password=None)
        async with client.app[SESSIONS]() as session, session.begin():
            await session.execute(
                update(SetPasswordLink).values(expires_at=utcnow() - timedelta(minutes=1))
            )
        path = f"/dashboard/set-password/{token}"
        assert (await client.get(path)).status == 404
        form = {
            "csrf_token": await csrf(client),
            "new_password": "x" * 14,
            "confirm_password": "x" * 14,
        }
        assert (await client.post(path, data=form)).status == 404
        assert (await audit_counts(client))["password_set_by_link"] == 0


async def test_argon2_runs_off_the_event_loop(settings: Settings) -> None:
    threads: list[int] = []

    class Recording(PasswordHasher):
        def hash(self, password, **kwargs):  # type: ignore[no-untyped-def, override]
            threads.append(threading.get_ident())
            return super().hash(password, **kwargs)

        def verify(self, hash, password):  # type: ignore[no-untyped-def, override]
            threads.append(threading.get_ident())
            return super().verify(hash, password)

    async with dashboard(settings) as client:
        client.app[STAFF].passwords.hasher = Recording(time_cost=1, memory_cost=8, parallelism=1)
        loop_thread = threading.get_ident()
        await add_staff(client, EMAIL, "admin")
        await login(client, EMAIL)
        await login(client, EMAIL, "wrong password here")
        await login(client, "nobody@example.org", "wrong password here")
        assert len(threads) >= 5
        assert loop_thread not in threads


async def test_login_failed_is_raised_after_its_rows_are_kept(settings: Settings) -> None:
    async with dashboard(settings) as client:
        accounts = client.app[STAFF]
        await add_staff(client, EMAIL, "admin")
        with pytest.raises(LoginFailed):
            await accounts.login(EMAIL, "wrong password here", Where())
        async with client.app[SESSIONS]() as session:
            account = await session.get(StaffAccount, 1)
        assert account is not None and account.failed_logins == 1


def test_emails_are_one_account_whatever_their_case() -> None:
    assert normalize_email(" Maria@Example.ORG ") == EMAIL


async def test_the_same_email_twice_is_refused(settings: Settings, tmp_path: Path) -> None:
    from services.dashboard.accounts import AccountExists

    async with dashboard(settings) as client:
        await add_staff(client, EMAIL, "admin")
        with pytest.raises(AccountExists):
            await add_staff(client, "MARIA@example.org", "case_manager")
