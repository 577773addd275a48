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


def closed_port_url() -> str:
    """The URL of a local service that is down (nothing listens on its port)."""
    return f"http://127.0.0.1:{free_port()}"
