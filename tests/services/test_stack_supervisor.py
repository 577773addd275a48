"""`tandem run` starts TANDEM_RASA_WORKERS Rasa processes on consecutive ports and
TANDEM_ACTION_WORKERS action servers on one port, restarts a bot process that dies after it was
ready (waiting longer while it keeps dying), and stops the stack for one that never came up."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from services.settings import Settings
from services.stack import Child, _stopped, _supervise, children


def exited(code: int, *, restartable: bool = True, ready: bool = True) -> Child:
    kid = Child("rasa 2", "http://x", "http://x/", [sys.executable, "-c", f"exit({code})"], {})
    kid.restartable, kid.ready = restartable, ready
    kid.start()
    assert kid.process is not None
    kid.process.wait()
    return kid


def test_several_rasa_and_action_server_processes(settings: Settings) -> None:
    settings = settings.model_copy(
        update={
            "rasa_url": "http://127.0.0.1:15005",
            "action_server_url": "http://127.0.0.1:15055",
            "tandem_rasa_workers": 2,
            "tandem_action_workers": 2,
            "redis_url": "redis://127.0.0.1:6379/1",
        }
    )
    kids = {kid.name: kid for kid in children(settings, Path("models/tandem-x.tar.gz"))}
    assert set(kids) == {"action server 1", "action server 2", "rasa 1", "rasa 2", "services"}
    assert kids["rasa 1"].argv[-5] == "15005" and kids["rasa 2"].argv[-5] == "15006"
    for name in ("rasa 1", "rasa 2"):
        assert kids[name].env["RASA_LOCK_STORE"] == "bot.lock_store.RedisURLLockStore"
        assert kids[name].env["REDIS_URL"] == "redis://127.0.0.1:6379/1"
    for name in ("action server 1", "action server 2"):
        assert kids[name].argv[-1] == "15055"
        assert kids[name].env["ACTION_SERVER_REUSE_PORT"] == "1"


def test_one_rasa_process_keeps_its_locks_in_memory(settings: Settings) -> None:
    kids = {kid.name: kid for kid in children(settings, Path("models/tandem-x.tar.gz"))}
    assert kids["rasa"].env["RASA_LOCK_STORE"] == "in_memory"
    assert "REDIS_URL" not in kids["rasa"].env


def test_a_bot_process_that_dies_after_start_is_restarted_later_each_time() -> None:
    kid = exited(9)
    assert _supervise(kid, now=100.0) is None
    assert kid.process is None and kid.restart_at == 101.0 and not kid.ready
    kid.ready, kid.ready_at = True, 102.0
    kid.start()
    assert kid.process is not None
    kid.process.wait()
    assert _supervise(kid, now=103.0) is None
    assert kid.restart_at == 105.0, "died again soon: waits 2 s"


def test_a_process_that_never_came_up_or_the_services_stop_the_stack() -> None:
    assert _supervise(exited(1, ready=False), now=0.0) == "rasa 2 exited with code 1"
    assert _supervise(exited(0, restartable=False), now=0.0) == "rasa 2 exited with code 0"


def test_the_stack_ends_cleanly_when_ctrl_c_reached_a_child_first() -> None:
    # Ctrl-C reaches the whole process group: the services can end (0, or killed by SIGINT)
    # before `tandem run` raises its own KeyboardInterrupt; that is a stop, not a failure.
    assert _stopped(exited(0, restartable=False))
    assert _stopped(signalled(signal.SIGINT))
    assert not _stopped(exited(1, restartable=False))


def signalled(signum: int) -> Child:
    code = f"import os, signal; os.kill(os.getpid(), {int(signum)})"
    kid = Child("services", "http://x", "http://x/", [sys.executable, "-c", code], {})
    kid.start()
    assert kid.process is not None
    kid.process.wait()
    return kid
