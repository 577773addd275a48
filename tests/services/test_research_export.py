"""`tandem export-research PATH`: one row per woman per week with counts, codes and her place
on the continuum; nothing that identifies her (no phone, name, client id, free text or date
finer than the week); ids linkable only with the research key; an owner-only file; one audit
row."""

from __future__ import annotations

import asyncio
import csv
import re
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.cli import main
from services.cli import research as research_cli
from services.clients.phones import PhoneVault
from services.db.base import utcnow
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import AuditEvent, Client, EngagementSignal, Message, Referral
from services.engagement.research import COLUMNS, research_id, week_start
from services.settings import Settings
from tests.services.referral_support import BUPRENORPHINE

KEY = "research-key-for-tests-0123456789"
PHONE = "+14135550188"
WORDS = "Dr Quimby never listens to me"
HER_TEXT = "my landlord Gus Fring is evicting me"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TANDEM_VAR_DIR", str(settings.tandem_var_dir))
    monkeypatch.setenv("TANDEM_PHONE_ENCRYPTION_KEYS", settings.tandem_phone_encryption_keys)
    monkeypatch.setenv("TANDEM_RESEARCH_KEY", KEY)
    return settings


def run(settings: Settings, work):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.effective_database_url)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def add_women(settings: Settings) -> list[str]:
    """Rosa: three weeks of texts, a need met, a rating with words; Ana: one slip."""
    vault = PhoneVault(settings.tandem_phone_hash_key, settings.tandem_phone_encryption_keys)
    now = utcnow()

    async def work(session):  # type: ignore[no-untyped-def]
        rosa = Client(
            phone_hash=vault.lookup_hash(PHONE),
            phone_encrypted=vault.encrypt(PHONE),
            preferred_name="Rosa",
        )
        ana = Client(phone_hash="h2", phone_encrypted="x", preferred_name="Ana")
        session.add_all([rosa, ana])
        await session.flush()
        ago = lambda days: now - timedelta(days=days)  # noqa: E731
        session.add_all(
            [
                EngagementSignal(client_id=rosa.id, type="message_in", created_at=ago(15)),
                EngagementSignal(
                    client_id=rosa.id, type="need_expressed", value="housing", created_at=ago(15)
                ),
                EngagementSignal(client_id=rosa.id, type="message_in", created_at=ago(8)),
                EngagementSignal(client_id=rosa.id, type="appointment_attended", created_at=ago(8)),
                EngagementSignal(
                    client_id=rosa.id,
                    type="provider_rating",
                    value="2",
                    words=WORDS,
                    source="staff",
                    created_at=ago(1),
                ),
                EngagementSignal(client_id=ana.id, type="return_to_use", created_at=ago(3)),
                Message(
                    client_id=rosa.id,
                    direction="inbound",
                    body=HER_TEXT,
                    state="answered",
                    created_at=ago(8),
                ),
                Referral(
                    client_id=rosa.id,
                    service_id=BUPRENORPHINE,
                    need="moud_buprenorphine",
                    created_by="bot",
                    status="requested",
                    created_at=ago(8),
                ),
            ]
        )
        return [rosa.id, ana.id]

    return run(settings, work)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_the_export_is_one_row_per_woman_week_and_says_nothing_about_who_she_is(
    cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rosa, ana = add_women(cli_env)
    path = tmp_path / "research.csv"
    assert main(["export-research", str(path)]) == 0
    assert "client-weeks, de-identified" in capsys.readouterr().out

    raw = path.read_text()
    for secret in (PHONE, PHONE[2:], "5550188", "Rosa", "Ana", rosa, ana, "Quimby", "Fring"):
        assert secret not in raw, secret
    rows = read(path)
    assert list(rows[0]) == COLUMNS
    for row in rows:
        assert re.fullmatch(r"\d{4}-W\d{2}", row["week"])
        assert re.fullmatch(r"[0-9a-f]{20}", row["research_id"])
        # Every other cell is a count, a 0/1 flag or a continuum code: no free text.
        for column, cell in row.items():
            if column not in ("research_id", "week", "continuum"):
                assert cell.isdigit(), (column, cell)
        assert row["continuum"] in ("not_engaged", "connecting", "cooperative", "collaborative")

    hers = [r for r in rows if r["research_id"] == research_id(KEY, rosa)]
    now = utcnow()
    weeks = (week_start(now) - week_start(now - timedelta(days=15))).days // 7 + 1
    assert [int(r["week_number"]) for r in hers] == list(range(1, weeks + 1))
    assert sum(int(r["n_message_in"]) for r in hers) == 2
    assert sum(int(r["n_provider_rating"]) for r in hers) == 1
    assert sum(int(r["referrals_made"]) for r in hers) == 1
    assert hers[-1]["continuum"] == "cooperative"  # kept an appointment, consented to a referral
    slipped = [r for r in rows if r["research_id"] == research_id(KEY, ana)]
    assert slipped[-1]["flagged"] == "1"  # a return to use 3 days ago, no follow-up


def test_the_file_is_owner_only_even_over_an_older_one(cli_env: Settings, tmp_path: Path) -> None:
    add_women(cli_env)
    path = tmp_path / "research.csv"
    path.write_text("old")
    path.chmod(0o644)
    assert main(["export-research", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_export_is_audited_as_one_row(cli_env: Settings, tmp_path: Path) -> None:
    add_women(cli_env)
    assert main(["export-research", str(tmp_path / "r.csv")]) == 0

    async def audit_rows(session):  # type: ignore[no-untyped-def]
        return list(await session.scalars(select(AuditEvent)))

    rows = run(cli_env, audit_rows)
    assert [(r.action, r.source, r.target_type) for r in rows] == [
        ("research_exported", "cli", "rows")
    ]
    assert rows[0].target_id == str(len(read(tmp_path / "r.csv")))


def test_ids_link_only_with_the_key(
    cli_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rosa, _ = add_women(cli_env)
    assert main(["export-research", str(tmp_path / "a.csv")]) == 0
    assert main(["export-research", str(tmp_path / "b.csv")]) == 0
    monkeypatch.setenv("TANDEM_RESEARCH_KEY", "another-research-key-0123456789")
    assert main(["export-research", str(tmp_path / "c.csv")]) == 0
    ids = [{r["research_id"] for r in read(tmp_path / f"{n}.csv")} for n in "abc"]
    assert ids[0] == ids[1]  # the same key: the same ids, so exports can be joined
    assert ids[0].isdisjoint(ids[2])  # another key: nothing in common
    assert research_id(KEY, rosa) in ids[0]


def test_no_key_no_export(
    cli_env: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TANDEM_RESEARCH_KEY", "short")
    path = tmp_path / "r.csv"
    assert main(["export-research", str(path)]) == 2
    assert "needs a research key" in capsys.readouterr().out
    assert not path.exists()

    production = Settings.model_construct(tandem_env="production", tandem_research_key="")
    monkeypatch.setattr(research_cli, "load_settings", lambda: production)
    assert main(["export-research", str(path)]) == 2
    assert "set TANDEM_RESEARCH_KEY" in capsys.readouterr().out
    assert not path.exists()
