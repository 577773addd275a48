"""`tandem db create`: the PostgreSQL databases the production profile needs, made if missing.

Tandem's own (DATABASE_URL) and Rasa's tracker store (RASA_TRACKER_STORE_URL) are separate
databases, so that each can be backed up, restored and moved on its own. Creating one needs a
connection to the server's maintenance database (`postgres`) as a role allowed to create
databases; SQLite files are made when first opened and need nothing here.
"""

from __future__ import annotations

import sqlalchemy as sa

from services.db.engine import make_engine
from services.privacy.tracker_events import async_url


async def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database `url` names unless it exists; True if it was made."""
    target = async_url(url)
    if target.get_backend_name() != "postgresql" or not target.database:
        return False
    maintenance = target.set(database="postgres").render_as_string(hide_password=False)
    engine = make_engine(maintenance)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            exists = await connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if exists:
                return False
            quoted = connection.dialect.identifier_preparer.quote(target.database)
            await connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        await engine.dispose()
