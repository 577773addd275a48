"""Opt-out in any words (FCC: any reasonable means), in her language, through the real webhook:
a keyword with a word or two after it, plain requests in English and Spanish the list never
saw, one question when it is unclear, and never a crisis or a stop taken as anything else."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from safety.judge import ASK, Judgement
from services.app_keys import GATEWAY
from services.db.engine import make_engine, make_sessionmaker
from services.db.tables import Alert, Client
from services.gateway.keywords import Keyword
from services.settings import Settings
from tests.services.conftest import FakeRasa
from tests.services.test_gateway_inbound import client_status, say


@pytest.mark.parametrize(
    "stop",
    [
        "stop now",
        "STOP pls",
        "Stop!!",
        "stop it",
        "quit texting",
        "remove me",
        "take me off ur list",
        "please take my number off this",
        "i dont want these texts anymore",
        "can you stop sending me stuff, i moved on",
        "unsubscribe me please",
        # a question first, then what to do (safety_BA: the question guard read only the start)
        "who r u? i never asked for any of this. lose my number",
        # a complaint that names the texts, then a bare stop (safety_BB: read as her hours)
        "ugh the reminders at 7am wake my baby up every time. just stop",
        # a typo of a long keyword means only that keyword
        "unsubcribe",
        # ... and so does its start, the way people shorten it
        "unsub",
        "Unsub.",
        # "if you dont stop" asks to stop; it is not "dont stop"
        "if u dont stop texting me im blocking this number",
        # STOP with two letters swapped, then words
        "stpo sending mesages to me",
        "sotp texting me",
        # a question that asks them to stop
        "how do i make these texts stop",
        # a loss, and every text, not only the baby ones
        "i lost the baby, stop texting me",
        "i lost the baby. please stop sending the pregnancy stuff, all of it, i cant",
        # ... or with a letter doubled, alone or with words (safety_P's first sight)
        "sttop txting",
        "Sttop",
        "stopp",
        # drawled, and "opting out" said outright (safety_R's first sight)
        "stahp texting me lmao for real tho im out",
        "my counselor said i can opt out so im opting out",
        "opt me out",
        "thanks but im gonna pass on the texts from now on",  # safety_T's first sight
        "im done with tandem, thanks for everything",  # leaving Tandem by name (safety_U)
        # "remove me" first, "take me off" last, "the extra texts" are all of them (safety_X)
        "remove me, i have a new counselor now",
        "im good now so can u take me off thanks",
        "doing better and i dont want the extra texts anymore, please stop them",
        # "dont text here", "i dont want texts", a loss and "all of it" (safety_Z)
        "wrong number i think, pls dont text here",
        "idk what this is. i dont want texts",
        "we lost her last week. i cant get these baby texts. please stop all of it",
        # "cancel my texts" after a sign-up by mistake (safety_AF)
        "i signed up by accident at the clinic, pls cancel my texts",
        # "turn these off" (safety_AD)
        "turn these off for me, my sober house doesnt allow phones anymore and i only get it"
        " on sundays anyway",
        # someone else told to stop as well: the rest of the text still decides (round 19)
        "stop texting me, i told my mom to stop too",
        "can you tell them to stop texting me",
        "who gave u my number?? dont ever text me again",  # safety_AL
        "i would like to opt out of the text messages please",
        # someone with her phone, for her (safety_AL)
        "hi this is her aunt. please quit texting her, she doesnt want the program texts",
        "her boyfriend here. she does not want these messages anymore",
        # "stop the messages" anywhere, after a thank-you that reads like a goodbye (safety_AN)
        "ok my daughter turned 1 and im ready to be done, please stop the messages. thanks!!",
        # "no more texts" with a reason about someone else after it (safety_AT)
        "no more texts pls my bf gets jealous when he sees them",
        # asked as a question: "how do i get off" asks to stop (safety_AW)
        "how do i get off this?? never asked for any of it",
        # her mind changed about the program, then her number out (safety_BH: the bot answered
        # it as consent to share)
        "i changed my mind about being in this. can you take my number out",
        # a new number with a stop, or one that is no longer hers (safety_BF's guard keeps
        # these stops)
        "new number, stop texting this one",
        "got a new phone and this is my moms number now, take it off your list",
        "new phone who dis. just got this number and keep getting these, dont want them",
        # all of them "for now" is a stop she can undo with START; "for now" pauses only the
        # check-ins (safety_BI: it got the quiet-hours reply)
        "thank u for the help but im going to stop the messages for now, might come back",
        # "no more text" in the singular, for her (safety_BK)
        "were moving to florida so no more text for me please, thank u",
        # asked as a question about them ending, not when (safety_BL: the privacy reply)
        "could these texts stop? my mom keeps reading them",
    ],
)
async def test_english_opt_outs_in_other_words(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings, stop: str
) -> None:
    fake, _ = fake_rasa
    (confirmation,) = await say(client, stop)
    assert "unsubscribed" in confirmation and "START" in confirmation
    assert await client_status(settings) == "opted_out"
    assert await say(client, "hello?") == []
    assert fake.received == []


@pytest.mark.parametrize(
    "stop",
    [
        "no me manden mas mensajes",
        "ya no quiero recibir textos",
        "borra mi numero por favor",
        "dejen de escribirme",
        "ya no quiero seguir en tandem, gracias",  # leaving Tandem by name (safety_U)
        "apaguen los mensajes por favor",
        "como me salgo de esto? no quiero que me sigan texteando",  # asked, then said (safety_AJ)
        "soy su prima, ella dice que no le manden mas mensajes",  # for her (safety_AL)
        "ya no kiero mas msjs porfa",  # as texted (safety_F)
        "no mas mensajes por favor, mi esposo revisa mi cel y se enoja",  # safety_AT
        "me mandan mensajes cuando estoy durmiendo. ya basta, borrenme porfa",  # safety_BC
        "cambie de opinion sobre el programa, saquen mi numero porfa",  # like safety_BH's
        "dejen de mandarme mensajes por ahora, despues les escribo",  # for now (safety_BI)
        "ya no me manden nada, gracias por todo",  # "nada" of the texts (safety_BJ)
    ],
)
async def test_spanish_opt_outs_are_confirmed_in_spanish(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings, stop: str
) -> None:
    (confirmation,) = await say(client, stop)
    assert "Ya no recibiras mas mensajes" in confirmation and "START" in confirmation
    assert await client_status(settings) == "opted_out"
    (welcome,) = await say(client, "START")
    assert await client_status(settings) == "active"
    assert "STOP" in welcome


@pytest.mark.parametrize(
    "text",
    [
        "stop by the clinic tmrw?",
        "i want to stop using",
        "how do i stop my cravings",
        "cancel my referral",
        "no",
        "can you text me the address",
        "my bf wants me to stop methadone",
        "dont stop texting me pls",
        "output",
        "quiero volver a recibir los mensajes",
        # a real word, not STOP doubled
        "stoop",
        # questions about the texts that ask nothing to stop (the readers leaned to "stop")
        "quien ve estos mensajes",
        "are these texts recorded",
        "mi esposo revisa mi telefono, el puede ver estos mensajes?",
        # ...with what makes her ask after it (safety_BD)
        "quien lee estos mensajes? mi novio a veces agarra mi cel",
        # a loss and the baby texts she wants gone: the bot stops those, with condolence
        "we lost him at 20 weeks. please stop sending the baby stuff",
        "mi nena fallecio, por favor no me manden mas cosas del bebe",
        # opting out of something else
        "thinking about opting out of the hospital study",
        "can you pass on the message to my case manager",
        "pls pass on the messages to my worker",
        # staying with Tandem
        "i dont want to quit tandem, it helps",
        "remove me from the group chat, the clinic one",
        # which language: the bot's to set (safety_Z)
        "can you send me the messages in spanish please",
        "me pueden mandar los textos en ingles",
        # her hours, in Spanish
        "no mas mensajes de noche porfa, no me dejan dormir",
        "no mas textos en la manana que estoy en el trabajo",
        # what her silence would mean: a danger sign, never a request to stop (safety_W)
        "no puedo hablar ahora, mandame el numero ese otra vez",  # she cannot talk (safety_AJ)
        "cant talk rn just send the address again",
        "if i stop texting u its bc hes here",
        "si dejo de contestar es que el volvio",
        # her consent to share, a person, discreet texts: the bot answers each (the readers
        # unsubscribed texts like these in the outside NLU sets)
        "stop sharing my info with the housing program but keep texting me",
        "pls stop sending my records to that clinic",
        "no le manden nada mio a la clinica nueva",
        "can someone call me, texting all this out is hard",
        "dont put anything about recovery in the texts, my sister reads my phone",
        "no pongas nada del programa en los mensajes porfa",
        # another phone of hers, not the one she texts from (round 19)
        "can u stop texting my old number, i got a new phone",
        "ya no me manden nada al numero viejo, este es mi numero nuevo",
        # a new phone or number, told by her or for her (safety_BF, round 24: the opt-out
        # readers took the first two for a stop and unsubscribed her)
        "this her sister, she lost her phone, use this number for now",
        "cambie de numero, soy leidy",
        "hey its jess, new phone, same me lol",
        "perdio su telefono, este es el de su mama por ahora",
        # the texts in the other language (safety_AL)
        "pls stop sending the spanish ones, i read english better",
        "ya no me manden los mensajes en ingles, mejor en espanol",
        # unsubscribing from something else by name (safety_AK)
        "i want to unsubscribe from the wic newsletter, not from you guys",
        # someone else told to stop (safety_AI)
        "i told my sister to stop texting me about the shower lol. anyway can i get a ride tmrw",
        "le dije a mi ex que deje de mandarme mensajes, no le hace caso a nadie",
        "my mom asked me to stop texting her at work lol, anyway is the clinic open sat",
        # stopping or unsubscribing from something else (safety_AE)
        "can you cancel the texts about my appointment on friday, i rescheduled",
        "stop sending me to that pharmacy, they never have my subs in stock",
        "how do i unsubscribe from the wic emails lol",
        # someone stopping her, not Tandem stopping its texts (safety_AZ)
        # (the readers unsubscribed the first and asked about the second)
        "dont let them stop me from getting my dose tmrw pls",
        "do u guys report to dcf? dont want them to stop me seeing my baby",
        # deleting something else for her
        "borrame esa cita del martes, ya no puedo ir",
        "no me manden nada de la clinica por correo, mi suegra abre todo",
        # discreet texts, not fewer (safety_BL: the readers unsubscribed her)
        "mi esposo lee mis mensajes, no digan de que se trata porfa",
        "dont say what theyre about pls my mom reads my phone",
        # turning off something of her own
        "my alarm keeps going off at 5, how do i turn it off",
        "how do i get off work early tmrw for my appt",
        "was watching tv and someone od'd so i had to turn it off",
    ],
)
async def test_texts_about_stopping_something_else_reach_the_bot(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings, text: str
) -> None:
    fake, _ = fake_rasa
    assert await say(client, text) == fake.replies
    assert fake.messages() == [text]
    assert await client_status(settings) == "active"


@pytest.mark.parametrize(
    "text",
    [
        # Written blind (sets F and G): danger in words the opt-out readers take for "stop".
        "mi pareja me quito el celular y las llaves, no me deja salir. escribiendo del telefono"
        " de mi hija",
        "pls dont text back. hes here",
    ],
)
async def test_danger_that_reads_like_stop_texting_takes_the_crisis_path(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings, text: str
) -> None:
    fake, _ = fake_rasa
    gateway = client.app[GATEWAY]
    assert gateway.keywords.classify(text, opted_out=False).value == "opt_out"
    assert gateway.judge.judge(text).level == "crisis"
    assert await say(client, text) == fake.replies
    assert fake.messages() == [text]  # the bot answers it as the crisis it is, and alerts staff
    assert await client_status(settings) == "active"


async def test_a_stop_only_the_readers_saw_with_possible_danger_is_honoured_and_staff_told(
    client: TestClient,
    fake_rasa: tuple[FakeRasa, str],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Possible danger (the judgement pinned to a question here, since the models move) in a
    # stop only the opt-out readers saw: she is unsubscribed as she asked, the confirmation
    # names 911 and 988, and staff hear of the possible crisis. Only a crisis keeps her in.
    fake, _ = fake_rasa
    gateway = client.app[GATEWAY]
    text = "im her aunt. she said she doesnt need yall messages no more, take her off"
    assert gateway.keywords.classify(text, opted_out=False).value == "opt_out"
    assert not gateway.keywords.says_stop(text)
    possible = Judgement(ASK, "suicide", "en", "model", 0.5)
    monkeypatch.setattr(gateway.judge, "judge", lambda t, history=(): possible)
    (reply,) = await say(client, text)
    assert "unsubscribed" in reply and "988" in reply and "YES or NO" not in reply
    assert await client_status(settings) == "opted_out"
    assert fake.received == []
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session:
        details = (await session.execute(select(Alert.detail))).scalars().all()
    await engine.dispose()
    assert details == ["suicide: crisis text (possible) with a request to stop the texts (gateway)"]


async def test_stop_sending_one_kind_of_text_is_asked_about_not_an_unsubscribe(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    # safety_AB's first sight: "stop sending" is an opt-out phrase, but she names the texts
    # she wants gone and asks for others; Tandem asks once rather than unsubscribe her.
    text = (
        "can u stop sending the pregnancy week stuff, i had her already! shes 2 wks. "
        "send the baby stuff now"
    )
    (question,) = await say(client, text)
    assert question.startswith("Do you want to stop all texts")
    assert await client_status(settings) == "active"
    (confirmation,) = await say(client, "stop sending all of it")
    assert "unsubscribed" in confirmation


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # safety_AC's first sight: one reminder, the others kept, is asked about ...
        (
            "stop sending me the reminder for the 3pm thing, i moved it to 4. keep the others",
            "opt_out_question",
        ),
        # ... but one kind of text named and then all of them is an opt-out
        ("moved to ohio and dont need the mass stuff anymore, please stop the texts", "opt_out"),
        ("can you stop the reminders? i moved to ohio and have a new program now", "opt_out"),
        # ... and "the mass texts" are all of Tandem's (safety_AQ's first sight)
        ("got a place in nh now so i wont need the mass messages anymore", "opt_out"),
    ],
)
def test_one_kind_of_text_or_all_of_them(client: TestClient, text: str, kind: str) -> None:
    keywords = client.app[GATEWAY].keywords
    assert keywords.classify(text, opted_out=False).value == kind


async def test_an_unclear_opt_out_is_asked_once_and_her_yes_stops_the_texts(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    fake, _ = fake_rasa
    keywords = client.app[GATEWAY].keywords
    unclear = "enough already"
    probability = keywords.opt_out_probability(unclear)
    assert keywords.model_threshold("ask") <= probability < keywords.model_threshold("optout")
    (question,) = await say(client, unclear)
    assert question.startswith("Do you want to stop all texts") and "STOP" in question
    assert await client_status(settings) == "active"
    (confirmation,) = await say(client, "yes")
    assert "unsubscribed" in confirmation
    assert await client_status(settings) == "opted_out"
    assert fake.received == []


async def test_a_stop_only_the_readers_saw_in_a_text_with_some_risk_is_honoured(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    """The opt-out readers are sure, no phrase says stop, and the judgement finds some risk
    under a question's: she is unsubscribed, not asked again (until round 21 she was asked,
    which lost "i got my own counselor now ... please end them": safety_AO)."""
    fake, _ = fake_rasa
    gateway = client.app[GATEWAY]
    text = "pls dont send me anything else, everything is too much right now"
    assert gateway.keywords.classify(text, opted_out=False) is Keyword.OPT_OUT
    assert not gateway.keywords.says_stop(text)
    assert 0 < gateway.judge.judge(text).risk
    (confirmation,) = await say(client, text)
    assert "unsubscribed" in confirmation and "988" in confirmation
    assert await client_status(settings) == "opted_out"
    assert fake.received == []


@pytest.mark.parametrize(
    "text", ["pls no more of the baby size texts", "ya no me manden los mensajes del bebe"]
)
async def test_stopping_one_kind_of_text_is_asked_about_not_taken_as_stop_all(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings, text: str
) -> None:
    (question,) = await say(client, text)
    assert "STOP" in question and ("stop all texts" in question or "todos" in question)
    assert await client_status(settings) == "active"


@pytest.mark.parametrize(
    "text",
    [
        "stop texting me after 8",
        "stop texting me at work pls",
        "can u text me less",
        "stop the check ins for now",
        "dont text me so much",
        "no me escriban despues de las 5",
    ],
)
async def test_asking_when_or_how_often_goes_to_the_bot_not_stop(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings, text: str
) -> None:
    fake, _ = fake_rasa
    assert await say(client, text) == fake.replies  # the bot sets her hours or her cadence
    assert await client_status(settings) == "active"


@pytest.mark.parametrize(
    "text",
    [
        "no more texts pls. im at work all day and my phone keeps buzzing",
        "stop texting me. after 2 years in programs im done with all of it",
    ],
)
async def test_a_stop_with_the_time_in_another_sentence_is_a_stop(
    client: TestClient, settings: Settings, text: str
) -> None:
    # The hours belong to her reason, not to the texts (safety_AO's first sight: "no more
    # texts plz. im at work ..." got discreet texts); "stop texting me at work" above does not.
    (reply,) = await say(client, text)
    assert "unsubscribed" in reply
    assert await client_status(settings) == "opted_out"


async def test_asking_for_the_texts_back_never_unsubscribes_her(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    # safety_AP's first sight: the readers read "i stopped the texts before" as a stop.
    fake, _ = fake_rasa
    text = "hey its me again. i stopped the messages last year but i need them back now"
    assert await say(client, text) == fake.replies
    assert await client_status(settings) == "active"
    await say(client, "STOP")
    assert await client_status(settings) == "opted_out"
    (welcome,) = await say(client, text)
    assert await client_status(settings) == "active" and "STOP" in welcome


@pytest.mark.parametrize(
    "text",
    [
        "hola, ya no necesito los mensajes. me ayudan en mi clinica. bendiciones",
        "quiero que me saquen de los textos, gracias",
    ],
)
async def test_a_polite_spanish_opt_out_with_a_reason_stops_the_texts(
    client: TestClient, settings: Settings, text: str
) -> None:
    (reply,) = await say(client, text)
    assert "Ya no recibiras mas mensajes" in reply  # confirmed in her language
    assert await client_status(settings) == "opted_out"


async def test_when_then_all_of_them_is_a_stop(client: TestClient, settings: Settings) -> None:
    replies = await say(client, "can u stop texting me at 7am? actually just stop altogether")
    assert "unsubscribed" in replies[-1]
    assert await client_status(settings) == "opted_out"


async def test_after_the_question_anything_else_goes_to_the_bot(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    fake, _ = fake_rasa
    await say(client, "enough already")
    assert await say(client, "sorry i meant the clinic, i found one") == fake.replies
    assert await client_status(settings) == "active"
    assert await say(client, "yes") == fake.replies, "the question was asked only once"
    assert await client_status(settings) == "active"


async def test_a_crisis_said_while_opting_out_gets_the_crisis_lines_first(
    client: TestClient, settings: Settings
) -> None:
    replies = await say(client, "stop texting me i wont be here tomorrow anyway i want to die")
    assert "988" in replies[0]
    assert "unsubscribed" in replies[-1]
    assert await client_status(settings) == "opted_out"
    # The bot never sees it, so the gateway tells staff.
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session:
        rows = (await session.execute(select(Alert.kind, Alert.detail))).all()
    await engine.dispose()
    assert [(kind, "stop the texts" in (detail or "")) for kind, detail in rows] == [
        ("crisis", True)
    ]


async def test_a_possible_crisis_said_while_opting_out_gets_no_question_she_cannot_answer(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Said with a request to stop (the judgement pinned to a question, since the models move),
    # a question would go to a number that is gone: one confirmation, which names 911 and 988.
    gateway = client.app[GATEWAY]
    real = gateway.judge.judge
    possible = Judgement(ASK, "suicide", "en", "model", 0.5)
    monkeypatch.setattr(gateway.judge, "judge", lambda t, history=(): possible)
    (reply,) = await say(client, "stop texting me. i get these dark thoughts sometimes at night")
    assert "unsubscribed" in reply and "988" in reply and "YES or NO" not in reply
    assert await client_status(settings) == "opted_out"
    # The bot never sees it, so staff hear of the possible crisis.
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session:
        details = (await session.execute(select(Alert.detail))).scalars().all()
    await engine.dispose()
    assert details == ["suicide: crisis text (possible) with a request to stop the texts (gateway)"]
    # Once she is unsubscribed, a possible crisis (the stable ASK example, really judged) gets
    # the lines, not a question her answer to would reach nobody.
    monkeypatch.setattr(gateway.judge, "judge", real)
    (lines,) = await say(client, "i get these dark thoughts sometimes at night")
    assert "988" in lines and "YES or NO" not in lines


async def test_a_possible_crisis_gets_the_direct_question_when_the_bot_is_down(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.status = 503
    text = "i get these dark thoughts sometimes at night"
    (reply,) = await say(client, text)
    assert "are you having thoughts of ending your life?" in reply
    assert "988" in reply


async def test_the_holding_message_is_in_her_language_when_the_bot_is_down(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.status = 503
    (reply,) = await say(client, "necesito ayuda para encontrar una clinica de metadona")
    assert reply.startswith("Gracias por tu mensaje") and "911" in reply and "988" in reply


async def test_a_bare_keyword_is_confirmed_in_her_saved_language(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], settings: Settings
) -> None:
    await say(client, "hola")
    engine = make_engine(settings.effective_database_url)
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(update(Client).values(language="es"))
    await engine.dispose()
    (confirmation,) = await say(client, "STOP")
    assert "Ya no recibiras mas mensajes" in confirmation


@pytest.mark.parametrize(
    "again", ["hey its me again. can i start getting the msgs again", "quiero recibir los mensajes"]
)
async def test_after_an_opt_out_plain_words_asking_for_texts_opt_her_back_in(
    client: TestClient, settings: Settings, again: str
) -> None:
    await say(client, "STOP")
    assert await client_status(settings) == "opted_out"
    assert await say(client, "is anyone there") == []
    (welcome,) = await say(client, again)
    assert await client_status(settings) == "active"
    assert "STOP" in welcome


@pytest.mark.parametrize("name", ["blind_F.yml", "blind_G.yml"])
def test_blind_sets_opt_outs_are_all_honoured(name: str) -> None:
    """The opt-outs of the blind sets kept in the tests stay honoured (measured first through
    the stack: F 35/35; G 34/35, "unsub" missed, then taken as the start of UNSUBSCRIBE)."""
    import yaml

    from services.gateway.keywords import Keyword, load_keywords
    from services.settings import REPO_ROOT

    data = yaml.safe_load((REPO_ROOT / "tests/safety/cases" / name).read_text("utf-8"))
    keywords = load_keywords()
    stops = [c["text"] for c in data["cases"] if c["category"] == "optout"]
    missed = [t for t in stops if keywords.classify(t, opted_out=False) is not Keyword.OPT_OUT]
    assert len(stops) >= 35 and missed == []
