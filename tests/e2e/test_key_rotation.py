"""Key rotation on a live stack (issue 11), by the README's procedure: a conversation under the
old keys; the new keys put first and the stack restarted; `tandem keys rotate` while she keeps
texting. The bot still remembers her search (Rasa's events read back) and she is still the same
woman (her phone found under the new hash key); afterwards every phone, message and tracker
event opens with the new key alone."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.local_secrets import read_env_file
from tests.e2e.conftest import REPO, TANDEM, send_sms, stack_env, start_stack, stop_stack

pytestmark = pytest.mark.e2e
PHONE = "+14135550196"


def set_keys(var_dir: Path, **keys: str) -> None:
    """Change keys in var/local.env (where `tandem init-local` put them)."""
    path = var_dir / "local.env"
    lines = [
        line
        for line in path.read_text().splitlines()
        if line.partition("=")[0] not in {k.upper() for k in keys}
    ]
    path.write_text("\n".join([*lines, *(f"{k.upper()}={v}" for k, v in keys.items())]) + "\n")


def test_rotating_keys_while_she_texts(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = stack_env(var_dir)
    log = var_dir / "stack.log"
    old = read_env_file(var_dir / "local.env")
    old_key, old_hash = old["TANDEM_PHONE_ENCRYPTION_KEYS"], old["TANDEM_PHONE_HASH_KEY"]

    process = start_stack(env, log)
    try:
        assert any(
            "zip" in r.lower() for r in send_sms(env, "i need help getting on suboxone", PHONE)
        )
        first = send_sms(env, "01105", PHONE)
        assert any(r.startswith("1) ") for r in first), first
    finally:
        stop_stack(process, log)

    new_key, new_hash = Fernet.generate_key().decode(), "new-phone-hash-key-0123456789abcdef"
    set_keys(
        var_dir,
        tandem_phone_encryption_keys=f"{new_key},{old_key}",
        tandem_phone_hash_key=f"{new_hash},{old_hash}",
    )
    process = start_stack(env, log)
    try:
        done: dict[str, subprocess.CompletedProcess[str]] = {}

        def rotate() -> None:
            done["rotate"] = subprocess.run(
                [*TANDEM, "keys", "rotate"], env=env, cwd=REPO, capture_output=True, text=True
            )

        rotation = threading.Thread(target=rotate)
        rotation.start()
        more = send_sms(env, "more", PHONE)  # the bot reads her search back from Rasa's store
        rotation.join()
        assert done["rotate"].returncode == 0, done["rotate"].stderr
        assert "tracker events re-encrypted" in done["rotate"].stdout
        assert any(r.startswith("4) ") for r in more), more
        again = subprocess.run(
            [*TANDEM, "keys", "rotate"], env=env, cwd=REPO, capture_output=True, text=True
        )
        assert all(line.endswith(": 0") for line in again.stdout.splitlines()), again.stdout
    finally:
        stop_stack(process, log)

    fernet = Fernet(new_key.encode())
    with sqlite3.connect(var_dir / "tandem.db") as db:
        clients = db.execute("SELECT phone_hash, phone_encrypted FROM clients").fetchall()
        bodies = [r[0] for r in db.execute("SELECT body FROM messages")]
    ((phone_hash, token),) = clients  # one woman: she was never taken for someone new
    assert fernet.decrypt(token.encode()).decode() == PHONE
    assert phone_hash == hmac.new(new_hash.encode(), PHONE.encode(), hashlib.sha256).hexdigest()
    assert "01105" in [fernet.decrypt(b.encode()).decode() for b in bodies]
    with sqlite3.connect(var_dir / "rasa_tracker.db") as db:
        events = [
            json.loads(fernet.decrypt(d.encode())) for (d,) in db.execute("SELECT data FROM events")
        ]
    assert [e["text"] for e in events if e.get("event") == "user"] == [
        "i need help getting on suboxone",
        "01105",
        "more",
    ]
