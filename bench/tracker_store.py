"""Reading and saving her conversation in Rasa's tracker store on PostgreSQL: Tandem's store
(bot/tracker_store.py: a Core query of the JSON column, one multi-row INSERT, no recount)
against Rasa 3.6's own code for the same encrypted table (ORM rows, an ORM object per event,
the stored events counted before each save), interleaved in one process, one turn at a time
as Rasa does it (retrieve, 7 new events, save) over conversations of 15 turns.

    PYTHONPATH=. .venv-bot/bin/python bench/tracker_store.py [--conversations 8]
        [--server postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import event_types
from bot.tracker_store import KEYS_ENV, EncryptedSQLTrackerStore

REPO = Path(__file__).resolve().parents[1]
TURNS = 15


class RasasOwn(EncryptedSQLTrackerStore):
    """The same table and encryption, read and written by Rasa 3.6's own methods."""

    _retrieve = SQLTrackerStore._retrieve
    save = SQLTrackerStore.save
    _additional_events = SQLTrackerStore._additional_events


def one_turn(tracker: DialogueStateTracker, i: int) -> None:
    """What a search turn adds: her message with its parse data, a slot, two actions, a reply."""
    intent = {"name": "need_moud", "confidence": 0.91}
    ranking = [{"name": f"intent_{k}", "confidence": 0.01} for k in range(10)]
    text = f"i need help getting on suboxone, im in 01105 ({i})"
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(
        UserUttered(text, intent, [], {"intent": intent, "intent_ranking": ranking, "text": text})
    )
    tracker.update(SlotSet("need", "moud_buprenorphine"))
    tracker.update(ActionExecuted("action_validate_slot_mappings"))
    tracker.update(ActionExecuted("action_search_services"))
    tracker.update(BotUttered("1) Demo Recovery Program 1, Springfield. Call (413) 555-0101. " * 2))
    tracker.update(ActionExecuted("action_listen"))


async def conversation(store: SQLTrackerStore, domain: Domain) -> tuple[float, float]:
    """Mean ms to retrieve and to save, per turn."""
    sender = f"bench-{uuid.uuid4().hex}"
    tracker = DialogueStateTracker(sender, domain.slots)
    for event in (ActionExecuted("action_session_start"), SessionStarted()):
        tracker.update(event)
    await store.save(tracker)
    read = write = 0.0
    for i in range(TURNS):
        start = time.perf_counter()
        found = await store.retrieve(sender)
        read += time.perf_counter() - start
        assert found is not None
        one_turn(found, i)
        start = time.perf_counter()
        await store.save(found)
        write += time.perf_counter() - start
    return 1000 * read / TURNS, 1000 * write / TURNS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    os.environ.setdefault(KEYS_ENV, Fernet.generate_key().decode())
    event_types.install()  # as bot/rasa_server.py does for both
    name = f"bench_tracker_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(args.server)
    domain = Domain.load(REPO / "domain.yml")
    try:
        stores = {
            cls.__name__: cls(
                domain=domain,
                dialect="postgresql",
                host=url.host,
                port=url.port,
                db=name,
                username=url.username,
                password=url.password,
            )
            for cls in (RasasOwn, EncryptedSQLTrackerStore)
        }
        runs: dict[str, list[tuple[float, float]]] = {n: [] for n in stores}
        for _ in range(args.conversations):  # interleaved
            for store_name, store in stores.items():
                runs[store_name].append(asyncio.run(conversation(store, domain)))
        print(f"load: {os.getloadavg()[0]:.2f} (1 min); PostgreSQL; {TURNS} turns each")
        means = {}
        for store_name, found in runs.items():
            kept = found[1:]  # the first conversation warms each up
            means[store_name] = tuple(sum(x[k] for x in kept) / len(kept) for k in (0, 1))
            read, write = means[store_name]
            print(f"{store_name:<26} retrieve {read:5.2f} ms  save {write:5.2f} ms per turn")
        (rasa_read, rasa_write), (read, write) = (
            means["RasasOwn"],
            means["EncryptedSQLTrackerStore"],
        )
        print(
            f"Tandem/Rasa's own: retrieve {read / rasa_read:.2f}x, save {write / rasa_write:.2f}x, "
            f"turn {(read + write) / (rasa_read + rasa_write):.2f}x"
        )
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
