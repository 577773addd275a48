"""`tandem staff add`: a password asked twice and hidden (short ones refused), or a one-time
set-password link; the account is audited as created from the command line."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from services.cli import main
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import AuditEvent, StaffAccount
from services.settings import Settings


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TANDEM_VAR_DIR", str(settings.tandem_var_dir))
    monkeypatch.setenv("TANDEM_PUBLIC_URL", "https://tandem.example.org")
    monkeypatch.setenv("TANDEM_SECRET_KEY", settings.tandem_secret_key)
    return settings


def answers(monkeypatch: pytest.MonkeyPatch, *typed: str) -> list[str]:
    prompts: list[str] = []
    replies = iter(typed)

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(replies)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return prompts


def accounts(settings: Settings) -> list[tuple[str, str, bool]]:
    async def read() -> list[tuple[str, str, bool]]:
        engine = make_engine(settings.effective_database_url)
        async with make_sessionmaker(engine)() as session:
            rows = (await session.execute(select(StaffAccount))).scalars().all()
            events = (await session.execute(select(AuditEvent))).scalars().all()
        await engine.dispose()
        assert all(e.source == "cli" for e in events)
        return [(r.email, r.role, r.password_hash is not None) for r in rows]

    return asyncio.run(read())


def test_staff_add_asks_for_the_password_twice(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = answers(monkeypatch, "a long enough passphrase", "a long enough passphrase")
    assert main(["staff", "add", "Boss@Example.org", "--role", "admin"]) == 0
    assert len(prompts) == 2
    assert "added boss@example.org (admin)" in capsys.readouterr().out
    assert accounts(cli_env) == [("boss@example.org", "admin", True)]
    # The same address again, in any case, is refused.
    answers(monkeypatch, "a long enough passphrase", "a long enough passphrase")
    assert main(["staff", "add", "BOSS@example.org", "--role", "admin"]) == 1
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("typed", "reason"),
    [(("short",), "too short"), (("a long enough passphrase", "a different one!!"), "differ")],
)
def test_staff_add_refuses_short_or_mismatched_passwords(
    cli_env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    typed: tuple[str, ...],
    reason: str,
) -> None:
    answers(monkeypatch, *typed)
    assert main(["staff", "add", "cm@example.org", "--role", "case_manager"]) == 1
    assert reason in capsys.readouterr().err
    assert accounts(cli_env) == []


def test_staff_add_with_link_prints_a_one_time_link(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = answers(monkeypatch)
    assert main(["staff", "add", "ps@example.org", "--role", "program_staff", "--link"]) == 0
    out = capsys.readouterr().out
    assert prompts == []
    assert re.search(r"https://tandem\.example\.org/dashboard/set-password/[\w-]{40,}\n", out)
    assert accounts(cli_env) == [("ps@example.org", "program_staff", False)]


def test_staff_add_refuses_an_unknown_role(cli_env: Settings) -> None:
    with pytest.raises(SystemExit):
        main(["staff", "add", "x@example.org", "--role", "superuser"])


def test_the_access_log_leaves_out_set_password_tokens() -> None:
    from services.logs import _logged_path

    assert _logged_path("/dashboard/set-password/abc123") == "/dashboard/set-password/{token}"
    assert _logged_path("/dashboard/audit") == "/dashboard/audit"
