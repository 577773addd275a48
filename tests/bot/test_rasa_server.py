"""The Rasa launcher takes the API token from the environment (issue 11, finding 4): what is
exec'd, and so what `ps` shows, never holds it; Rasa's own entry point still gets it."""

from __future__ import annotations

import argparse
import sys

import pytest
from rasa.cli.arguments.run import add_server_arguments

from bot import rasa_server

TOKEN = "rasa-test-token-0123456789"


def test_rasa_gets_the_token_in_process(monkeypatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setenv("RASA_TOKEN", TOKEN)
    monkeypatch.setattr(sys, "argv", ["bot/rasa_server.py", "-m", "models/x.tar.gz"])
    monkeypatch.setattr("rasa.__main__.main", lambda: seen.append(list(sys.argv)))
    rasa_server.main()
    assert seen == [["rasa", "run", "-m", "models/x.tar.gz", f"--auth-token={TOKEN}"]]


@pytest.mark.parametrize("args", [["--auth-token", TOKEN], [f"--auth-token={TOKEN}"]])
def test_a_token_on_the_command_line_is_refused(monkeypatch, args: list[str]) -> None:
    monkeypatch.setenv("RASA_TOKEN", TOKEN)
    with pytest.raises(SystemExit, match="not on the command line"):
        rasa_server.main(["-m", "models/x.tar.gz", *args])


@pytest.mark.parametrize("token", [None, "", "short"])
def test_it_refuses_to_start_without_a_real_token(monkeypatch, token: str | None) -> None:
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    if token is not None:
        monkeypatch.setenv("RASA_TOKEN", token)
    with pytest.raises(SystemExit, match="RASA_TOKEN must be set"):
        rasa_server.main(["-m", "models/x.tar.gz"])


def test_a_token_starting_with_a_dash_stays_one_argument() -> None:
    # token_urlsafe() starts with "-" about once in 64 setups; argparse would take
    # "--auth-token -abc..." for a missing value and Rasa would not start.
    argv = rasa_server.rasa_argv(["-m", "m.tar.gz"], "-" + TOKEN)
    assert argv[-1] == f"--auth-token=-{TOKEN}"
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    assert parser.parse_args(argv[4:]).auth_token == "-" + TOKEN
