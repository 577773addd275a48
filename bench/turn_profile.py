"""Where a turn's time goes: one conversation at a time through the whole stack, each step
timed by what the stack itself measures, printed per turn (mean) beside the whole turn.

    PYTHONPATH=. .venv/bin/python bench/turn_profile.py [--conversations 5] [--py-spy PATH]
        [--production]

- the whole turn, as Twilio's webhook waits for it (signed SMS, bench/live_stack.py);
- the gateway's steps (services/metrics.py `tandem_sms_turn_step_seconds`): storing the
  message and finding her, the checks before the bot, the crisis judgement, the Rasa round
  trip, storing the replies;
- inside the Rasa round trip: the services API calls the actions make, by route
  (`tandem_http_request_seconds`), Rasa's NLU alone on the same texts (POST /model/parse),
  and the rest (policies, action calls, tracker store);
- with `--py-spy PATH` (a py-spy binary; not a Tandem requirement): where the Rasa process's
  CPU goes, sampled during the run, by part (NLU pipeline, policies, action server calls and
  the check of their answers, tracker store, crisis judgement).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import turns  # noqa: E402

METRIC = re.compile(r'^(tandem_\w+)_(sum|count)\{(\w+)="([^"]*)"\} (\S+)$')
# py-spy frames -> the part of a Rasa turn they belong to (the first that matches, innermost
# frame first, so an action call's own answer check is counted apart from the call).
PARTS = (
    ("action answers checked (jsonschema)", ("_validate_action_result",)),
    ("crisis judgement (safety/)", ("safety/judge.py",)),
    ("tracker store (SQL)", ("rasa/core/tracker_store.py",)),
    ("action server calls", ("_run_custom_action", "rasa/utils/endpoints.py")),
    ("policies", ("rasa/core/policies/", "bot/crisis_policy.py", "bot/pause_policy.py")),
    ("NLU pipeline", ("parse_message", "rasa/nlu/")),
    ("rest of the turn", ("rasa/core/processor.py",)),
)


async def scrape(http: aiohttp.ClientSession, url: str, token: str) -> dict[tuple, float]:
    async with http.get(url + "/metrics", headers={"Authorization": f"Bearer {token}"}) as response:
        text = await response.text()
    values = {}
    for line in text.splitlines():
        match = METRIC.match(line)
        if match:
            name, kind, _, label, value = match.groups()
            values[(name, label, kind)] = float(value)
    return values


async def nlu_alone(http: aiohttp.ClientSession, rasa: str, token: str) -> float:
    """Mean seconds of Rasa's NLU on the conversation's texts (POST /model/parse)."""
    seconds = []
    for _ in range(3):
        for text in turns.CONVERSATION:
            start = time.perf_counter()
            async with http.post(
                f"{rasa}/model/parse", params={"token": token}, json={"text": text}
            ) as response:
                assert response.status == 200
                await response.read()
            seconds.append(time.perf_counter() - start)
    return sum(seconds) / len(seconds)


def rasa_ms(log: Path) -> list[int]:
    return [
        json.loads(line)["ms"]
        for line in log.read_text(errors="replace").splitlines()
        if line.startswith("{") and '"bot_turn"' in line
    ]


def py_spy_parts(raw: Path) -> list[tuple[str, float]]:
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        total += int(n)
        frames = stack.split(";")[::-1]
        part = next(
            (name for f in frames for name, keys in PARTS if any(k in f for k in keys)),
            "waiting for requests, sanic, other",
        )
        counts[part] += int(n)
    return [(part, n / total) for part, n in counts.most_common()]


async def profile(tandem: turns.Tandem, conversations: int) -> tuple[int, turns.Run, dict]:
    settings = turns._settings(tandem.env)
    url, token = tandem.sender.url, settings.tandem_service_token
    async with aiohttp.ClientSession() as http:
        before = await scrape(http, url, token)
        run = turns.Run([], 0.0)
        for _ in range(conversations):
            run = run.merge(await turns.serial(turns.tandem_send(tandem), turns.new_phone))
        after = await scrape(http, url, token)
        nlu = await nlu_alone(http, tandem.rasa_urls[0], settings.rasa_token)
    delta = {k: after[k] - before.get(k, 0.0) for k in after}
    return len(run.latencies), run, {"delta": delta, "nlu": nlu}


def report(args: argparse.Namespace) -> None:
    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min), 2 cores")
    with tempfile.TemporaryDirectory(prefix="tandem-turn-profile-") as tmp:
        var_dir = Path(tmp)
        with turns.tandem_stack(
            var_dir, args.production, turns.DEFAULT_POSTGRES, turns.DEFAULT_REDIS
        ) as t:
            asyncio.run(turns.serial(turns.tandem_send(t), turns.new_phone))  # warm-up
            seen = len(rasa_ms(t.log))
            spy = None
            if args.py_spy:
                rasa_pid = next(p for p in turns.process_tree(t.pid) if "rasa" in turns.rss(p)[0])
                spy = subprocess.Popen(
                    [args.py_spy, "record", "-p", str(rasa_pid), "-r", "100", "-f", "raw"]
                    + ["-o", str(var_dir / "rasa.txt"), "--nonblocking"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(2)
            count, run, found = asyncio.run(profile(t, args.conversations))
            parts = []
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its samples and stops
                spy.wait(timeout=60)
                parts = py_spy_parts(var_dir / "rasa.txt")
            bot = rasa_ms(t.log)[seen:]
    delta, per = found["delta"], 1000 / count

    def step(name: str) -> float:
        return delta.get(("tandem_sms_turn_step_seconds", name, "sum"), 0.0) * per

    profile_name = "production: 2 Rasa + Redis + PostgreSQL" if args.production else "development"
    print(f"{count} turns, {args.conversations} conversations one at a time ({profile_name})")
    print(f"whole turn (Twilio's wait)      mean {1000 * sum(run.latencies) / count:6.1f} ms")
    print(f"  p50 {run.p(0.5):.0f} ms, p99 {run.p(0.99):.0f} ms")
    inbound = delta.get(("tandem_http_request_seconds", "/sms/inbound", "sum"), 0.0) * per
    print(f"  gateway request (services)    mean {inbound:6.1f} ms")
    edge = inbound - step("record") - step("decide") - step("reply")
    print(f"    signature, form, TwiML      mean {edge:6.1f} ms")
    print(f"    record (store it, find her) mean {step('record'):6.1f} ms")
    checks = step("decide") - step("replay") - step("judge") - step("bot")
    print(f"    checks (keywords, opt-out, flood) {checks:6.1f} ms")
    print(f"    missed messages first       mean {step('replay'):6.1f} ms")
    print(f"    crisis judgement            mean {step('judge'):6.1f} ms")
    print(f"    the bot (Rasa round trip)   mean {step('bot'):6.1f} ms")
    print(f"    reply (store the replies)   mean {step('reply'):6.1f} ms")
    api = 0.0
    for (name, route, kind), value in sorted(delta.items()):
        if name == "tandem_http_request_seconds" and route.startswith("/api/") and kind == "sum":
            calls = delta.get((name, route, "count"), 0.0)
            if calls:
                api += value * per
                print(
                    f"      API {route:<34} {calls / count:4.2f} calls/turn, "
                    f"{1000 * value / calls:5.1f} ms each, {value * per:5.1f} ms/turn"
                )
    nlu = 1000 * found["nlu"]
    print(f"      NLU alone (POST /model/parse, same texts)  mean {nlu:6.1f} ms")
    rest = step("bot") - api - nlu
    print(f"      policies, action calls, tracker store (rest) {rest:6.1f} ms")
    if bot:
        print(f"    (Rasa round trip in the gateway's log: mean {sum(bot) / len(bot):.1f} ms)")
    if args.py_spy:
        print("Rasa process CPU by part (py-spy samples):")
        for part, share in parts:
            print(f"  {part:<40} {100 * share:5.1f}%")
    print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=5)
    parser.add_argument("--py-spy", help="a py-spy binary: also sample the Rasa process")
    parser.add_argument(
        "--production", action="store_true", help="the production profile (bench/turns.py's)"
    )
    report(parser.parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
