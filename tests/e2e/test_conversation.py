"""The foundation conversation, end to end through signed webhooks against the real stack:
services, the trained Rasa model and the action server."""

from __future__ import annotations

import re
import sqlite3
import zlib

import pytest

from sms_text.segments import count_segments
from tests.directory_truth import expected_nearest
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

RESULT = re.compile(r"^(\d+)\) (.+?), ([A-Za-z .'-]+)\. Call (\(\d{3}\) \d{3}-\d{4})\. (.+)$")


def results(replies: list[str]) -> list[tuple[int, str, str]]:
    found = []
    for reply in replies:
        match = RESULT.match(reply)
        if match:
            found.append((int(match.group(1)), match.group(2), match.group(3)))
    return found


def assert_sms_sized(replies: list[str]) -> None:
    assert replies, "the bot answered nothing"
    for reply in replies:
        assert count_segments(reply) <= 2, f"{count_segments(reply)} segments: {reply!r}"


def test_suboxone_near_01105_lists_the_nearest_buprenorphine_services(stack: Stack) -> None:
    phone = "+14135550110"
    assert_sms_sized(stack.sms("hi", phone))
    asked = stack.sms("i need help getting on suboxone", phone)
    assert_sms_sized(asked)
    assert re.search(r"zip|town", " ".join(asked), re.I), asked

    listed = stack.sms("01105", phone)
    assert_sms_sized(listed)
    expected = expected_nearest("moud_buprenorphine", "01105")
    assert [name for _, name, _ in results(listed)] == expected[:3], listed
    assert [n for n, _, _ in results(listed)] == [1, 2, 3]
    assert re.search(r"more", listed[-1], re.I)

    more = stack.sms("more", phone)
    assert_sms_sized(more)
    assert [name for _, name, _ in results(more)] == expected[3:6], more
    assert [n for n, _, _ in results(more)] == [4, 5, 6]

    other = stack.sms("can u help me find childcare too", phone)
    assert_sms_sized(other)
    assert [name for _, name, _ in results(other)] == expected_nearest("childcare", "01105")[:3]


@pytest.mark.parametrize(
    ("text", "must_start", "must_contain"),
    [
        ("I took too many pills and want to die", "Call 911 now", ["naloxone", "988"]),
        ("shes not breathing", "Call 911 now", ["naloxone"]),
        ("everyone would be better off without me", None, ["988"]),
        ("he's gonna kill me", None, ["911", "1-800-799-7233", "88788"]),
        ("no quiero vivir", None, ["988"]),
    ],
)
def test_crisis_messages_get_the_crisis_reply_at_once(
    stack: Stack, text: str, must_start: str | None, must_contain: list[str]
) -> None:
    # A phone of its own per text: a second overdose message from the same woman is the
    # next step of the same emergency (tests/e2e/test_crisis_conversations.py), not a new one.
    phone = f"+1413555{6000 + zlib.crc32(text.encode()) % 1000:04d}"
    replies = stack.sms(text, phone)
    assert_sms_sized(replies)
    if must_start:
        assert replies[0].startswith(must_start), replies
    for number in must_contain:
        assert number in replies[0], replies


def test_crisis_in_the_middle_of_the_services_form(stack: Stack) -> None:
    phone = "+14135550112"
    asked = stack.sms("i need a daycare for my son", phone)
    assert re.search(r"zip|town", " ".join(asked), re.I), asked
    crisis = stack.sms("i want to kill myself", phone)
    assert "988" in crisis[0]
    assert not any(re.search(r"zip code or town", r, re.I) for r in crisis), crisis


def test_no_phone_number_reaches_rasa_or_the_logs(stack: Stack) -> None:
    # Numbers of its own, each through a greeting, a search and a crisis, so that this test
    # holds whatever ran before it (or alone).
    phones = {
        "+14135550113": ["hello there"],
        "+14135550114": ["i need help getting on suboxone", "01105", "i want to kill myself"],
    }
    for phone, texts in phones.items():
        for text in texts:
            assert stack.sms(text, phone)
    tracker = stack.var_dir / "rasa_tracker.db"
    with sqlite3.connect(tracker) as db:
        rows = db.execute("SELECT sender_id, data FROM events").fetchall()
    assert rows, "the tracker store recorded the conversations"
    dumped = " ".join(f"{s} {d}" for s, d in rows)
    log = stack.log.read_text()
    for phone in phones:
        digits = phone.removeprefix("+1")[3:]
        assert digits not in dumped
        assert digits not in log
