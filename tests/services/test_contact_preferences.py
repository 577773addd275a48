"""Her own hours and discreet mode: set through PUT /api/clients/{id}/contact-preferences,
and her hours honoured with the program's by everything sent by REST (a reply that comes
that way is a late one, replayed after an outage: it waits too). Time is a clock the test sets."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from services.app_keys import SESSIONS
from services.db.tables import Client, Message
from services.gateway.quiet_hours import first_allowed_time
from tests.services import fixtures_twilio
from tests.services.fixtures_twilio import Stack

stack = fixtures_twilio.stack  # the fixture: services app + fake Twilio server

NY = ZoneInfo("America/New_York")
PROGRAM = "21:00-08:00"


def local(*args: int) -> datetime:
    """A New York wall-clock time as the UTC instant callers pass."""
    return datetime(*args, tzinfo=NY).astimezone(UTC)


# The two windows together ------------------------------------------------------------


@pytest.mark.parametrize(
    ("hers", "now", "expected"),
    [
        # Hers starts earlier and ends with the program's: next morning at 08:00.
        ("17:00-08:00", local(2026, 6, 15, 18, 0), local(2026, 6, 16, 8, 0)),
        # Hers runs into the program's: they chain, so 08:00, not 21:00.
        ("18:00-21:00", local(2026, 6, 15, 19, 0), local(2026, 6, 16, 8, 0)),
        # The program's runs into hers: the end of hers ("only after 10").
        ("06:00-10:00", local(2026, 6, 15, 23, 0), local(2026, 6, 16, 10, 0)),
        # A window inside the day ("not at lunch").
        ("12:00-13:30", local(2026, 6, 15, 12, 15), local(2026, 6, 15, 13, 30)),
        # Outside both.
        ("17:00-08:00", local(2026, 6, 15, 12, 0), None),
        # Clocks spring forward overnight (2026-03-08): still 09:30 on her wall clock.
        ("07:00-09:30", local(2026, 3, 7, 22, 0), local(2026, 3, 8, 9, 30)),
        # Clocks fall back overnight (2026-11-01): still 10:00 on her wall clock.
        ("06:00-10:00", local(2026, 10, 31, 23, 0), local(2026, 11, 1, 10, 0)),
    ],
)
def test_the_first_time_outside_both_windows(
    hers: str, now: datetime, expected: datetime | None
) -> None:
    assert first_allowed_time(now, [PROGRAM, hers], "America/New_York") == expected


def test_windows_that_cover_the_day_never_end() -> None:
    with pytest.raises(ValueError, match="whole day"):
        first_allowed_time(local(2026, 6, 15, 12, 0), [PROGRAM, "07:00-22:00"], "America/New_York")


# The API -------------------------------------------------------------------------------


async def test_she_sets_her_hours_then_discreet_mode_and_each_change_keeps_the_other(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    path = f"/api/clients/{client_id}/contact-preferences"
    response = await client.get(path, headers=api_headers)
    assert await response.json() == {
        "client_id": client_id,
        "quiet_hours": None,
        "discreet": False,
        "changed_at": None,
        "changed_by": None,
    }
    response = await client.put(
        path, json={"quiet_hours": "17:00-08:00", "changed_by": "bot"}, headers=api_headers
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["quiet_hours"], body["discreet"], body["changed_by"]) == (
        "17:00-08:00",
        False,
        "bot",
    )
    assert body["changed_at"] is not None

    response = await client.put(
        path, json={"discreet": True, "changed_by": "staff:7"}, headers=api_headers
    )
    body = await response.json()
    assert (body["quiet_hours"], body["discreet"], body["changed_by"]) == (
        "17:00-08:00",
        True,
        "staff:7",
    )
    assert await (await client.get(path, headers=api_headers)).json() == body

    response = await client.put(path, json={"quiet_hours": None}, headers=api_headers)
    assert (await response.json())["quiet_hours"] is None
    assert (await response.json())["discreet"] is True


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"quiet_hours": "after 5"}, "quiet_hours", "21:00-08:00"),
        ({"quiet_hours": "25:00-08:00"}, "quiet_hours", "21:00-08:00"),
        ({"quiet_hours": 17}, "quiet_hours", "21:00-08:00"),
        # With the program's 21:00-08:00 nothing is left to text her in.
        ({"quiet_hours": "07:00-22:00"}, "quiet_hours", "no time of day"),
        ({"discreet": "yes"}, "discreet", "true or false"),
        ({"changed_by": "her sister"}, "changed_by", "staff:<id>"),
        ({"mornings_only": True}, "mornings_only", "not a contact preference"),
    ],
)
async def test_invalid_input_is_a_400_naming_the_field_and_changes_nothing(
    client: TestClient,
    api_headers: dict[str, str],
    client_id: str,
    body: dict[str, object],
    field: str,
    words: str,
) -> None:
    path = f"/api/clients/{client_id}/contact-preferences"
    response = await client.put(path, json=body, headers=api_headers)
    assert response.status == 400
    error = await response.json()
    assert error["field"] == field and words in error["message"]
    assert (await (await client.get(path, headers=api_headers)).json())["changed_at"] is None


async def test_an_empty_window_means_no_hours_of_her_own(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    path = f"/api/clients/{client_id}/contact-preferences"
    response = await client.put(path, json={"quiet_hours": "08:00-08:00"}, headers=api_headers)
    assert (await response.json())["quiet_hours"] is None


async def test_a_put_with_no_field_changes_and_stamps_nothing(
    client: TestClient, api_headers: dict[str, str], client_id: str
) -> None:
    path = f"/api/clients/{client_id}/contact-preferences"
    response = await client.put(path, json={"changed_by": "bot"}, headers=api_headers)
    assert response.status == 200
    assert (await response.json())["changed_at"] is None


async def test_an_unknown_client_is_a_404(client: TestClient, api_headers: dict[str, str]) -> None:
    response = await client.put(
        "/api/clients/c_nobody/contact-preferences", json={"discreet": True}, headers=api_headers
    )
    assert response.status == 404


# At send time ------------------------------------------------------------------------


async def set_hours(stack: Stack, client_id: str, hours: str | None) -> None:
    async with stack.app[SESSIONS]() as session, session.begin():
        client = await session.get(Client, client_id)
        assert client is not None
        client.contact_quiet_hours = hours


async def test_a_text_tandem_starts_waits_for_the_end_of_her_hours_and_goes_once(
    stack: Stack,
) -> None:
    client_id = await stack.new_client()
    await set_hours(stack, client_id, "17:00-10:00")  # "not after 5, not before 10"
    stack.clock.now = local(2026, 6, 15, 18, 0)  # outside the program's, inside hers
    sender = stack.sender()
    [message] = await sender.send(client_id, "Hi, it's Tandem. How are you?")
    assert message.state == "scheduled" and message.send_after == local(2026, 6, 16, 10, 0)

    stack.clock.now = local(2026, 6, 16, 8, 0)  # the program's end: hers still runs
    assert await sender.send_due() == 0
    stack.clock.now = local(2026, 6, 16, 10, 0)
    assert await sender.send_due() == 1
    assert [r.body for r in stack.fake.received] == ["Hi, it's Tandem. How are you?"]


async def test_hours_she_set_after_a_text_was_held_are_checked_again_at_send_time(
    stack: Stack,
) -> None:
    client_id = await stack.new_client()
    stack.clock.now = local(2026, 6, 15, 23, 0)  # the program's quiet hours
    sender = stack.sender()
    [message] = await sender.send(client_id, "Good morning from Tandem")
    assert message.send_after == local(2026, 6, 16, 8, 0)
    await set_hours(stack, client_id, "06:00-09:00")  # "only after 9"

    stack.clock.now = local(2026, 6, 16, 8, 0)
    assert await sender.send_due() == 0
    assert stack.fake.received == []
    assert (await stack.message(message.id)).send_after == local(2026, 6, 16, 9, 0)
    stack.clock.now = local(2026, 6, 16, 9, 0)
    assert await sender.send_due() == 1


async def test_a_late_reply_to_her_text_waits_for_her_hours_too(stack: Stack) -> None:
    client_id = await stack.new_client()
    await set_hours(stack, client_id, "17:00-10:00")
    stack.clock.now = local(2026, 6, 15, 23, 30)  # inside both windows
    async with stack.app[SESSIONS]() as session, session.begin():
        hers = Message(client_id=client_id, direction="inbound", body="where?", state="received")
        session.add(hers)
    # A turn replayed after an outage, hours after she wrote: held to her window, not sent
    # to a shared phone in the night.
    await stack.sender().deliver_replies(client_id, ["Here is the clinic's number."], hers.id)
    assert stack.fake.received == []
    stack.clock.now = local(2026, 6, 16, 9, 0)  # the program's hours are over, hers are not
    assert await stack.sender().send_due() == 0
    stack.clock.now = local(2026, 6, 16, 10, 0)
    assert await stack.sender().send_due() == 1
    assert [r.body for r in stack.fake.received] == ["Here is the clinic's number."]
