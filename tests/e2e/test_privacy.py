"""Her words cannot leak (issue 11, finding 3), end to end against the real stack: after a
conversation (a search, her zip, a referral she signs), neither database file nor any log holds
her phone number, a message she sent or her zip in clear; and when she asks Tandem to delete
her data and confirms, her messages and her conversation in Rasa are gone."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from services.local_secrets import read_env_file
from tests.e2e.conftest import Stack, tracker_events

pytestmark = pytest.mark.e2e

PHONE = "+14135550193"
ZIP = "01040"
# Distinctive texts, so that finding one anywhere can only mean it leaked.
SENT = [
    "hey there, a friend named Quillon gave me this number",
    "i need help getting on suboxone",
    ZIP,
    "sign me up for 2",
    "YES",
    "my cousin Brandwell drives me on tuesdays",
]
# Directory tables hold the (public, fictional) services' own addresses and phone numbers.
DIRECTORY_TABLES = {
    "organizations",
    "services",
    "service_codes",
    "service_features",
    "service_search",
    "locations",
    "addresses",
    "service_at_location",
    "phones",
    "schedules",
    "alembic_version",
}


def phone_forms(phone: str) -> list[str]:
    digits = phone.removeprefix("+1")
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return [
        digits,
        f"{exchange}{line}",
        f"{exchange}-{line}",
        f"{exchange} {line}",
        f"{exchange}.{line}",
        f"%2B1{digits}",
        f"({area}) {exchange}",
    ]


def leaks(dump: str, phone: str, texts: list[str], zip_code: str) -> list[str]:
    """The lines of `dump` holding her phone (in any format), one of her texts or her zip."""
    patterns = [re.escape(form) for form in phone_forms(phone)]
    patterns += [re.escape(t) for t in texts if len(t) > 5]
    # Digits next to other digits (a timestamp, a float) are not her zip.
    patterns.append(rf"(?<![\d.]){zip_code}(?!\d)")
    found = re.compile("|".join(patterns), re.IGNORECASE)
    return [line[:300] for line in dump.splitlines() if found.search(line)]


def text_values(db: Path, skip: set[str]) -> str:
    """Every text value of every table but `skip`, as stored on disk."""
    with sqlite3.connect(db) as connection:
        tables = [
            r[0]
            for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if r[0] not in skip and not r[0].startswith("sqlite_")
        ]
        values = []
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from the schema
                values += [f"{table}: {v}" for v in row if isinstance(v, str | bytes)]
    return "\n".join(map(str, values))


@pytest.fixture(scope="module")
def conversation(stack: Stack) -> list[list[str]]:
    replies = [stack.sms(text, PHONE) for text in SENT]
    assert any("YES" in r for r in replies[3]), replies[3]  # the consent text came
    return replies


def test_neither_database_holds_her_words_in_clear(
    stack: Stack, conversation: list[list[str]]
) -> None:
    # The conversation reached Rasa, encrypted.
    assert any(e.get("text") == SENT[1] for _, _, e in tracker_events(stack.var_dir))
    tandem = text_values(stack.var_dir / "tandem.db", DIRECTORY_TABLES)
    assert "messages: " in tandem and "consents: " in tandem
    assert leaks(tandem, PHONE, SENT, ZIP) == []
    tracker = text_values(stack.var_dir / "rasa_tracker.db", set())
    assert tracker.count("events: ") > 20
    assert leaks(tracker, PHONE, SENT, ZIP) == []
    # Nor what the bot said back to her in Rasa's store (her town, the places, her consent
    # text; the consent record in Tandem's database keeps the text she signed, by design).
    said = [r for turn in conversation for r in turn if len(r) > 40]
    assert said and leaks(tracker, PHONE, said, ZIP) == []


def test_the_embedding_handed_to_rasa_is_not_stored_with_her_message(
    stack: Stack, conversation: list[list[str]]
) -> None:
    """The gateway hands Rasa the sentence embedding of her text (safety/embedding.py); the
    channel takes it out of the message's metadata before the turn is stored."""
    users = [e for _, kind, e in tracker_events(stack.var_dir) if kind == "user"]
    assert any((e.get("metadata") or {}).get("message_sid") for e in users)
    assert not any("embedding" in (e.get("metadata") or {}) for e in users)


def all_logs(stack: Stack) -> str:
    logs = "\n".join(p.read_text(errors="replace") for p in stack.var_dir.glob("*.log"))
    assert logs
    return logs


def test_no_log_holds_her_phone_or_her_words(stack: Stack, conversation: list[list[str]]) -> None:
    assert leaks(all_logs(stack), PHONE, SENT, zip_code="no zip") == []


def test_no_log_holds_her_zip(stack: Stack, conversation: list[list[str]]) -> None:
    assert leaks(all_logs(stack), PHONE, [], ZIP) == []


def test_delete_my_data_forgets_her_in_both_databases(stack: Stack) -> None:
    phone = "+14135550194"
    stack.sms("hi, i need a ride to my appointment", phone)
    (her,) = {
        s
        for s, _, e in tracker_events(stack.var_dir)
        if e.get("text") == "hi, i need a ride to my appointment"
    }
    asked = stack.sms("delete my data", phone)
    assert "Reply DELETE" in asked[0], asked
    done = stack.sms("DELETE", phone)
    assert "deleted your messages and data" in done[0], done

    assert her not in {s for s, _, _ in tracker_events(stack.var_dir)}
    with sqlite3.connect(stack.var_dir / "tandem.db") as db:
        status, phone_token, name = db.execute(
            "SELECT status, phone_encrypted, preferred_name FROM clients WHERE id = ?", (her,)
        ).fetchone()
        query = "SELECT body FROM messages WHERE client_id = ? ORDER BY id"
        bodies = [r[0] for r in db.execute(query, (her,))]
    assert (status, phone_token, name) == ("forgotten", "", None)
    # Only the confirmation (emptied: a Twilio retry gets the same answer) and its answer.
    keys = read_env_file(stack.var_dir / "local.env")["TANDEM_PHONE_ENCRYPTION_KEYS"]
    fernet = MultiFernet([Fernet(k.encode()) for k in keys.split(",")])
    assert [fernet.decrypt(b.encode()).decode() for b in bodies] == ["", done[0]]
