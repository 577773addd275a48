"""Backup and restore of both databases on the production profile: she texts, `tandem backup`
dumps Tandem's database and Rasa's tracker store while the stack runs, `tandem restore` loads
them into new, empty databases (and refuses databases that hold anything), and the stack
started on the restored ones knows her: her messages (still decrypting under the same keys)
and her tracker are there, and her "more" continues the list she was shown before."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from services.clients.phones import PhoneVault
from services.db.engine import make_engine
from tests.directory_truth import expected_nearest
from tests.e2e.conftest import REPO, TANDEM
from tests.e2e.production import (
    ProductionStack,
    deployed_env,
    her_conversation,
    running_production,
    scratch_databases,
    settled,
    stored,
    tandem,
)

pytestmark = pytest.mark.e2e

PHONE = "+14135550142"
BEFORE = ("hi", "i need help getting on suboxone", "01105")
AFTER = ("more",)
NUMBERED = re.compile(r"^(\d+)\) (.+?), ")


def listed(replies: list[str]) -> list[tuple[int, str]]:
    return [(int(m.group(1)), m.group(2)) for r in replies if (m := NUMBERED.match(r))]


def talk(stack: ProductionStack, texts: tuple[str, ...]) -> list[list[str]]:
    async def run() -> list[list[str]]:
        async with aiohttp.ClientSession() as http:
            return await her_conversation(http, stack, PHONE, texts)

    return asyncio.run(run())


async def her_rows(stack: ProductionStack) -> tuple[str, list[str]]:
    """Her phone and the text of her inbound messages, decrypted as the services read them."""
    vault = PhoneVault(
        stack.env["TANDEM_PHONE_HASH_KEY"], stack.env["TANDEM_PHONE_ENCRYPTION_KEYS"]
    )
    fernet = Fernet(stack.env["TANDEM_PHONE_ENCRYPTION_KEYS"].encode())
    engine = make_engine(stack.database_url)
    async with engine.connect() as connection:
        phone = await connection.scalar(sa.text("SELECT phone_encrypted FROM clients"))
        bodies = await connection.scalars(
            sa.text("SELECT body FROM messages WHERE direction = 'inbound' ORDER BY id")
        )
        texts = [fernet.decrypt(body.encode()).decode() for body in bodies]
    await engine.dispose()
    return vault.decrypt(phone), texts


def test_a_restored_backup_keeps_her_history_and_her_conversation(tmp_path: Path) -> None:
    backup_dir = tmp_path / "backup"
    with scratch_databases("bk") as (database_url, tracker_url):
        env = deployed_env(tmp_path / "var", database_url, tracker_url, 1, 1)
        with running_production(env, tmp_path / "before.log") as stack:
            first = talk(stack, BEFORE)
            assert [number for number, _ in listed(first[-1])] == [1, 2, 3], first[-1]
            inbound_before, tracked_before = settled(stack, 120)
            tandem(env, "backup", str(backup_dir))
        assert sorted(p.name for p in backup_dir.iterdir()) == ["rasa_tracker.dump", "tandem.dump"]

        # A restore never loads over a database that holds anything.
        refused = tandem_fails(env, "restore", str(backup_dir))
        assert "is not empty" in refused

    with scratch_databases("rs") as (database_url, tracker_url):
        restored_env = {**env, "DATABASE_URL": database_url, "RASA_TRACKER_STORE_URL": tracker_url}
        tandem(restored_env, "restore", str(backup_dir))
        tandem(restored_env, "db", "upgrade")
        with running_production(restored_env, tmp_path / "after.log") as stack:
            (client_id,) = inbound_before
            inbound, tracked = asyncio.run(stored(stack))
            assert inbound == inbound_before, "her message log restored"
            assert tracked[client_id] == tracked_before[client_id], "her tracker restored"
            assert asyncio.run(her_rows(stack)) == (PHONE, list(BEFORE))

            more = talk(stack, AFTER)[0]
            expected = expected_nearest("moud_buprenorphine", "01105")
            assert listed(more) == list(zip([4, 5, 6], expected[3:6], strict=True)), more

            inbound, tracked = settled(stack, 120)
            assert list(inbound) == [client_id], "she is the same woman, found by her phone"
            sids = [sid for sid, _ in inbound[client_id]]
            assert sids[: len(BEFORE)] == [sid for sid, _ in inbound_before[client_id]]
            assert len(sids) == len(BEFORE) + len(AFTER)
            assert tracked[client_id] == sids, "her tracker goes on from the restored one"


def tandem_fails(env: dict[str, str], *args: str) -> str:
    """A `tandem` command that must refuse (exit status 1); what it printed."""
    done = subprocess.run([*TANDEM, *args], env=env, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout
