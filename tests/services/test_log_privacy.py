"""No phone number and none of her words in the services' logs (issue 11, finding 3, logs):
the redaction catches every way a phone is written, and `tandem serve`'s access log records
paths without query strings. The tests read the log output itself."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from services.logs import (
    REDACTED,
    RedactingJsonFormatter,
    format_exception_without_messages,
    log_event,
    redact,
)
from services.settings import REPO_ROOT
from tests.ports import closed_port_url, free_port

PHONE_FORMATS = [
    "+14135550142",
    "%2B14135550142",
    "%2b14135550142",
    "+1 413 555 0142",
    "+1 (413) 555-0142",
    "+1-413-555-0142",
    "+1.413.555.0142",
    "+1+413+555+0142",  # form-encoded spaces
    "%2B1%20%28413%29%20555-0142",
    "1 (413) 555-0142",
    "1-413-555-0142",
    "(413) 555-0142",
    "(413)555-0142",
    "%28413%29%20555-0142",
    "413-555-0142",
    "413.555.0142",
    "413 555 0142",
    "413/555/0142",
    "4135550142",
    "+52 55 1234 0142",  # Mexico
    "+44 20 7946 0142",  # UK
    "+525512340142",
]
NOT_PHONES = [
    "SM4135550142aaaaaaaaaaaaaaaaaaaaaa",  # a MessageSid with a run of digits
    "c_4135550142ab",
    "2026-12-05T08:34:55.123+00:00",
    "2026-12-05 10:31:22",
    "01105",
    "123e4567-e89b-12d3-a456-426614174000",
    "limit=50&offset=100",
]


def formatted(record_message: str, **fields: object) -> str:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, record_message, None, None)
    record.fields = fields
    return RedactingJsonFormatter().format(record)


@pytest.mark.parametrize("phone", PHONE_FORMATS)
@pytest.mark.parametrize(
    "context", ["{}", "call me at {} pls", "/api/clients/{}", "q=near&to={}&x=1", "\n{}\t"]
)
def test_every_phone_format_is_redacted_in_the_log_output(phone: str, context: str) -> None:
    text = context.format(phone)
    line = formatted(text, path=text, nested={"values": [text]})
    assert "0142" not in line, line
    payload = json.loads(line)
    assert REDACTED in payload["event"] and REDACTED in payload["path"]
    assert REDACTED in payload["nested"]["values"][0]


@pytest.mark.parametrize("value", NOT_PHONES)
def test_ids_dates_and_zips_are_left_alone(value: str) -> None:
    assert redact(value) == value


def test_non_ascii_before_the_number_does_not_hide_it() -> None:
    # JSON escapes "\u00a0" as "\\u00a0": redacting after encoding glued "0" to the digits.
    line = formatted("x", note="llámame\u00a04135550142")
    assert "0142" not in line


def test_numbers_stay_numbers() -> None:
    assert json.loads(formatted("x", bytes=4135550142))["bytes"] == 4135550142


SENT_BYTES = b"\xff my words"
HER_TEXT = "her text: i relapsed, +14135550142"


def test_tracebacks_keep_frames_but_not_messages() -> None:
    def fail() -> None:
        try:
            SENT_BYTES.decode()
        except UnicodeDecodeError as error:
            raise ValueError(HER_TEXT) from error

    try:
        fail()
    except ValueError as error:
        text = format_exception_without_messages((ValueError, error, error.__traceback__))
    assert "UnicodeDecodeError" in text and "ValueError" in text and "in fail" in text
    assert "relapsed" not in text and "my words" not in text and "0142" not in text


def test_log_event_logs_the_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.log_privacy")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log_event(logger, "worker_failed", logging.ERROR, exc_info=True, client_id="c_1")
    [record] = caplog.records
    assert record.exc_info and record.fields == {"client_id": "c_1"}  # type: ignore[attr-defined]
    assert "Traceback" in RedactingJsonFormatter().format(record)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_tandem_serve_logs_paths_without_query_strings(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TANDEM_ENV": "development",
        "TANDEM_VAR_DIR": str(tmp_path / "var"),
        "TANDEM_PORT": str(port),
        "RASA_URL": closed_port_url(),
        "ACTION_SERVER_URL": closed_port_url(),
        "TANDEM_WORKER_INTERVAL_SECONDS": "0",
    }
    tandem = [sys.executable, "-m", "services.cli"]
    subprocess.run([*tandem, "init-local"], env=env, cwd=REPO_ROOT, check=True, capture_output=True)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([*tandem, "serve"], env=env, cwd=REPO_ROOT, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(base + "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, log.read_text()
                time.sleep(0.2)
        requests = {
            "/healthz?q=my+ex+is+at+12+Elm+St&phone=%2B14135550142": 200,
            "/api/services/svc-1?near=Elm+St&need=subs&text=call+4135550142": 401,
            "/api/clients/%2B1%20(413)%20555-0142/signals?x=Elm": 401,
            "/api/clients/+14135550142": 401,
        }
        for path, status in requests.items():
            assert _get(base + path) == status
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["event"] == "http_request"]
    assert [line["path"] for line in access[-4:]] == [
        "/healthz",
        "/api/services/svc-1",
        "/api/clients/[phone]/signals",
        "/api/clients/[phone]",
    ]
    assert [line["status"] for line in access[-4:]] == list(requests.values())
    assert "Elm" not in text and "0142" not in text and "subs" not in text
