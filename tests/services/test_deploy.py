"""deploy/ names only what exists: every unit's command parses with the `tandem` command's own
parser, every variable is one Tandem reads, every `make` target is in the Makefile, every nginx
location is a route of the services, and the units parse for systemd (and the nginx file for
nginx, when they are installed here). `tandem run --process` starts the very process `tandem
run` would."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from services import stack
from services.app import create_app
from services.cli import build_parser
from services.settings import REPO_ROOT, Settings

DEPLOY = REPO_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
NGINX = DEPLOY / "nginx" / "tandem.conf"
DOCS = [DEPLOY / "README.md", DEPLOY / "tandem.env.example", NGINX, *UNITS]
VARIABLE = re.compile(r"\b(?:TANDEM|RASA|REDIS|DATABASE|TWILIO|ACTION|PG)[A-Z0-9]*_[A-Z0-9_]+\b")
# Where a variable counts as read: the code of both runtimes and the Makefile.
CODE = ["services", "bot", "actions", "safety", "Makefile"]


def exec_starts() -> list[tuple[str, list[str]]]:
    found = []
    for unit in UNITS:
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                found.append((unit.name, shlex.split(line.removeprefix("ExecStart="))))
    return found


def tandem_commands_in_readme() -> list[list[str]]:
    """Each `tandem ...` line of deploy/README.md's code blocks (comments cut off)."""
    text = (DEPLOY / "README.md").read_text()
    commands = []
    for block in re.findall(r"```\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("tandem ") and "()" not in line:
                commands.append(shlex.split(line)[1:])
    return commands


def test_every_unit_runs_a_tandem_command_that_exists() -> None:
    starts = exec_starts()
    assert {name for name, _ in starts} == {u.name for u in UNITS if u.suffix == ".service"}
    for name, argv in starts:
        assert argv[0] == "/opt/tandem/.venv/bin/tandem", name
        args = [arg.replace("%i", "1") for arg in argv[1:]]
        build_parser().parse_args(args)  # exits (fails the test) on an unknown command or flag


def test_each_bot_process_kind_has_its_unit_with_its_index() -> None:
    processes = {
        argv[argv.index("--process") + 1]: argv for _, argv in exec_starts() if "--process" in argv
    }
    assert set(processes) == set(stack.PROCESS_KINDS)
    for kind in ("rasa", "actions"):
        assert processes[kind][-2:] == ["--index", "%i"]


def test_the_readme_commands_parse() -> None:
    commands = tandem_commands_in_readme()
    assert ["backup", "/var/backups/tandem/2026-12-05"] in commands
    assert ["restore", "/var/backups/tandem/2026-12-05"] in commands
    for args in commands:
        build_parser().parse_args(args)


def test_every_variable_named_is_read_by_tandem() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    code = "\n".join(
        path.read_text(errors="replace")
        for root in CODE
        for path in ([REPO_ROOT / root] if root == "Makefile" else (REPO_ROOT / root).rglob("*"))
        if path.is_file() and path.suffix in {"", ".py", ".yml"}
    )
    named = {name for doc in DOCS for name in VARIABLE.findall(doc.read_text())}
    assert {"TANDEM_TRUSTED_PROXIES", "TANDEM_RASA_WORKERS", "DATABASE_URL"} <= named
    unknown = sorted(name for name in named if name not in fields and name not in code)
    assert unknown == []


def test_every_make_target_named_exists() -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", (REPO_ROOT / "Makefile").read_text(), re.M))
    named = set(re.findall(r"`make ([a-z-]+)", (DEPLOY / "README.md").read_text()))
    named |= set(re.findall(r"^\s*make ([a-z-]+)", (DEPLOY / "README.md").read_text(), re.M))
    assert named and named <= targets


def test_every_nginx_location_is_a_route_of_the_services(settings: Settings) -> None:
    paths = {
        route.resource.canonical
        for route in create_app(settings).router.routes()
        if route.resource is not None
    }
    locations = re.findall(r"^\s*location\s+(=\s+)?(\S+)\s*\{", NGINX.read_text(), re.M)
    assert len(locations) > 3
    for exact, path in locations:
        if path == "/":
            continue  # the catch-all refusal
        if exact:
            assert path in paths, path
        else:
            assert any(p.startswith(path) for p in paths), path
    # Twilio's two webhooks go to the one upstream that keeps her turns in order.
    for webhook in ("/sms/inbound", "/sms/status"):
        block = NGINX.read_text().split(f"location = {webhook} {{")[1].split("}")[0]
        assert "proxy_pass http://tandem_sms;" in block


def test_nginx_overwrites_the_forwarded_headers() -> None:
    text = NGINX.read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "$proxy_add_x_forwarded_for" not in text  # would keep what the client wrote


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_the_units_parse_for_systemd() -> None:
    for unit in UNITS:
        done = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True
        )
        # /opt/tandem does not exist here; anything else it says is a mistake in the unit.
        problems = [
            line
            for line in (done.stdout + done.stderr).splitlines()
            if line.strip() and "is not executable" not in line
        ]
        assert problems == [], unit.name


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed here")
def test_nginx_accepts_the_example(tmp_path: Path) -> None:  # pragma: no cover - no nginx here
    conf = tmp_path / "nginx.conf"
    example = NGINX.read_text().replace("/etc/letsencrypt/live/sms.example.org", str(tmp_path))
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=x", "-days",
         "1", "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    conf.write_text(f"pid {tmp_path}/nginx.pid; error_log stderr; events {{}} http {{ {example} }}")
    done = subprocess.run(["nginx", "-t", "-c", str(conf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_process_of_the_stack_is_started_as_tandem_run_starts_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = settings.model_copy(
        update={
            "rasa_url": "http://127.0.0.1:15005",
            "action_server_url": "http://127.0.0.1:15055",
            "tandem_rasa_workers": 2,
            "tandem_action_workers": 2,
            "redis_url": "redis://127.0.0.1:6379/1",
        }
    )
    model = tmp_path / "tandem-x.tar.gz"
    model.touch()
    monkeypatch.chdir(REPO_ROOT)  # where exec_process moves to
    monkeypatch.setattr(stack, "model_path", lambda: model)
    started: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(stack.os, "execve", lambda path, argv, env: started.append((argv, env)))
    kids = {kid.name: kid for kid in stack.children(settings, model)}

    for kind, index, name in (("rasa", 2, "rasa 2"), ("actions", 1, "action server 1")):
        stack.exec_process(settings, kind, index)
        argv, env = started.pop()
        assert argv == kids[name].argv and env == kids[name].env
    assert kids["rasa 2"].argv[kids["rasa 2"].argv.index("-p") + 1] == "15006"
    stack.exec_process(settings, "services", 1)
    assert started.pop()[0][-1] == "serve"

    assert stack.exec_process(settings, "rasa", 3) == 2  # TANDEM_RASA_WORKERS is 2
    model.unlink()
    assert stack.exec_process(settings, "rasa", 1) == 2  # no model: say so, start nothing
    assert started == []


def test_the_environment_file_leaves_each_units_own_settings_alone() -> None:
    """systemd lets EnvironmentFile= override a unit's Environment= (tandem-services@8081
    would listen on the file's port instead)."""
    assigned = set(re.findall(r"^([A-Z_]+)=", (DEPLOY / "tandem.env.example").read_text(), re.M))
    per_unit = {
        name
        for unit in UNITS
        for name in re.findall(r"^Environment=([A-Z_]+)=", unit.read_text(), re.M)
    }
    assert per_unit == {"TANDEM_PORT"}
    assert not per_unit & assigned
    assert {"TANDEM_ENV", "TANDEM_TRUSTED_PROXIES", "TANDEM_RASA_WORKERS"} <= assigned
