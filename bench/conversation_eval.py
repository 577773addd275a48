"""Conversations written blind, through the real stack: transcripts for people to read, and the
failures a machine can see.

Run from the repository root with the services venv (the model must be trained: `make train`):

    .venv/bin/python bench/conversation_eval.py --set bench/blind/conversations_P.yml \\
        --transcripts tests/e2e/transcripts

The set is in the format of ``../shared/evaluation/BLIND_SETS.md`` (``conversations:`` with
``id``, ``turns`` and ``expect``; ``persona`` and ``checks`` are kept in the transcript). Each
conversation comes from a phone number of its own, one turn after the other, as signed SMS
(the stack is booted as in ``bench/safety_eval.py`` unless ``--url`` names a running one).

It writes one Markdown transcript per conversation and prints:

* turns answered: every text of hers got at least one reply;
* swallowed: a text of hers taken as her name when it is not one ("Thanks, Ride Never Came!");
* unplaced: "I couldn't find that place" to a text with no place in it.

What a good helper would have said (``expect``, ``checks``) needs a reader: the transcripts
put it beside what Tandem said.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.live_stack import Sender, boot_stack, stop_stack  # noqa: E402
from safety.crisis import normalize  # noqa: E402

_NAMED = re.compile(r"Thanks, ([^!]{1,60})!")
_UNPLACED = "couldn't find that place"
# How women say their name: what may stand around the name itself.
_NAME_WORDS = {
    "im", "i", "am", "my", "name", "is", "its", "call", "me", "this", "hi", "hey", "hello",
    "soy", "llamo", "mi", "nombre", "es", "yo", "dime", "just", "you", "can", "ok",
}  # fmt: skip
_PLACE = re.compile(r"\b\d{5}\b|\b(?:in|near|en|cerca)\b", re.IGNORECASE)


@dataclass
class Turn:
    text: str
    replies: list[str]

    @property
    def swallowed(self) -> bool:
        """Her text confirmed as her name when it holds more than a name."""
        for reply in self.replies:
            found = _NAMED.search(reply)
            if found is None:
                continue
            name = set(normalize(found.group(1)).split())
            rest = set(normalize(self.text).split()) - name - _NAME_WORDS
            if len(name) > 2 or rest:
                return True
        return False

    @property
    def unplaced(self) -> bool:
        return any(_UNPLACED in r for r in self.replies) and not _PLACE.search(self.text)


async def run_conversation(
    sender: Sender, http: aiohttp.ClientSession, phone: str, turns: list[str]
) -> list[Turn]:
    done = []
    for text in turns:
        done.append(Turn(text, await sender.send(http, phone, text)))
    return done


async def run_all(sender: Sender, conversations: list[dict], first: int) -> list[list[Turn]]:
    gate = asyncio.Semaphore(4)

    async def one(i: int, conversation: dict, http: aiohttp.ClientSession) -> list[Turn]:
        async with gate:
            turns = [str(t) for t in conversation["turns"]]
            return await run_conversation(sender, http, f"+1413{first + i:07d}", turns)

    async with aiohttp.ClientSession() as http:
        return list(await asyncio.gather(*(one(i, c, http) for i, c in enumerate(conversations))))


def transcript(conversation: dict, turns: list[Turn]) -> str:
    lines = [
        f"# {conversation['id']}: {conversation.get('persona') or conversation.get('topic', '')}"
    ]
    lines += ["", f"Language: {conversation.get('lang', 'en')}", ""]
    for n, turn in enumerate(turns, 1):
        lines.append(f"**{n}. She:** {turn.text}")
        lines.append("")
        for reply in turn.replies or ["(no reply)"]:
            lines.append(f"> **Tandem:** {reply}")
            lines.append(">")
        if lines[-1] == ">":
            lines.pop()
        flags = [f for f, on in (("SWALLOWED", turn.swallowed), ("UNPLACED", turn.unplaced)) if on]
        if flags:
            lines.append(f"\n_machine check: {', '.join(flags)}_")
        lines.append("")
    lines += ["## What a good helper would do (written with the conversation)", ""]
    lines.append(str(conversation.get("expect", "")).strip())
    checks = conversation.get("checks") or []
    if checks:
        lines += ["", "Checks:"]
        for check in checks:
            kind = "must" if "must" in check else "must not"
            lines.append(
                f"- turn {check.get('turn')}: {kind}: {check.get('must', check.get('must_not'))}"
            )
    return "\n".join(lines) + "\n"


def figures(all_turns: list[list[Turn]]) -> dict[str, tuple[int, int]]:
    turns = [t for conversation in all_turns for t in conversation]
    return {
        "answered": (sum(bool(t.replies) for t in turns), len(turns)),
        "swallowed": (sum(t.swallowed for t in turns), len(turns)),
        "unplaced": (sum(t.unplaced for t in turns), len(turns)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", required=True, type=Path, help="conversations (YAML)")
    parser.add_argument("--transcripts", type=Path, help="folder for the Markdown transcripts")
    parser.add_argument("--url", help="a running stack (default: boot one)")
    args = parser.parse_args(argv)
    conversations = yaml.safe_load(args.set.read_text(encoding="utf-8"))["conversations"]

    process = None
    if not args.url:
        process, env, _ = boot_stack()
        os.environ.update(env)
    sender = Sender.from_settings(args.url)
    first = 6_000_000 + (int(time.time()) % 400) * 10_000
    started = time.monotonic()
    try:
        results = asyncio.run(run_all(sender, conversations, first))
    finally:
        if process is not None:
            stop_stack(process)
    if args.transcripts:
        args.transcripts.mkdir(parents=True, exist_ok=True)
        for conversation, turns in zip(conversations, results, strict=True):
            path = args.transcripts / f"{conversation['id']}.md"
            path.write_text(transcript(conversation, turns), encoding="utf-8")
    fig = figures(results)
    print(
        f"{args.set.name}: {len(conversations)} conversations in {time.monotonic() - started:.0f} s"
    )
    for name, (n, total) in fig.items():
        print(f"  {name:10s} {n}/{total}")
    for conversation, turns in zip(conversations, results, strict=True):
        for n, turn in enumerate(turns, 1):
            if turn.swallowed or turn.unplaced or not turn.replies:
                first_reply = (turn.replies or ["(none)"])[0][:80]
                print(f"  {conversation['id']} turn {n}: {turn.text[:60]!r} -> {first_reply!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
