"""Files Tandem creates are private to their owner (issue 11, finding 8): var/ 0700, the
databases and local.env 0600, whatever the caller's umask; a var/ from before is tightened."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from services.file_modes import make_private, sqlite_path
from services.settings import REPO_ROOT


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tandem(env: dict[str, str], *args: str) -> None:
    # umask 022, as in a login shell: the files must still come out private.
    subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        umask=0o022,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {**os.environ, "TANDEM_ENV": "development"}
    environment["TANDEM_VAR_DIR"] = str(tmp_path / "var")
    for name in ("DATABASE_URL", "RASA_TRACKER_STORE_URL"):
        environment.pop(name, None)
    return environment


def test_init_local_and_db_upgrade_make_private_files(tmp_path: Path, env: dict) -> None:
    tandem(env, "init-local")
    tandem(env, "db", "upgrade")
    var = tmp_path / "var"
    assert mode(var) == 0o700
    assert mode(var / "local.env") == 0o600
    assert mode(var / "tandem.db") == 0o600


def test_an_existing_var_folder_is_tightened(tmp_path: Path, env: dict) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    for name in ("tandem.db", "rasa_tracker.db"):
        sqlite3.connect(var / name).close()
    (var / "rasa_tracker.db-journal").touch()
    for path in var.iterdir():
        path.chmod(0o644)
    tandem(env, "init-local")
    assert mode(var) == 0o700
    assert {name: mode(var / name) for name in os.listdir(var)} == {
        "local.env": 0o600,
        "tandem.db": 0o600,
        "rasa_tracker.db": 0o600,
        "rasa_tracker.db-journal": 0o600,
    }


def test_make_private_leaves_other_databases_alone(tmp_path: Path) -> None:
    make_private(tmp_path / "missing", "postgresql+asyncpg://db/tandem", "sqlite://")
    assert sqlite_path("sqlite+aiosqlite:////srv/tandem.db") == Path("/srv/tandem.db")
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql://db/rasa") is None
    assert sqlite_path("not a url") is None


def test_models_are_trained_private() -> None:
    recipe = (REPO_ROOT / "Makefile").read_text().split("\ntrain:", 1)[1].split("\n\n", 1)[0]
    assert "umask 077; time $(RASA) train" in recipe
