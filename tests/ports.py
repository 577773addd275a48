"""Local ports for tests: every server a test starts listens on a port the system picked
free, and every service a test must find down is a port nothing listens on, never a default
(8080, 5005, 5055), so the tests pass beside a running stack (`make run`). Standard library
only: both runtimes import it."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now, for a server the test is about to start."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A port held for the whole test run by a socket that is bound but never listens: a connection
# to it is refused at once, and no server a test starts on a system-picked port can take it.
# (A port merely found free could be handed to the next server started, and a "down" service
# then answered, or hung until a time-out: CI saw a 1.5 s wait in test_rasa_pool.)
_closed: socket.socket | None = None


def closed_port_url() -> str:
    """The URL of a local service that is down (nothing listens on its port)."""
    global _closed
    if _closed is None:
        _closed = socket.socket()
        _closed.bind(("127.0.0.1", 0))
    return f"http://127.0.0.1:{_closed.getsockname()[1]}"
