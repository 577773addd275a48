"""Conversations written blind from short personas (bench/blind/conversations_P.yml, issue 10),
end to end through the real stack: every text of hers is answered, none is taken as her name
when it is not one, and none gets "I couldn't find that place" when it names no place.

The transcripts people read are in tests/e2e/transcripts/ (written by
`bench/conversation_eval.py --transcripts`); this test writes its own to a temporary folder and
prints where, so a failure can be read in full.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from bench.conversation_eval import Turn, run_all, transcript
from bench.live_stack import Sender
from tests.e2e.conftest import REPO, Stack

CONVERSATIONS = REPO / "bench" / "blind" / "conversations_P.yml"


def _sender(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Sender:
    for name, value in stack.env.items():
        monkeypatch.setenv(name, value)
    return Sender.from_settings(stack.url)


def test_blind_conversations_are_answered_and_nothing_is_swallowed(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    conversations = yaml.safe_load(CONVERSATIONS.read_text(encoding="utf-8"))["conversations"]
    assert len(conversations) >= 20
    results = asyncio.run(run_all(_sender(stack, monkeypatch), conversations, 7_000_000))
    problems: list[str] = []
    for conversation, turns in zip(conversations, results, strict=True):
        (tmp_path / f"{conversation['id']}.md").write_text(transcript(conversation, turns))
        problems += _problems(conversation["id"], turns)
    assert problems == [], f"transcripts in {tmp_path}"


def _problems(name: str, turns: list[Turn]) -> list[str]:
    found = []
    for n, turn in enumerate(turns, 1):
        if not turn.replies:
            found.append(f"{name} turn {n} unanswered: {turn.text!r}")
        if turn.swallowed:
            found.append(f"{name} turn {n} taken as her name: {turn.text!r}")
        if turn.unplaced:
            found.append(f"{name} turn {n} 'couldn't find that place': {turn.text!r}")
    return found
