"""Files Tandem creates are its own: 0600 files in 0700 folders.

The databases hold her (encrypted) phone and message log, the tracker store her texts; other
local users have no business reading them. A private umask covers everything the `tandem`
command and the processes it starts create (SQLite gives its journal and WAL files the
database's mode); `make_private` fixes a var/ and databases made before it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

PRIVATE_UMASK = 0o077
SQLITE_COMPANIONS = ("", "-journal", "-wal", "-shm")


def private_umask() -> None:
    os.umask(PRIVATE_UMASK)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite database URL, or None for other databases and in-memory SQLite."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy knows: not a SQLite file either
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _chmod_private(path: Path, mode: int) -> None:
    if path.exists() and not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(mode)


def make_private(var_dir: Path, *database_urls: str) -> None:
    """var_dir 0700 and each SQLite database (with its journal files) 0600."""
    _chmod_private(var_dir, 0o700)
    for url in database_urls:
        path = sqlite_path(url)
        if path is not None:
            for suffix in SQLITE_COMPANIONS:
                _chmod_private(path.with_name(path.name + suffix), 0o600)
