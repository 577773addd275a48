"""`tandem run` hands every secret to Rasa and the action server through the environment, never
the command line (issue 11, finding 4), and Rasa is configured to send the action server its
secret (finding 1). The processes themselves are checked in tests/bot and tests/e2e."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.settings import REPO_ROOT, SECRET_FIELDS, Settings
from services.stack import children


def test_no_secret_is_on_any_command_line(settings: Settings) -> None:
    kids = children(settings, Path("models/tandem-x.tar.gz"))
    secrets = {name: getattr(settings, name) for name in SECRET_FIELDS}
    assert all(len(value) >= 16 for value in secrets.values())
    for kid in kids:
        argv = " ".join(kid.argv)
        leaked = [name for name, value in secrets.items() if value in argv]
        assert not leaked, f"{kid.name} has {leaked} on its command line"
        assert "--auth-token" not in kid.argv


def test_rasa_and_the_action_server_get_their_secrets_in_the_environment(
    settings: Settings,
) -> None:
    kids = {kid.name: kid for kid in children(settings, Path("models/tandem-x.tar.gz"))}
    for name in ("rasa", "action server"):
        env = kids[name].env
        assert env["RASA_TOKEN"] == settings.rasa_token
        assert env["ACTION_SERVER_TOKEN"] == settings.action_server_token
    # Started through the launchers that read them, not `rasa run` / `rasa run actions`.
    assert kids["rasa"].argv[1:3] == ["-m", "bot.rasa_server"]
    assert kids["action server"].argv[1:3] == ["-m", "bot.action_server"]


def test_rasa_sends_the_action_server_secret() -> None:
    endpoints = yaml.safe_load((REPO_ROOT / "bot" / "endpoints.yml").read_text())
    headers = endpoints["action_endpoint"]["headers"]
    assert headers == {"Authorization": "Bearer ${ACTION_SERVER_TOKEN}"}
