"""A load test: 50 simulated women text the production profile (2 Rasa processes, Redis lock
store, PostgreSQL) as signed SMS for 10 minutes, each with seeded-random pauses between her
texts, then every inbound message is checked to have been answered exactly once.

    PYTHONPATH=. .venv/bin/python bench/load.py [--minutes 10] [--women 50] [--save]

The stack is bench/turns.py's (`tandem run --profile production` on scratch databases), the
texts go through bench/live_stack.py's Sender, as Twilio posts them. Each woman goes round a
session of realistic texts (a greeting, a need with a zip, "more", a filter, thanks, a mood, a
question), each picked from a few phrasings, pausing 5-40 s before each. Printed: messages
sent, errors (non-200, timeouts, an empty reply), p50/p99 turn latency, the machine's load,
and, from the two databases once the replay worker has caught up: every inbound row is in
her Rasa tracker as a user event exactly once (none missing, none twice) and has a reply.
`--save` writes the output to bench/results/load.md with date, commit and command.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import aiohttp
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.saved import commit, save  # noqa: E402
from bench.turns import DEFAULT_POSTGRES, DEFAULT_REDIS, Run, tandem_stack  # noqa: E402
from services.db.engine import make_engine  # noqa: E402
from tests.e2e.production import ProductionStack, stored, warm_up  # noqa: E402

SESSION = (  # one round of her texts, in this order; each step one of its phrasings
    ("hi", "hey", "good morning", "hola"),
    (
        "i need a food pantry near 01105",
        "looking for suboxone in 01040",
        "need diapers for my baby, im in 01060",
        "is there a methadone clinic around 01020",
        "i need a ride to my appointments, zip 01105",
    ),
    ("more", "show me a few more", "any others?"),
    ("walk in ones only", "any of them open saturday", "the ones that speak spanish"),
    ("thanks", "thank you so much", "ok thx"),
    ("feeling pretty good today", "kinda tired but ok", "today was rough but im hanging in"),
    (
        "what time do they open",
        "can i breastfeed on methadone",
        "does masshealth cover rides to my appointments",
    ),
)
SETTLE_SECONDS = 180  # the replay worker answers texts that outlasted RASA_TIMEOUT_SECONDS


class Load:
    """What the women saw: each turn's seconds, and each error by kind."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.sent = 0


async def woman(
    http: aiohttp.ClientSession,
    send: Callable,
    phone: str,
    rng: random.Random,
    pause: tuple[float, float],
    until: float,
    load: Load,
) -> None:
    """Her texts, round and round her session, each after a pause, until the time is up."""
    step = 0
    while True:
        await asyncio.sleep(rng.uniform(*pause))
        if time.monotonic() >= until:
            return
        text = rng.choice(SESSION[step % len(SESSION)])
        step += 1
        load.sent += 1
        start = time.perf_counter()
        try:
            replies = await send(http, phone, text)
        except TimeoutError:
            load.errors["timeout"] += 1
            continue
        except (RuntimeError, aiohttp.ClientError) as error:
            load.errors[str(error).split(":")[0]] += 1
            continue
        load.latencies.append(time.perf_counter() - start)
        if not replies:
            load.errors["empty reply"] += 1


async def hold_load(args: argparse.Namespace, send: Callable) -> Load:
    load = Load()
    until = time.monotonic() + args.minutes * 60
    pause = (args.pause_min, args.pause_max)
    connector = aiohttp.TCPConnector(limit=args.women * 2)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(
            *(
                woman(
                    http,
                    send,
                    f"+1413777{n:04d}",
                    random.Random(args.seed * 1000 + n),
                    pause,
                    until,
                    load,
                )
                for n in range(args.women)
            )
        )
    return load


async def replies_of(database_url: str) -> tuple[set[int], dict[str, int]]:
    """The inbound message ids with a reply logged (in the webhook's TwiML or sent later),
    and each inbound MessageSid's id."""
    engine = make_engine(database_url)
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT DISTINCT in_reply_to_id FROM messages "
                "WHERE direction = 'outbound' AND in_reply_to_id IS NOT NULL"
            )
        )
        answered = {row[0] for row in rows}
        rows = await connection.execute(
            sa.text("SELECT twilio_sid, id FROM messages WHERE direction = 'inbound'")
        )
        ids = {sid: id_ for sid, id_ in rows}
    await engine.dispose()
    return {ids[sid] for sid in ids if ids[sid] in answered}, ids


async def settled(stack: ProductionStack) -> tuple[dict, dict]:
    """The inbound rows and tracker user events once no text waits for the bot any more."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        inbound, tracked = await stored(stack)
        states = {state for messages in inbound.values() for _, state in messages}
        if states <= {"answered", "replayed"} or time.monotonic() > deadline:
            return inbound, tracked
        await asyncio.sleep(2)


def check(inbound: dict, tracked: dict, replied: set[int], ids: dict, print_) -> bool:
    """Each inbound row against her tracker's user events: exactly once, and a reply."""
    rows = [(client, sid, state) for client, msgs in inbound.items() for sid, state in msgs]
    missing = duplicated = out_of_order = 0
    for client_id, messages in inbound.items():
        sids = [sid for sid, _ in messages]
        seen = Counter(sid for sid in tracked.get(client_id, []) if sid in set(sids))
        missing += sum(1 for sid in sids if seen[sid] == 0)
        duplicated += sum(count - 1 for count in seen.values() if count > 1)
        in_tracker = [sid for sid in tracked.get(client_id, []) if sid in set(sids)]
        out_of_order += in_tracker != [sid for sid in sids if seen[sid]]
    states = Counter(state for _, _, state in rows)
    unreplied = sum(1 for _, sid, _ in rows if ids[sid] not in replied)
    print_(
        f"inbound rows: {len(rows)} from {len(inbound)} women; states: "
        + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
    )
    print_(
        f"against the trackers: missing {missing}, duplicated {duplicated}, "
        f"women whose order differs {out_of_order}; without a reply: {unreplied}"
    )
    ok = not (missing or duplicated or out_of_order or unreplied)
    ok &= set(states) <= {"answered", "replayed"}
    print_(f"every inbound message answered exactly once: {'yes' if ok else 'NO'}")
    return ok


def report(args: argparse.Namespace, print_: Callable[[str], None]) -> bool:
    print_(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min), 2 cores")
    with tempfile.TemporaryDirectory(prefix="tandem-bench-load-") as tmp:
        with tandem_stack(Path(tmp), True, args.postgres, args.redis) as tandem:
            warm_up(tandem.env)
            stack = ProductionStack(
                tandem.env,
                tandem.log,
                tandem.sender.url,
                tandem.env["DATABASE_URL"],
                tandem.env["RASA_TRACKER_STORE_URL"],
            )
            print_(
                f"production profile: 2 Rasa + Redis lock store + PostgreSQL; {args.women} "
                f"women, pauses {args.pause_min:g}-{args.pause_max:g} s, {args.minutes:g} min"
            )
            started = time.monotonic()
            load = asyncio.run(hold_load(args, tandem.sender.send))
            seconds = time.monotonic() - started
            print_(f"load at the end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
            inbound, tracked = asyncio.run(settled(stack))
            replied, ids = asyncio.run(replies_of(stack.database_url))
    run = Run(load.latencies, seconds)
    errors = sum(load.errors.values())
    print_(
        f"messages sent: {load.sent} in {seconds:.0f} s ({load.sent / seconds:.2f}/s); errors: "
        f"{errors}" + (f" ({dict(load.errors)})" if errors else "")
    )
    print_(
        f"turn latency: p50 {run.p(0.5):.0f} ms  p99 {run.p(0.99):.0f} ms  max {run.p(1):.0f} ms"
    )
    ok = check(inbound, tracked, replied, ids, print_) and not errors
    print_(f"target 0 errors and every message answered once: {'met' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--women", type=int, default=50)
    parser.add_argument("--pause-min", type=float, default=5)
    parser.add_argument("--pause-max", type=float, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres", default=os.environ.get("TANDEM_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--redis", default=os.environ.get("TANDEM_BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--save", action="store_true", help="write bench/results/load.md")
    args = parser.parse_args()
    out = io.StringIO()

    def print_(line: str) -> None:
        print(line, flush=True)
        out.write(line + "\n")

    at_commit = commit()
    ok = report(args, print_)
    if args.save:
        save("load.md", "load.py", sys.argv[1:], out.getvalue(), at_commit)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
