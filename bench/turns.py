"""Turn latency, throughput, tracker growth and memory of the whole stack, against a stock
`rasa init` bot's REST webhook run beside it from the same `.venv-bot` on the same machine.

    PYTHONPATH=. .venv/bin/python bench/turns.py [--production] [--rounds 3]
        [--growth 10,1000,5000] [--skip-growth] [--save]

Tandem is driven as Twilio drives it: signed SMS webhooks (bench/live_stack.py's Sender) to
`tandem run` on free ports; the stock bot (trained once under var/bench/stock, reused after)
through POST /webhooks/rest/webhook. Both get the same texts (the production-profile e2e
test's conversation), and their rounds alternate so load from other processes on the machine
falls on both alike. Printed, each beside its target:
- serial: one conversation at a time; p50/p99 and messages/s; Tandem/stock p50 (<= 1.5x);
- at once: 20 conversations together; p50/p99, messages/s; with --production (2 Rasa
  processes, Redis lock store, PostgreSQL) Tandem/stock messages/s (>= 1.6x);
- growth: her turn's p50 after 10, 1,000 and 5,000 earlier events in her tracker (months of
  daily check-ins, appended through Rasa's tracker events API), each / the first (<= 1.2x);
- memory: RSS of every process at rest and right after the load, and the total (<= 3 GB);
- CPU per message while 20 conversations run at once, by process (the bots' process trees, and
  the machine's PostgreSQL and Redis servers): where the throughput goes.
`--save` writes the output to bench/results/turns[_production].md with date, commit, command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.live_stack import Sender  # noqa: E402
from bench.saved import commit, save  # noqa: E402
from tests.e2e.production import CONVERSATION  # noqa: E402
from tests.ports import free_port  # noqa: E402

STOCK_DIR = REPO / "var" / "bench" / "stock"
BOT_BIN = REPO / ".venv-bot" / "bin"
BOT_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
GROWTH_TEXTS = ("hi", "thanks", "ok", "lol", "good morning")
AT_ONCE = 20
TARGETS = {"serial_p50": 1.5, "throughput": 1.6, "growth": 1.2, "memory_gb": 3.0}

Send = Callable[[aiohttp.ClientSession, str, str], Awaitable[list[str]]]


# -- the two bots --------------------------------------------------------------------------


def stock_model() -> Path:
    """The stock `rasa init` bot's model, trained once and kept under var/bench/stock."""
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz")) if STOCK_DIR.exists() else []
    if not models:
        STOCK_DIR.mkdir(parents=True, exist_ok=True)
        print("training the stock `rasa init` bot (once)...", flush=True)
        subprocess.run(
            [str(BOT_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
            env={**os.environ, **BOT_ENV},
            cwd=STOCK_DIR,
            check=True,
            capture_output=True,
        )
        models = sorted((STOCK_DIR / "models").glob("*.tar.gz"))
    return models[-1]


def wait_for(url: str, process: subprocess.Popen[bytes], what: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"{what} did not start in {seconds:.0f} s")


@contextlib.contextmanager
def stock_bot(log_dir: Path) -> Iterator[tuple[str, int]]:
    """The stock bot's `rasa run` on a free port (its URL and pid)."""
    model, port = stock_model(), free_port()
    log = (log_dir / "stock.log").open("wb")
    process = subprocess.Popen(
        [str(BOT_BIN / "rasa"), "run", "-m", str(model), "-i", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **BOT_ENV},
        cwd=STOCK_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/", process, "the stock bot")
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Tandem:
    sender: Sender
    env: dict[str, str]
    log: Path
    pid: int

    @property
    def rasa_urls(self) -> list[str]:
        first = int(self.env["RASA_URL"].rsplit(":", 1)[1])
        workers = int(self.env.get("TANDEM_RASA_WORKERS", "1"))
        return [f"http://127.0.0.1:{first + i}" for i in range(workers)]


@contextlib.contextmanager
def tandem_stack(var_dir: Path, production: bool, postgres: str, redis: str) -> Iterator[Tandem]:
    """`tandem run` on free ports: the development profile (SQLite, one Rasa process) or the
    production one (PostgreSQL, Redis lock store, 2 Rasa and 2 action server processes)."""
    from tests.e2e.conftest import TANDEM, stack_env

    bench_env = {"RASA_TIMEOUT_SECONDS": "12", "TANDEM_RATE_LIMIT_COUNT": "100000"}
    with contextlib.ExitStack() as stack:
        args: list[str] = []
        if production:
            from tests.e2e.production import production_env
            from tests.postgres import scratch_database

            os.environ.setdefault("TANDEM_TEST_POSTGRES_URL", postgres)
            tandem_db = stack.enter_context(scratch_database("bench_tandem"))
            rasa_db = stack.enter_context(scratch_database("bench_rasa"))
            env = production_env(
                var_dir,
                tandem_db.render_as_string(hide_password=False),
                rasa_db.set(drivername="postgresql").render_as_string(hide_password=False),
                redis,
                rasa_workers=2,
                action_workers=2,
            )
            env.update(bench_env)
            for step in (["db", "upgrade"], ["directory", "import", "data/directory"]):
                subprocess.run([*TANDEM, *step], env=env, cwd=REPO, check=True, capture_output=True)
            args = ["--profile", "production"]
        else:
            try:
                env = stack_env(var_dir, **bench_env)
            except subprocess.CalledProcessError as error:
                raise SystemExit(f"setting up the stack failed: {error.stdout!r}") from None
        log = var_dir / "stack.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [*TANDEM, "run", *args],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack.callback(stop, process)
        url = f"http://127.0.0.1:{env['TANDEM_PORT']}"
        deadline = time.monotonic() + 400
        workers = int(env.get("TANDEM_RASA_WORKERS", "1"))
        while _rasa_up(url) < workers:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the stack did not start; see {log}")
            time.sleep(1)
        settings = _settings(env)
        sender = Sender(
            url,
            settings.public_url,
            settings.twilio_auth_token,
            settings.twilio_account_sid,
            settings.twilio_from_number or "+14135550199",
        )
        yield Tandem(sender, env, log, process.pid)


def _rasa_up(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:  # noqa: S310
            return int(json.load(response)["rasa_processes"]["up"])
    except (OSError, KeyError, ValueError):
        return 0


def _settings(env: dict[str, str]):  # noqa: ANN202 - services.settings.Settings
    """The stack's settings as its own processes read them (environment and var/local.env)."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        from services.settings import load_settings

        return load_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def tandem_send(tandem: Tandem) -> Send:
    async def send(http: aiohttp.ClientSession, phone: str, text: str) -> list[str]:
        replies = await tandem.sender.send(http, phone, text)
        if not replies:
            raise RuntimeError("Tandem left a text without a reply")
        return replies

    return send


def stock_send(url: str) -> Send:
    async def send(http: aiohttp.ClientSession, sender: str, text: str) -> list[str]:
        async with http.post(
            url + "/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=aiohttp.ClientTimeout(total=60),
        ) as response:
            if response.status != 200:
                raise RuntimeError(f"stock bot answered {response.status}")
            return [r.get("text", "") for r in await response.json()]

    return send


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Run:
    latencies: list[float]  # seconds per turn
    seconds: float  # wall time of the whole run
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process, if measured

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    def merge(self, other: Run) -> Run:
        cpu = dict(self.cpu)
        for label, seconds in other.cpu.items():
            cpu[label] = cpu.get(label, 0.0) + seconds
        return Run(self.latencies + other.latencies, self.seconds + other.seconds, cpu)

    def line(self, label: str) -> str:
        return (
            f"{label:<28} {len(self.latencies):>4} turns  p50 {self.p(0.5):6.0f} ms  "
            f"p99 {self.p(0.99):6.0f} ms  {self.rate:6.1f} messages/s"
        )


_phones = iter(range(10**6))


def new_phone() -> str:
    return f"+1413{os.getpid() % 100:02d}{next(_phones):05d}"


async def conversation(
    http: aiohttp.ClientSession, send: Send, who: str, texts: tuple[str, ...]
) -> list[float]:
    """Her texts one after another, each once the last was answered; each turn's seconds (the
    stock bot may answer a text it has no story for with nothing)."""
    latencies = []
    for text in texts:
        start = time.perf_counter()
        await send(http, who, text)
        latencies.append(time.perf_counter() - start)
    return latencies


async def serial(send: Send, who: Callable[[], str]) -> Run:
    async with aiohttp.ClientSession() as http:
        start = time.perf_counter()
        latencies = await conversation(http, send, who(), CONVERSATION)
        return Run(latencies, time.perf_counter() - start)


async def at_once(send: Send, who: Callable[[], str]) -> Run:
    connector = aiohttp.TCPConnector(limit=AT_ONCE * 2)
    async with aiohttp.ClientSession(connector=connector) as http:
        start = time.perf_counter()
        runs = await asyncio.gather(
            *(conversation(http, send, who(), CONVERSATION) for _ in range(AT_ONCE))
        )
        return Run([t for r in runs for t in r], time.perf_counter() - start)


def stock_sender() -> str:
    return f"stock-{next(_phones)}"


async def measured(run: Awaitable[Run], roots: dict[str, int]) -> Run:
    """The run, with the CPU seconds each process spent during it."""
    before = cpu_by_process(roots)
    result = await run
    after = cpu_by_process(roots)
    result.cpu = {label: after[label] - before.get(label, 0.0) for label in after}
    return result


async def compare(
    tandem: Send, stock: Send, rounds: int, roots: dict[str, int]
) -> dict[str, tuple[Run, Run]]:
    """Serial and at-once runs, the two bots alternating round by round."""
    results: dict[str, tuple[Run, Run]] = {}
    for name, how in (("serial", serial), ("at_once", at_once)):
        ours, theirs = Run([], 0.0), Run([], 0.0)
        for _ in range(rounds):
            theirs = theirs.merge(await measured(how(stock, stock_sender), roots))
            ours = ours.merge(await measured(how(tandem, new_phone), roots))
        results[name] = (ours, theirs)
    return results


# -- her tracker growing ------------------------------------------------------------------


def history(count: int, before: float) -> list[dict]:
    """`count` tracker events of earlier days, ending a day before `before`: each day a
    session with a check-in sent by Tandem, her reply and the bot's answer."""
    day = [
        ("session", {"event": "action", "name": "action_session_start"}),
        ("session", {"event": "session_started"}),
        ("session", {"event": "action", "name": "action_listen"}),
        ("bot", {"event": "bot", "text": "Hi, checking in. How are you today?"}),
        ("user", {"event": "user", "text": "doing ok today"}),
        ("user", {"event": "action", "name": "utter_checkin_thanks"}),
        ("bot", {"event": "bot", "text": "Thanks for telling me."}),
        ("user", {"event": "action", "name": "action_listen"}),
    ]
    days = -(-count // len(day))
    events = []
    for n in range(count):
        index = n // len(day)
        kind, event = day[n % len(day)]
        stamp = before - (days - index) * 86400 + (n % len(day))
        event = {**event, "timestamp": stamp}
        if kind == "user":
            event.setdefault("parse_data", {"intent": {"name": "mood_ok", "confidence": 1.0}})
        events.append(event)
    return events


def client_id_of(log: Path, sid_marker: str) -> str:
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and sid_marker in line and '"client_id"' in line:
            return json.loads(line)["client_id"]
    raise RuntimeError("her client id is not in the stack log")


async def growth(tandem: Tandem, sizes: list[int], turns: int) -> list[tuple[int, Run]]:
    """Her turn's latency after `size` earlier events in her tracker, for each size."""
    from services.gateway.signature import INBOUND_PATH, signed_inbound
    from services.gateway.twiml import twiml_to_messages

    s = tandem.sender
    rasa = tandem.rasa_urls[0]
    token = tandem.env.get("RASA_TOKEN") or _settings(tandem.env).rasa_token
    results = []
    async with aiohttp.ClientSession() as http:
        for size in sizes:
            phone = new_phone()
            params, signature = signed_inbound(
                auth_token=s.token,
                public_url=s.public_url,
                account_sid=s.account,
                to=s.to,
                sender=phone,
                text="hi",
            )
            async with http.post(
                s.url + INBOUND_PATH, data=params, headers={"X-Twilio-Signature": signature}
            ) as response:
                assert twiml_to_messages(await response.text())
            await asyncio.sleep(0.2)  # the log line is written after the answer
            client_id = client_id_of(tandem.log, params["MessageSid"])
            async with http.post(
                f"{rasa}/conversations/{client_id}/tracker/events",
                params={"token": token, "include_events": "NONE"},
                json=history(size, time.time()),
                timeout=aiohttp.ClientTimeout(total=600),
            ) as response:
                assert response.status == 200, await response.text()
            async with http.get(
                f"{rasa}/conversations/{client_id}/tracker",
                params={"token": token, "include_events": "ALL"},
            ) as response:
                stored = len((await response.json())["events"])
            texts = tuple(GROWTH_TEXTS[n % len(GROWTH_TEXTS)] for n in range(turns))
            start = time.perf_counter()
            latencies = await conversation(http, tandem_send(tandem), phone, texts)
            results.append((stored, Run(latencies, time.perf_counter() - start)))
    return results


# -- memory ------------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def label(pid: int) -> str:
    """What the process runs ("rasa_server -m", "cli serve", "python3.10"), or "" if gone."""
    try:
        argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    words = [a.decode(errors="replace") for a in argv if a]
    if not words:
        return ""
    name = next((w for w in words if w.startswith(("bot.", "services.cli"))), "")
    after = words[words.index(name) + 1 : words.index(name) + 2] if name else []
    return " ".join([name.rsplit(".", 1)[-1], *after]) if name else Path(words[0]).name


def rss(pid: int) -> tuple[str, int]:
    """(what the process runs, its resident memory in bytes)."""
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return "", 0
    kib = next((int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmRSS:"), 0)
    return label(pid), kib * 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (its own, not its children's)."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


SHARED_SERVERS = ("postgres", "redis-server")  # the machine's, used by the production profile


def cpu_by_process(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far by kind of process: each bot's tree, and the shared servers' (every
    PostgreSQL backend together, Redis). A process that ends between two readings drops out."""
    totals: dict[str, float] = {}
    for owner, root in roots.items():
        for pid in process_tree(root):
            kind = f"{owner}: {label(pid)}"
            totals[kind] = totals.get(kind, 0.0) + cpu_seconds(pid)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                name = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if name in SHARED_SERVERS:
                kind = f"shared: {name}"
                totals[kind] = totals.get(kind, 0.0) + cpu_seconds(int(entry.name))
    return totals


def cpu_lines(tandem: Run, stock: Run) -> list[str]:
    """CPU milliseconds per message by process; the shared servers count where they ran."""
    lines = [f"CPU per message, {AT_ONCE} at once (ms, /proc utime+stime):"]
    totals = {}
    for owner, run in (("tandem", tandem), ("stock", stock)):
        per = {k: v * 1000 / len(run.latencies) for k, v in run.cpu.items()}
        mine = {k: v for k, v in per.items() if k.startswith(owner) or k.startswith("shared")}
        for label, ms in sorted(mine.items(), key=lambda kv: -kv[1]):
            if ms >= 0.05:
                lines.append(f"  {label.replace('shared', owner + ' run, shared'):<48} {ms:7.1f}")
        totals[owner] = sum(mine.values())
        lines.append(f"  {owner} total{'':<36} {totals[owner]:7.1f}")
    lines.append(f"  Tandem/stock CPU per message: {totals['tandem'] / totals['stock']:.2f}x")
    return lines


def memory(roots: dict[str, int]) -> list[tuple[str, int]]:
    rows = []
    for owner, root in roots.items():
        for pid in process_tree(root):
            label, size = rss(pid)
            if size:
                rows.append((f"{owner}: {label} (pid {pid})", size))
    return rows


def memory_lines(title: str, rows: list[tuple[str, int]], owner: str) -> list[str]:
    ours = sum(size for label, size in rows if label.startswith(owner))
    lines = [f"{title}:"]
    lines += [f"  {label:<52} {size / 2**20:7.0f} MB" for label, size in rows]
    lines.append(f"  {owner} total {ours / 2**30:.2f} GB")
    return lines


# -- report ------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def report(args: argparse.Namespace, print_: Callable[[str], None]) -> bool:
    ok = True
    print_(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min), 2 cores")
    with tempfile.TemporaryDirectory(prefix="tandem-bench-turns-") as tmp:
        var_dir = Path(tmp)
        with (
            stock_bot(var_dir) as (stock_url, stock_pid),
            tandem_stack(var_dir, args.production, args.postgres, args.redis) as tandem,
        ):
            ours, theirs = tandem_send(tandem), stock_send(stock_url)
            roots = {"tandem": tandem.pid, "stock": stock_pid}
            asyncio.run(compare(ours, theirs, 1, roots))  # warm-up: first turns load lazily
            rest = memory(roots)
            results = asyncio.run(compare(ours, theirs, args.rounds, roots))
            loaded = memory(roots)
            profile = (
                "production: 2 Rasa + Redis lock store + PostgreSQL"
                if args.production
                else ("development: 1 Rasa, SQLite")
            )
            print_(f"Tandem profile: {profile}; stock: `rasa init`, `rasa run`, 1 process")
            print_(f"texts: the {len(CONVERSATION)} of the production-profile e2e conversation")
            for name, title in (("serial", "1 conversation"), ("at_once", f"{AT_ONCE} at once")):
                t, s = results[name]
                print_(t.line(f"Tandem, {title}"))
                print_(s.line(f"stock, {title}"))
                p50 = t.p(0.5) / s.p(0.5)
                rate = t.rate / s.rate
                if name == "serial":
                    met = p50 <= TARGETS["serial_p50"]
                    ok &= met
                    print_(
                        f"  Tandem/stock: p50 {p50:.2f}x  p99 {t.p(0.99) / s.p(0.99):.2f}x  "
                        f"[target p50 <= {TARGETS['serial_p50']}x: {verdict(met)}]"
                    )
                else:
                    target = f"target >= {TARGETS['throughput']}x with --production"
                    met = rate >= TARGETS["throughput"]
                    if args.production:
                        ok &= met
                    print_(
                        f"  Tandem/stock: messages/s {rate:.2f}x  p50 {p50:.2f}x  "
                        f"[{target}: {verdict(met) if args.production else 'not this profile'}]"
                    )
            for line in cpu_lines(*results["at_once"]):
                print_(line)
            if not args.skip_growth:
                sizes = [int(n) for n in args.growth.split(",")]
                grown = asyncio.run(growth(tandem, sizes, args.growth_turns))
                first = grown[0][1].p(0.5)
                for size, (stored, run) in zip(sizes, grown, strict=True):
                    ratio = run.p(0.5) / first
                    met = ratio <= TARGETS["growth"]
                    ok &= met
                    print_(
                        run.line(f"{size} earlier events ({stored})")
                        + f"  {ratio:.2f}x [target <= {TARGETS['growth']}x: {verdict(met)}]"
                    )
            for line in memory_lines("memory at rest (after a warm-up round)", rest, "tandem"):
                print_(line)
            for line in memory_lines("memory under load (after the rounds)", loaded, "tandem"):
                print_(line)
            peak = max(
                sum(s for label, s in rows if label.startswith("tandem")) for rows in (rest, loaded)
            )
            met = peak / 2**30 <= TARGETS["memory_gb"]
            ok &= met
            print_(
                f"  Tandem total {peak / 2**30:.2f} GB "
                f"[target <= {TARGETS['memory_gb']} GB with 2 Rasa processes: {verdict(met)}]"
            )
    print_(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--production", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each bot, alternating")
    parser.add_argument("--growth", default="10,1000,5000", help="earlier events in her tracker")
    parser.add_argument("--growth-turns", type=int, default=15)
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument(
        "--postgres", default=os.environ.get("TANDEM_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--redis", default=os.environ.get("TANDEM_BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--save", action="store_true", help="write bench/results/turns*.md")
    args = parser.parse_args()
    out = io.StringIO()

    def print_(line: str) -> None:
        print(line, flush=True)
        out.write(line + "\n")

    # The commit the stack starts from (one made while it runs is not what was measured).
    at_commit = commit()
    ok = report(args, print_)
    if args.save:
        name = "turns_production.md" if args.production else "turns.md"
        save(name, "turns.py", sys.argv[1:], out.getvalue(), at_commit)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
