"""Stage-based messages, discreet mode and the follow-up after an appointment she mentioned,
as she receives them: scheduled from her dates at 10:00 program time, re-read from the
library when due, stopped at once by a loss, the discreet stand-in for a woman who asked for
it, and her own hours waited out. Time is a clock the test sets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from services.app_keys import SESSIONS
from services.checkins import stage_library
from services.checkins.texts import KINDS, check_in_text, revealing_words
from services.db.base import utcnow
from services.db.tables import CheckIn, StageMessage
from services.gateway.sms_split import split_for_sms
from tests.services import checkins_support
from tests.services.checkins_support import MINUTE, CheckIns
from tests.services.referral_support import PHONE, add_woman
from tests.services.test_checkins import set_her, signal

checkins = checkins_support.checkins  # the fixture

NY = ZoneInfo("America/New_York")
STAND_IN = "Hi, it's T. Reply 1 if it's a good time to talk."


def at_ten(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=NY).astimezone(UTC)


def today() -> date:
    return utcnow().date()


@dataclass
class Stage:
    """The check-in app, the API's headers, and what these tests do to a woman through them."""

    checkins: CheckIns
    headers: dict[str, str]

    @property
    def client(self) -> TestClient:
        return self.checkins.client

    async def patch(self, her: str, **body: object) -> None:
        response = await self.client.patch(f"/api/clients/{her}", json=body, headers=self.headers)
        assert response.status == 200, await response.text()

    async def rows(self, her: str) -> dict[str, CheckIn]:
        """Her pending stage messages by key."""
        return {
            str(r.payload["key"]): r
            for r in await self.checkins.pending(her)
            if r.kind == stage_library.KIND
        }

    async def born_today(self, language: str = "en") -> tuple[str, dict[str, CheckIn]]:
        """A woman whose baby was born today, and the stage messages that scheduled."""
        her = await add_woman(self.client, language=language)
        await self.patch(her, baby_birth_date=today().isoformat())
        return her, await self.rows(her)

    async def contact_preferences(self, her: str, **body: object) -> None:
        response = await self.client.put(
            f"/api/clients/{her}/contact-preferences", json=body, headers=self.headers
        )
        assert response.status == 200, await response.text()

    async def appointment(self, her: str, day: object):  # type: ignore[no-untyped-def]
        """She mentioned an appointment on `day` (as the bot's action reports it)."""
        return await self.client.post(
            "/api/signals",
            json={"client_id": her, "type": "appointment_upcoming", "value": day},
            headers=self.headers,
        )


@pytest.fixture
def stage(checkins: CheckIns, api_headers: dict[str, str]) -> Stage:
    return Stage(checkins, api_headers)


async def edit(client: TestClient, key: str, **values: object) -> None:
    async with client.app[SESSIONS]() as session, session.begin():
        row = await session.scalar(select(StageMessage).where(StageMessage.key == key))
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


# The library ---------------------------------------------------------------------------

TOPICS = {
    "postpartum_visit",
    "wic_pregnancy",
    "wic_baby",
    "pediatric_first_visit",
    "nows_follow_up",
    "lactation_on_moud",
    "safe_sleep",
    "self_care",
    "plan_of_safe_care",
}


def test_the_default_library_covers_the_topics_in_two_sms_segments_with_sources() -> None:
    defaults = stage_library.load_defaults()
    keys = [d.key for d in defaults]
    assert len(keys) == len(set(keys)) and 9 <= len(keys) <= 14
    assert TOPICS <= set(keys)
    for d in defaults:
        assert d.anchor in stage_library.ANCHORS
        assert d.source.strip() and isinstance(d.last_reviewed, date)
        for text in (d.text_en, d.text_es):
            assert split_for_sms(text, 2) == [text], f"{d.key}: more than 2 segments"
    assert next(d for d in defaults if d.key == "plan_of_safe_care").offset_days < 0


def test_nothing_tandem_starts_tells_she_is_in_treatment() -> None:
    """GUIDE.md: discreet in anything Tandem sends unprompted (a partner may see her phone)."""
    for d in stage_library.load_defaults():
        for text in (d.text_en, d.text_es):
            assert revealing_words(text) == [], f"{d.key}: {text}"
    for kind in KINDS:
        for language in ("en", "es"):
            assert revealing_words(check_in_text(kind, language, "Tandem")) == []
    assert revealing_words("For moms on Methadone or buprenorfina") == [
        "buprenorfina",
        "methadone",
    ]
    assert revealing_words("la recaída y la adicción") == ["adiccion", "recaida"]


async def test_the_app_seeds_the_library_once_and_keeps_staff_edits(checkins: CheckIns) -> None:
    client = checkins.client
    await edit(client, "safe_sleep", text_en="Edited by staff.", updated_by="staff:1")
    async with client.app[SESSIONS]() as session, session.begin():
        assert await stage_library.seed_missing(session, utcnow()) == 0
        library = await stage_library.library(session)
    assert set(library) == {d.key for d in stage_library.load_defaults()}
    assert library["safe_sleep"].text_en == "Edited by staff."


async def test_a_fix_to_the_file_reaches_messages_staff_never_edited(checkins: CheckIns) -> None:
    client = checkins.client
    await edit(client, "safe_sleep", text_en="Edited by staff.", updated_by="staff:1")
    await edit(client, "nows_before_birth", text_en="Watched for withdrawal (NOWS).")
    async with client.app[SESSIONS]() as session, session.begin():
        assert await stage_library.follow_defaults(session, utcnow()) == 1
        library = await stage_library.library(session)
    fixed = next(d for d in stage_library.load_defaults() if d.key == "nows_before_birth")
    assert library["nows_before_birth"].text_en == fixed.text_en
    assert library["safe_sleep"].text_en == "Edited by staff."


# Scheduling from her dates -------------------------------------------------------------


async def test_her_due_date_schedules_the_messages_still_ahead_at_ten_in_the_morning(
    stage: Stage,
) -> None:
    her = await add_woman(stage.client)
    due = today() + timedelta(days=60)
    await stage.patch(her, due_date=due.isoformat())
    rows = await stage.rows(her)
    # WIC in pregnancy (100 days before) has passed; baby-age messages wait for a birth date.
    assert set(rows) == {"plan_of_safe_care", "lactation_on_moud", "nows_before_birth"}
    assert rows["plan_of_safe_care"].due_at == at_ten(due - timedelta(days=56))

    later = due + timedelta(days=7)  # a new due date replaces them
    await stage.patch(her, due_date=later.isoformat())
    rows = await stage.rows(her)
    assert rows["plan_of_safe_care"].due_at == at_ten(later - timedelta(days=56))
    cancelled = [r for r in await stage.checkins.rows(her) if r.state == "cancelled"]
    assert {r.reason for r in cancelled} == {"rescheduled"} and len(cancelled) == 3


async def test_after_the_birth_she_gets_baby_messages_in_her_language_not_pregnancy_ones(
    stage: Stage,
) -> None:
    checkins = stage.checkins
    her = await add_woman(stage.client, language="es")
    await stage.patch(her, due_date=(today() + timedelta(days=30)).isoformat())
    born = today()
    await stage.patch(her, baby_birth_date=born.isoformat(), stage="postpartum")
    rows = await stage.rows(her)
    assert "nows_before_birth" not in rows and "safe_sleep" in rows
    assert rows["safe_sleep"].due_at == at_ten(born + timedelta(days=5))

    when = rows["safe_sleep"].due_at
    assert await checkins.dispatch(when - MINUTE) == 1  # pediatric_first_visit, day 2
    assert await checkins.dispatch(when) == 1
    assert checkins.texts_to(PHONE)[-1] == (
        "Sueño seguro: el bebé duerme solo, boca arriba, en su cuna sin nada más. Lo más "
        "seguro es compartir el cuarto, no la cama."
    )


async def test_staff_edits_reach_check_ins_already_scheduled_and_a_switched_off_one_is_skipped(
    stage: Stage,
) -> None:
    checkins = stage.checkins
    her, rows = await stage.born_today()
    await edit(
        stage.client,
        "pediatric_first_visit",
        text_en="Baby's first checkup is soon. Any questions?",
    )
    await edit(stage.client, "safe_sleep", active=False)

    assert await checkins.dispatch(rows["pediatric_first_visit"].due_at) == 1
    assert checkins.texts_to(PHONE) == ["Baby's first checkup is soon. Any questions?"]
    assert await checkins.dispatch(rows["safe_sleep"].due_at) == 0
    [skipped] = [r for r in await checkins.rows(her) if r.id == rows["safe_sleep"].id]
    assert (skipped.state, skipped.reason) == ("skipped", "stage_off")


async def test_stopping_stage_messages_cancels_hers_at_once_and_keeps_other_check_ins(
    stage: Stage,
) -> None:
    checkins = stage.checkins
    her, _ = await stage.born_today()
    await signal(stage.client, stage.headers, her, "craving")
    await stage.patch(her, stage_messages_stopped=True)
    assert [r.kind for r in await checkins.pending(her)] == ["support"]
    stopped = [r for r in await checkins.rows(her) if r.kind == stage_library.KIND]
    assert stopped and {(r.state, r.reason) for r in stopped} == {
        ("cancelled", "stage_messages_stopped")
    }
    # A date changed later schedules nothing while they are stopped.
    await stage.patch(her, baby_birth_date=(today() - timedelta(days=1)).isoformat())
    assert await stage.rows(her) == {}
    assert await checkins.dispatch(utcnow() + timedelta(days=90)) == 1  # the support one
    assert not any("baby" in t.lower() for t in checkins.texts_to(PHONE))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # A loss reported after a row was due but before it went (set behind the API's back,
        # as a stale row would see it): the dispatcher still checks.
        ({"stage_messages_stopped": True}, "stage_messages_stopped"),
        ({"checkin_cadence": "paused"}, "paused"),
        ({"checkin_cadence": "when_i_text"}, "when_i_text"),
    ],
)
async def test_what_changed_after_scheduling_is_checked_at_send_time(
    stage: Stage, change: dict[str, object], reason: str
) -> None:
    checkins = stage.checkins
    her, rows = await stage.born_today()
    await set_her(stage.client, her, **change)
    assert await checkins.dispatch(rows["safe_sleep"].due_at) == 0
    assert checkins.texts_to(PHONE) == []
    assert {r.reason for r in await checkins.rows(her) if r.state == "skipped"} == {reason}


# Discreet mode and her hours in the dispatcher -----------------------------------------


@pytest.mark.parametrize(
    ("language", "name", "expected"),
    [
        ("en", None, STAND_IN),
        ("es", None, "Hola, soy T. Responde 1 si es un buen momento para hablar."),
        ("en", "Tess", "Hi, it's Tess. Reply 1 if it's a good time to talk."),
    ],
)
async def test_a_discreet_woman_gets_the_stand_in_and_the_bot_is_told_so(
    stage: Stage, language: str, name: str | None, expected: str
) -> None:
    checkins = stage.checkins
    her, rows = await stage.born_today(language)
    await signal(stage.client, stage.headers, her, "craving")
    await stage.contact_preferences(her, discreet=True)
    announced: list[tuple[str, str, bool]] = []

    async def announce(client_id: str, text: str, kind: str, discreet: bool) -> None:
        announced.append((text, kind, discreet))

    settings = {"tandem_discreet_name": name} if name else {}
    when = rows["safe_sleep"].due_at
    sent = await checkins.dispatcher(when, announce=announce, **settings).dispatch_due()
    assert sent == 3  # the support follow-up, the first checkup, safe sleep
    assert checkins.texts_to(PHONE) == [expected] * 3
    assert sorted(announced) == sorted(
        [(expected, "support", True), (expected, "stage", True), (expected, "stage", True)]
    )


async def test_her_own_hours_defer_a_check_in_to_their_end(stage: Stage) -> None:
    checkins = stage.checkins
    her, rows = await stage.born_today()
    await stage.contact_preferences(her, quiet_hours="08:00-12:00")  # "not in the mornings"
    ten = rows["pediatric_first_visit"].due_at
    noon = ten + timedelta(hours=2)
    assert await checkins.dispatch(ten) == 0
    row = (await stage.rows(her))["pediatric_first_visit"]
    assert (row.due_at, row.reason) == (noon, "quiet_hours")
    assert await checkins.dispatch(noon - MINUTE) == 0
    assert await checkins.dispatch(noon) == 1


# An appointment she mentioned ----------------------------------------------------------


async def test_the_day_after_an_appointment_she_mentioned_she_is_asked_how_it_went(
    stage: Stage,
) -> None:
    checkins = stage.checkins
    her = await add_woman(stage.client)
    day = today() + timedelta(days=3)
    assert (await stage.appointment(her, day.isoformat())).status == 201
    assert (await stage.appointment(her, day.isoformat())).status == 201
    [row] = await checkins.pending(her)  # mentioned twice: asked once
    assert (row.kind, row.due_at) == ("appointment_follow_up", at_ten(day + timedelta(days=1)))
    assert await checkins.dispatch(row.due_at - MINUTE) == 0
    assert await checkins.dispatch(row.due_at) == 1
    assert checkins.texts_to(PHONE) == [
        "Hi, it's Tandem. How did your appointment go? Tell me if anything got in the way or "
        "if you need help with what comes next."
    ]


async def test_an_appointment_already_past_schedules_nothing(stage: Stage) -> None:
    her = await add_woman(stage.client)
    past = (today() - timedelta(days=5)).isoformat()
    assert (await stage.appointment(her, past)).status == 201
    assert await stage.checkins.pending(her) == []


@pytest.mark.parametrize("value", [None, "next tuesday", "2026-02-30", "2026-2-3", 20261224])
async def test_an_appointment_needs_its_day_written_yyyy_mm_dd(stage: Stage, value: object) -> None:
    her = await add_woman(stage.client)
    response = await stage.appointment(her, value)
    assert response.status == 422
    assert "YYYY-MM-DD" in (await response.json())["message"]
