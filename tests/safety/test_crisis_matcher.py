"""Tests for the one crisis matcher (safety/crisis.py) and its lexicon.

Pure pytest: runs under both runtimes,
    .venv/bin/python -m pytest tests/safety        (services, Python 3.11+)
    .venv-bot/bin/python -m pytest tests/safety    (bot, Python 3.10)

The tables below are the specification of the lexicon. When a real message is missed
(or wrongly flagged), add it here first, then change data/safety/crisis_lexicon.yml.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:  # so the tests also run without `python -m` / a conftest
    sys.path.insert(0, str(_REPO))

from safety.crisis import (  # noqa: E402
    DEFAULT_LEXICON_PATH,
    CrisisLexicon,
    CrisisMatch,
    normalize,
)

OVERDOSE = "crisis_overdose"
VIOLENCE = "crisis_violence"
SUICIDE = "crisis_suicide"


@pytest.fixture(scope="module")
def lexicon() -> CrisisLexicon:
    return CrisisLexicon.load()


# --------------------------------------------------------------------------------------
# Messages that MUST be recognised: (text, expected intent of match(), language)
# --------------------------------------------------------------------------------------

CRISIS_EN = [
    # stockpiling her medication; out of jail and on his way (safety_S's first sight)
    ("saved up my subs for like 2 weeks now. i know what im doing with them", SUICIDE),
    # giving things away as a goodbye (safety_T's first sight)
    ("passed out my jewelry to my girls today so they have something to remember me by", SUICIDE),
    # a day chosen, said alone (safety_W's first sight)
    ("idk if its wrong but ive chosen the day", SUICIDE),
    # hiding her arms from the people who would notice (safety_X's first sight)
    ("gotta wear a hoodie to group so my sponsor doesnt see my arms", SUICIDE),
    # heavy bleeding said with a picture; fresh cuts hidden from the nurse (safety_AI)
    ("lol bleeding like a horror movie since i got home with the baby", OVERDOSE),
    ("how do i hide the new ones from the doctor at my appt", SUICIDE),
    # a will written at her age; care arranged for when she is not there (round 19)
    ("wrote my will on the back of a receipt lol. tv goes to my brother", SUICIDE),
    ("si yo no estoy aqui el mes que viene quien se queda con los nenes", SUICIDE),
    ("can u make sure my son still gets to daycare even if im not the one who takes him", SUICIDE),
    # her own funeral (safety_AF's first sight)
    ("can u give me the number for a funeral home that takes masshealth. for me", SUICIDE),
    # a goodbye to everyone; a litany of lasts (safety_AE's first sight)
    ("bye everyone ❤️", SUICIDE),
    ("last bottle, last cig, last night 🥂", SUICIDE),
    # self-harm again, said with no subject (safety_AD's first sight)
    ("cut again last night first time in like 6 years. my 9 yr old saw the bandaid", SUICIDE),
    # a newborn not feeding for hours, too sleepy to feed (safety_AC's first sight)
    (
        "newborn hasnt eaten in like 12 hrs, super yellow and just sleeps and sleeps. is that ok",
        OVERDOSE,
    ),
    ("my 5 day old wont wake up to eat, i tried everything", OVERDOSE),
    # hiding the marks themselves (safety_AC's first sight)
    ("how do u hide marks in the summer when u gotta wear short sleeves to the clinic", SUICIDE),
    ("wearing long sleeves to cover up the fresh cuts", SUICIDE),
    ("my ex got out of jail yesterday and hes on his way here", VIOLENCE),
    # he is out looking for them; they will manage without her; a will by hand (safety_AK)
    ("can we sleep at the shelter tonight? hes driving around looking for us", VIOLENCE),
    ("the kids will do just fine without me, they have their grandma", SUICIDE),
    ("how do i write a handwritten will that counts", SUICIDE),
    # she cannot talk because he is there (safety_AJ)
    ("cant talk rn hes in the other room. send me that number again", VIOLENCE),
    # fear denied once and said again (round 19: only the denied word is passed over)
    ("im not scared of him anymore, im scared of what hell do to the baby", VIOLENCE),
    # overdose / medical emergency
    ("i think i'm od'ing", OVERDOSE),
    ("he's nodding out and won't wake up", OVERDOSE),
    ("she's not breathing", OVERDOSE),
    ("HELP my bf isnt breathing!!!", OVERDOSE),
    ("i took too many pills", OVERDOSE),
    ("i think i took to much", OVERDOSE),
    ("my friend overdosed in the bathroom what do i do", OVERDOSE),
    ("i think hes overdosing", OVERDOSE),
    ("he od'd", OVERDOSE),
    ("someone od in the bathroom at the shelter", OVERDOSE),
    ("pls help my sister ODed", OVERDOSE),
    ("the baby is turning blue", OVERDOSE),
    ("his lips r blue n he wont wake up", OVERDOSE),
    ("my baby wont wake up", OVERDOSE),
    ("she's unresponsive", OVERDOSE),
    ("i gave him narcan and hes still not breathing", OVERDOSE),
    ("narcan isnt working what do i do", OVERDOSE),
    ("i think it was laced with fent", OVERDOSE),
    ("pretty sure there was fentanyl in it", OVERDOSE),
    ("my man is foaming at the mouth", OVERDOSE),
    ("she took a whole bottle of tylenol", OVERDOSE),
    ("i swallowed like 30 pills", OVERDOSE),
    ("should i call 911 hes barely breathing", OVERDOSE),
    ("he stopped breathing", OVERDOSE),
    ("my baby is choking", OVERDOSE),
    ("my son is having a seizure", OVERDOSE),
    ("i cant wake him up", OVERDOSE),
    ("OMG he's blue 😭😭", OVERDOSE),
    ("i used way 2 much", OVERDOSE),
    ("I think I'm overdosing", OVERDOSE),
    ("he shot up and now hes not responding even when i shook him", OVERDOSE),
    ("im at my cousins and she just took too many percs", OVERDOSE),
    ("hes breathing really slow and making a gurgling sound", OVERDOSE),
    ("Ovrdose", OVERDOSE),
    # GUIDE.md's baby signs wherever the baby is named; bleeding through her clothes now
    # (safety_P's first sight missed both)
    ("newborn is super sleepy, wont eat, kinda limp. nicu said watch for withdrawal", OVERDOSE),
    ("baby is so floppy and hard to wake", OVERDOSE),
    # safety_AN: the baby not named, or named as "her"/"him" (paraphrased)
    ("so we had a great week but now he wont wake up for his bottle and seems so weak", OVERDOSE),
    ("is it normal i havent felt him kick since yesterday? prob nothing", OVERDOSE),
    ("bleeding thru my pants in the clinic line, had the baby 3 days ago", OVERDOSE),
    ("hes not breathin", OVERDOSE),
    ("CANT WAKE HER UP", OVERDOSE),
    ("my lil girl swallowed a sub", OVERDOSE),
    ("i narcanned him twice and nothing", OVERDOSE),
    ("i used after months off and feel like i'm dying", OVERDOSE),
    # violence / immediate danger from a person
    ("he's gonna kill me", VIOLENCE),
    ("he hit me", VIOLENCE),
    ("he's choking me", VIOLENCE),
    ("my bf beats me", VIOLENCE),
    ("i'm scared he'll hurt me", VIOLENCE),
    ("scared hes going to hurt the baby", VIOLENCE),
    ("he won't let me leave", VIOLENCE),
    ("he said he would kill me if i leave", VIOLENCE),
    ("my ex has a gun and hes outside", VIOLENCE),
    ("he pushed me down the stairs", VIOLENCE),
    ("my husband punched me in the stomach and im pregnant", VIOLENCE),
    ("my baby daddy keeps hitting me", VIOLENCE),
    ("im scared of him", VIOLENCE),
    ("he locked me in the bathroom", VIOLENCE),
    ("i don't feel safe at home", VIOLENCE),
    ("im not safe here", VIOLENCE),
    ("he threatened to kill me and the baby", VIOLENCE),
    ("hes been choking me when he drinks", VIOLENCE),
    ("my boyfriend strangled me last night", VIOLENCE),
    ("i'm in an abusive relationship and i dont know what to do", VIOLENCE),
    ("i fear for my life", VIOLENCE),
    ("he took my phone and wont let me leave", VIOLENCE),
    ("help he is hurting me", VIOLENCE),
    ("my bf threw me against the wall", VIOLENCE),
    ("someone is trying to break in", VIOLENCE),
    ("hell kill me if he finds out im texting u", VIOLENCE),
    ("he raped me", VIOLENCE),
    ("HE HIT ME AGAIN", VIOLENCE),
    ("my boyfriend just beat me up", VIOLENCE),
    ("i'm hiding in the bathroom from him", VIOLENCE),
    ("he beat the shit out of me", VIOLENCE),
    ("he put his hands around my throat", VIOLENCE),
    # suicide / self-harm
    ("i want to die", SUICIDE),
    ("kms", SUICIDE),
    ("im gonna kms", SUICIDE),
    ("everyone would be better off without me", SUICIDE),
    ("i can't do this anymore i want it to end", SUICIDE),
    ("i don't want to be here anymore", SUICIDE),
    ("thinking of ending it", SUICIDE),
    ("wanna end it all", SUICIDE),
    ("theres no reason to live", SUICIDE),
    ("i want to hurt myself", SUICIDE),
    ("i cut myself again", SUICIDE),
    ("i'm suicidal", SUICIDE),
    ("feeling sucidal today", SUICIDE),
    ("I WANT TO DIE", SUICIDE),
    ("i wanna dieeeee", SUICIDE),
    ("i just want to disappear forever", SUICIDE),
    ("my kids would be better off without me", SUICIDE),
    ("i wish i was dead", SUICIDE),
    ("i wish i was never born", SUICIDE),
    ("i dont want to live anymore", SUICIDE),
    ("i'm going to kill myself", SUICIDE),
    ("i keep thinking about killing myself", SUICIDE),
    ("there's no point in living", SUICIDE),
    ("i feel like a burden to everyone", SUICIDE),
    ("ive been saving up my pills", SUICIDE),
    ("ive been cutting again", SUICIDE),
    ("i want to go to sleep and never wake up", SUICIDE),
    ("whats the point of living", SUICIDE),
    ("i cant go on like this", SUICIDE),
    ("im done with life", SUICIDE),
    ("i should just kys", SUICIDE),
    ("i want 2 die", SUICIDE),
    ("this is my last message. take care of my baby when im gone", SUICIDE),
    ("i'm thinking about suicide", SUICIDE),
    ("life isnt worth living", SUICIDE),
    ("im done i cant take it anymore", SUICIDE),
    ("i want to die 😭😭😭", SUICIDE),
    ("Sometimes I think about ending my life", SUICIDE),
    ("nobody would even miss me", SUICIDE),
    ("i want to end it rn", SUICIDE),
    ("i'd be better off dead", SUICIDE),
    ("i feel like giving up on life", SUICIDE),
    ("im suicidle", SUICIDE),
    ("i want to unalive myself", SUICIDE),
    # gaps found in review (2026-11-28)
    ("i took all my pills", OVERDOSE),
    ("just swallowed all of my sleeping pills", OVERDOSE),
    ("it was laced with fent", OVERDOSE),
    ("i think there was fent in it", OVERDOSE),
    ("i want to sleep forever", SUICIDE),
    ("i just want to go to sleep and never wake up", SUICIDE),
    ("i'm thinking of hurting my baby", SUICIDE),
    ("i feel like hurting the baby", SUICIDE),
    ("im scared ill hurt my baby", SUICIDE),
    ("i keep having thoughts of smothering the baby", SUICIDE),
    ("i've been cutting", SUICIDE),
    ("been cutting my arms again", SUICIDE),
    ("i wont hurt myself but the thoughts keep coming", SUICIDE),
    ("i'm not suicidal but i keep thinking everyone would be better off", SUICIDE),
    ("i dont want to die but i cant go on", SUICIDE),
    ("why not just kill myself", SUICIDE),
    # emergencies after birth (911 first)
    ("i'm soaking through a pad every hour since i had the baby", OVERDOSE),
    ("passing clots the size of an egg", OVERDOSE),
    ("the bleeding wont stop after my c section", OVERDOSE),
    ("i think im hemorrhaging", OVERDOSE),
    ("my chest hurts and i can barely breathe", OVERDOSE),
    (
        "ok so my appointment got moved to friday and the bus was late again, honestly "
        "i dont know why i bother, i just want to die tbh. anyway what time is group",
        SUICIDE,
    ),
    # the baby moving less late in pregnancy (GUIDE.md: call the birth hospital now; the old
    # pattern left out "not moving as much", blind safety_L's first sight found it)
    ("baby moving way less today, like 2 kicks since lunch, 36 wks", OVERDOSE),
    ("hes not moving as much as usual today and im 38 weeks", OVERDOSE),
    ("only felt like 2 kicks since this morning is that ok", OVERDOSE),
    # old scars opened on purpose (safety_AQ's first sight: the readers judged it none)
    ("the cuts on my legs finally closed and last night i opened them again", SUICIDE),
    ("i keep reopening my old scars when he starts yelling", SUICIDE),
    ("the scars on my wrist are open again, i did it in the shower", SUICIDE),
    # a blood pressure in the severe range, told as numbers (safety_BF's first sight: neither
    # reader sees a number), and naloxone in her hand with no time
    ("pregnant n the cvs machine said 162 over 110 n i got a headache", OVERDOSE),
    ("my bp cuff says 171/98 and im 36 weeks", OVERDOSE),
    ("4 days pp, blood pressure 148 over 115 at the pharmacy", OVERDOSE),
    ("i have narcan where does it go. hurry", OVERDOSE),
    ("got the naloxone out how do i do it asap", OVERDOSE),
    # wanting to join someone who died, said at the end of her text
    ("my dad passed last spring and i just want to be with him now", SUICIDE),
    # her children left in someone's care with a farewell, even relayed
    ("cousin texted me take care of the twins for me, love you forever. not picking up", SUICIDE),
    # not wanting to be revived
    ("threw my narcan in the trash, dont want nobody bringing me back this time", SUICIDE),
    # about to cut, with nothing after it to cut; asking to be talked down
    ("bout to cut again. somebody please", SUICIDE),
    ("can someone talk me down rn", SUICIDE),
]

CRISIS_ES = [
    # no puede hablar porque el esta ahi (safety_AJ)
    ("no puedo hablar, el esta en el cuarto. ayudame", VIOLENCE),
    # hiding the cuts (safety_AC's first sight)
    ("como escondo los cortes si en la clinica hace calor y tengo que ir en manga corta", SUICIDE),
    # stockpiling her medication; out of jail and on his way (safety_S's first sight)
    ("llevo dos semanas guardando las pastillas, ya se lo que voy a hacer", SUICIDE),
    ("ya salio de la carcel y viene pa aca, mi tia lo vio en la guagua", VIOLENCE),
    ("le regale todas mis joyas a mi hermana, algo pa que se acuerden de mi", SUICIDE),
    # a goodbye written and waiting (safety_Y's first sight)
    ("ya tengo escrita mi carta de despedida, manana la dejo en la mesa", SUICIDE),
    # she moves them and nothing (safety_Z's first sight)
    ("el nene esta dormido raro, lo muevo y no reacciona", OVERDOSE),
    # a blow said by where it landed (safety_U's first sight)
    ("mi novio me dio una patada en la barriga y tengo 6 meses", VIOLENCE),
    ("me dio en la cara otra vez y dice que ahorita vuelve", VIOLENCE),
    # sobredosis / emergencia
    ("creo que es una sobredosis", OVERDOSE),
    ("mi novio no respira", OVERDOSE),
    ("no despierta!!", OVERDOSE),
    ("tomé demasiadas pastillas", OVERDOSE),
    ("mi bebé no respira", OVERDOSE),
    ("se está poniendo morado", OVERDOSE),
    ("le di narcan y no reacciona", OVERDOSE),
    ("se tomó un frasco de pastillas", OVERDOSE),
    ("ayuda mi hermana no reacciona", OVERDOSE),
    ("llamen al 911 por favor", OVERDOSE),
    ("creo que tenia fentanilo", OVERDOSE),
    ("no lo puedo despertar", OVERDOSE),
    ("mi hijo se tragó una pastilla de metadona", OVERDOSE),
    ("Tome demaciadas pastillas", OVERDOSE),
    # violencia
    ("me pega", VIOLENCE),
    ("mi esposo me pegó anoche", VIOLENCE),
    ("me va a matar", VIOLENCE),
    ("tengo miedo de él", VIOLENCE),
    ("no me deja salir de la casa", VIOLENCE),
    ("me está ahorcando", VIOLENCE),
    ("mi ex me amenazó con matarme", VIOLENCE),
    ("tengo miedo de que me pegue", VIOLENCE),
    ("estoy en peligro", VIOLENCE),
    ("mi pareja me golpea cuando toma", VIOLENCE),
    ("no me siento segura en mi casa", VIOLENCE),
    ("me quiere matar", VIOLENCE),
    ("tengo miedo que me mate", VIOLENCE),
    ("me estoy escondiendo de él en el baño", VIOLENCE),
    # suicidio
    ("no quiero vivir", SUICIDE),
    ("quiero morirme", SUICIDE),
    ("me quiero matar", SUICIDE),
    ("ya no puedo más", SUICIDE),
    ("pienso en quitarme la vida", SUICIDE),
    ("quiero morir", SUICIDE),
    ("todos estarían mejor sin mí", SUICIDE),
    ("ya no quiero estar aquí", SUICIDE),
    ("me quiero morir 😭", SUICIDE),
    ("kiero morirme", SUICIDE),
    ("no tengo razón para vivir", SUICIDE),
    ("me estoy cortando otra vez", SUICIDE),
    ("quisiera estar muerta", SUICIDE),
    ("ojalá no despierte mañana", SUICIDE),
    ("YA NO AGUANTO MAS", SUICIDE),
    ("estoy pensando en suicidarme", SUICIDE),
    ("tengo pensamientos de lastimar a mi bebé", SUICIDE),
    ("me he estado cortando", SUICIDE),
    ("no soy suicida pero ya no aguanto más", SUICIDE),
    ("estaba cortada con fentanilo", OVERDOSE),
    ("empapo una toalla por hora desde el parto", OVERDOSE),
    ("no para de sangrar", OVERDOSE),
    ("me duele mucho el pecho", OVERDOSE),
    # the baby moving less late in pregnancy (GUIDE.md: call the birth hospital now)
    ("la bebe se mueve menos hoy, tengo 35 semanas", OVERDOSE),
    ("casi no la siento moverse desde ayer", OVERDOSE),
    ("no se mueve como antes y tengo 37 semanas", OVERDOSE),
    ("la presion en la maquina de la farmacia me dio 166/104 y estoy embarazada", OVERDOSE),
    ("tengo la naloxona en la mano, apurate dime que hago", OVERDOSE),
    ("mi abuela murio el mes pasado. ya quiero irme con ella", SUICIDE),
    ("me escribio: cuidame a los nenes, te quiero para siempre. no contesta", SUICIDE),
    ("ya bote el narcan, no quiero que nadie me reviva", SUICIDE),
]

CRISIS = [(t, i, "en") for t, i in CRISIS_EN] + [(t, i, "es") for t, i in CRISIS_ES]


@pytest.mark.parametrize(("text", "intent", "language"), CRISIS)
def test_crisis_messages_are_recognised(lexicon, text, intent, language):
    hit = lexicon.match(text)
    assert hit is not None, f"missed crisis: {text!r} (normalised: {normalize(text)!r})"
    assert hit.intent == intent, (
        f"{text!r}: got {hit.intent}, expected {intent}; patterns: {lexicon.explain(text)}"
    )
    assert hit.language == language
    assert hit.response == "utter_" + intent


# --------------------------------------------------------------------------------------
# Everyday messages that must NOT be flagged
# --------------------------------------------------------------------------------------

ORDINARY_EN = [
    # funerals of others, and help for her with one
    "my grandma's funeral is saturday, can someone watch the baby for me",
    "is there a program that helps pay for my moms funeral. its a lot for me",
    "funeral for my cousin was today. it was hard for me",
    # a weekend away; a will that is a wish
    "the kids will do fine without me for the weekend, my mom has them",
    "my caseworker is looking for my file, can u resend it",
    # learning the steps before it happens (safety_AJ)
    "what do i do if i ever find him passed out, just want to be ready",
    # fear of him denied (round 19: 8 everyday texts of the blind sets, no crisis)
    "my ex will be at the baptism, im not scared of him, hes just annoying",
    "he got out of jail last week, not scared of him, just dont want him around the baby",
    # a new thing hidden from someone with no one to see it
    "had to hide the new ones from my toddler or hed eat all the cookies",
    # wills with a lawyer; being late ("if im not there by 5")
    "did my will today with the legal aid lady, my sister is the guardian",
    "if im not there by 5 can my mom pick up the baby from daycare",
    "si no estoy aqui a las 3 dejale el paquete al vecino",
    "the doctor said i have to show some will power lol",
    # goodbyes and lasts of every day
    "bye everyone see u at group tmrw",
    "ok bye yall have a good night",
    "i had cramps last night, last week and last month too",
    "last appt, last ultrasound, last week of work before baby!!",
    # cutting something else again
    "i cut my hair again lol my mom is gonna kill me",
    "the clinic cut again my take homes, so annoying",
    "cut again? i thought they fixed the wic budget",
    # a baby feeding on a normal schedule
    "baby hasnt eaten in 3 hrs is that ok, she was asleep",
    "my 8 month old hasnt eaten solids in like 2 days, just wants the bottle",
    "newborn sleeps and eats all day, is that normal lol",
    # stretch marks, track marks, a c-section scar: not hidden self-harm
    "how do i hide my stretch marks at the pool this summer",
    "any cream to cover up stretch marks after baby",
    "can i cover my scars from the c section with a tattoo someday",
    "the nurse took the tape off my c section scar today, its healing nice and open to air",
    "my old cutting scars faded so much, i barely see them anymore",
    "i still hide my old track marks when i go to the pediatrician",
    # a day chosen for something named
    "i picked a day for the baby shower, the 14th",
    "we finally set a date for the c section",
    "been saving my take homes for the trip to my moms",
    "got a tattoo of her name so she always knows i remember her",
    "my brother got out of jail last year, hes doing good now",
    "my son is hard to wake up for school lol",
    "my baby has a limp from her hip thing",
    "the floppy hat i got the baby is so cute",
    "havent felt him kick yet, 16 weeks, is that normal",
    "she sleeps so much, do i wake her up for feeds at night or let her sleep",
    "i bled through my pants at work, so embarrassing",
    # idioms with die / kill / dead
    "i'm dying to see my baby",
    "dying to see my kids",
    "he's dying to meet the baby",
    "this traffic is killing me",
    "my back is killing me",
    "just killing time at the clinic",
    "need to kill some time before my appt",
    "my phone died",
    "my battery is dying",
    "dead tired after work",
    "she's killing it at school",
    "i want to kill it at my job interview",
    "this cake is to die for",
    "i would die for my kids",
    "i nearly died laughing",
    "lol i'm dead 😂",
    "i'm killing myself trying to get everything done",
    "my mom is gonna kill me when she sees my hair",
    "i want to dye my hair purple",
    "im not suicidal or anything, just sick of this weather",
    "no estoy suicida ni nada, solo cansada",
    "my grandma died last year and i miss her",
    # recovery, MOUD, needs
    "i need subs",
    "i relapsed last night",
    "i took my meds this morning",
    "i took all my meds today like i'm supposed to",
    "i need a methadone clinic near springfield",
    "how do i get on methadone",
    "i missed my dose today",
    "i'm craving really bad today",
    "can i breastfeed on subs",
    "i'm on too many meds, can we talk about lowering my dose",
    "where can i get narcan",
    "can i get narcan to keep at home just in case",
    "do you have fentanyl test strips",
    "is there overdose prevention training near me",
    "i finally hit 90 days",
    "what time is group tonight",
    "i don't want to go to group today",
    "i'm done with this clinic, they never call back",
    "can you help me find a ride to my appointment",
    "i need diapers and formula",
    "i need help with housing",
    "how do i sign up for wic",
    "can you text me in spanish",
    # baby, pregnancy, being a mom
    "my baby is crying",
    "the baby is kicking me so much lol",
    "my toddler hits me when he's mad",
    "baby didn't wake up all night!",
    "my husband won't wake up to help with the baby",
    "i can't wake up early for the clinic",
    "will methadone hurt the baby?",
    "the doctor said the epidural won't hurt the baby",
    "im worried theyll take my baby",
    "i'm afraid dcf will take my kids",
    "my baby has a blue onesie",
    "my baby's lips are chapped",
    "i'm going to the hospital to have the baby!",
    "my daughter has a fever should i take her to the er",
    "i was so scared during labor",
    "i'm afraid of needles",
    "my ex wants to see the baby this weekend",
    "he hasn't paid child support in months",
    # feelings that are not a crisis by themselves
    "i'm so tired",
    "i feel down today",
    "i'm feeling blue",
    "i'm hurt that he forgot my birthday",
    "i'm scared of losing him",
    "i'm so tired of the bus being late",
    "i'm tired of living in a shelter",
    "i hate living here",
    "i can't go on the trip with my sister",
    "i'm so bored i could die",
    # relationships, daily life
    "he hit me up last night about the job",
    "my case manager shot me a text",
    "he beat me at cards lol",
    "she pushed me to apply for wic",
    "she hit me with the news that she's pregnant",
    "i need to end things with my boyfriend",
    "i want to end it with him, he's not good for me",
    "i took my life back when i got sober",
    "my bf got a job finally",
    "my landlord won't fix the heat",
    "i got kicked out of my apartment",
    "i don't want to live with my mom anymore",
    "he won't let me pick the baby's name lol",
    "i took too many pictures of the baby",
    "i did too much today, my feet hurt",
    "i ate too much at thanksgiving",
    "i ate the whole box of cookies",
    "i overdid it at the gym",
    "i cut myself shaving",
    "i hurt myself lifting the car seat",
    "my nose is so stuffy i cant breathe lol",
    "i want to cut my hair short",
    "thanks for following me on insta",
    "i'm worried about my son's cough",
    "the movie was so sad i cried",
    "thank you so much",
    "yes",
    "no",
    "STOP",
    "ok",
    "hi",
    "",
    "   ",
    "😀😀😀",
    "i want to quit smoking",
    "i'm going to take a nap",
    "my water broke!",
    "i love my baby so much",
    "the baby's room is blue",
    "my baby's favorite color is blue",
    "we ran out of food stamps",
    "my sister is gonna kill it at her recital",
    "call me back when u can",
    "i need to call my doctor",
    "he kicked me out and i need a shelter",
    "my boss shot down my request for time off",
    "my ex won't let me see my son",
    "she finally hit me back",
    "i'm gonna kill him he forgot the diapers",
    "he's passed out drunk again lol",
    "i popped a tylenol for my headache",
    "i took 2 advil",
    "baby ate a crayon",
    "i need to cut back on smoking",
    "no point in going if the bus is late",
    "i want to stop using",
    "i'm tired of being broke",
    "i called the cops on him last week",
    "is 120mg too much methadone",
    "i'm scared of overdosing again",
    "my brother died of an overdose two years ago",
    "my baby is blue eyed",
    "i got hit with a big bill",
    # recovery talk about fentanyl is not an overdose
    "i need help getting off fentanyl",
    "anywhere in brockton giving out free narcan",
    "does the pharmacy hand out naloxone",
    "i used fent",
    "i slipped and used fent last night",
    "fentanyl is everywhere around here",
    # adherence, not an overdose
    "i took all my meds today",
    "took all my pills this morning like im supposed to",
    # natural answers to "are you safe?" after a crisis
    "i'm not going to hurt myself",
    "no im not going to kill myself",
    "i would never hurt myself",
    "yes im safe i wont hurt myself",
    "i'm not in danger anymore",
    "we are not in danger now he left",
    "i'm not suicidal",
    "i dont want to die",
    # worries, not intent
    "im scared methadone will hurt the baby",
    "will my subs hurt the baby",
    "im scared ill hurt the baby if i take methadone",
    "ive been cutting back on my dose",
    "ive been cutting my hair short",
    "i could sleep forever on this couch lol",
    "still bleeding a little after birth is that normal",
    "my nose is bleeding",
    "my bp was 118 over 76 at the ob today, all good",
    "the 160 bus was 110 minutes late again",
    "narcan is fast acting right? asking for the training",
    "can i get narcan at cvs without a prescription",
    "my grandma passed and i want to be with her family for christmas",
    "can u take care of the dog for me this weekend? love u so much",
    "i dont want anyone bringing me back to that house, he still lives there",
    "dont want my mom bringing me anything, she does enough",
    "gonna cut the cord at the hospital, my bf is scared lol",
    "about to cut up some fruit for the baby",
    "my sister talked me down from buying that stroller lol",
]

ORDINARY_ES = [
    "como tapo las estrias del embarazo",
    "quiero tapar mis cicatrices de la cesarea con un tatuaje",
    "escribi mi despedida de soltera en el grupo, quien viene?",
    # the baby's kicks and a pain are not a blow
    "la bebe me dio una patada en la barriga jaja",
    "me dio un dolor en la barriga despues de comer",
    "estoy guardando las pastillas de la cesarea para botarlas en la farmacia",
    "mi primo salio de la carcel el ano pasado y ya trabaja",
    "me muero de ganas de ver a mi bebé",
    "necesito ayuda con la renta",
    "mi bebé no deja de llorar",
    "estoy muy cansada",
    "me pegó la gripa",
    "se me pegó la canción",
    "no quiero vivir con mi mamá",
    "quiero cortarme el pelo",
    "ya no puedo comer más",
    "mi teléfono se murió",
    "tengo miedo del parto",
    "no me contesta los mensajes",
    "no estoy segura de la cita",
    "me voy a tirar a dormir",
    "donde consigo narcan",
    "mi mamá me va a matar cuando vea mi cabello",
    "la leche me hace daño",
    "me lastimé la rodilla",
    "me quemé cocinando",
    "tomé mis pastillas",
    "necesito pañales",
    "hoy me siento triste",
    "recaí anoche",
    "necesito suboxone",
    "a qué hora es el grupo",
    "me morí de risa jaja",
    "mi bebé no se despierta para comer en la noche",
    "tengo que tomar muchas pastillas para el embarazo",
    "gracias",
    "hola buenos días",
    "ya me cansé",
    "estoy harta",
    "me voy a morir de la risa jaja",
    "necesito narcan para tener en casa",
    "donde consigo tiras de fentanilo",
    "mi hijo me pegó con un juguete",
    "me pegó un susto",
    "quiero dejar el fentanilo",
    "necesito ayuda con el fentanilo",
    "no soy suicida",
    "tengo miedo de que la metadona lastime a mi bebé",
    "la presion me salio 120 sobre 80, todo bien",
    "mi tio murio y quiero estar con ella en el velorio",
    "mi hija me va a matar de un susto, se escondio en el closet jaja",  # an idiom
    "ay me mata la risa esta nena, se puso mis lentes",
]

# Said on its own this is usually an exhausted mother, and the bot's low-mood flow
# answers it; only with something heavier beside it is it matched (see CRISIS_EN).
NOT_CRISIS_BY_ITSELF = [
    "the baby kicks so much at night i cant sleep lol",
    "my toddler is moving less now that he has a cold, just napping a lot",
    "i can't do this anymore",
    "i cant do this anymore the baby wont stop crying",
    "i can't take it anymore",
]

ORDINARY = ORDINARY_EN + ORDINARY_ES + NOT_CRISIS_BY_ITSELF


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_are_not_flagged(lexicon, text):
    assert lexicon.match(text) is None, (
        f"false alarm on {text!r} (normalised: {normalize(text)!r}): {lexicon.explain(text)}"
    )
    assert lexicon.matches(text) == []


def test_table_sizes():
    assert len(CRISIS) >= 60
    assert len(ORDINARY) >= 60
    assert len({t for t, _, _ in CRISIS}) == len(CRISIS), "duplicate positive example"
    assert len(set(ORDINARY)) == len(ORDINARY), "duplicate negative example"


# --------------------------------------------------------------------------------------
# Priority, multiple matches, language
# --------------------------------------------------------------------------------------


def test_overdose_wins_over_suicide(lexicon):
    text = "i took too many pills and want to die"
    hit = lexicon.match(text)
    assert hit == CrisisMatch(OVERDOSE, "utter_crisis_overdose", "en", 1)
    intents = [m.intent for m in lexicon.matches(text)]
    assert intents == [OVERDOSE, SUICIDE]


def test_violence_wins_over_suicide(lexicon):
    text = "he said he'd kill me and honestly i want to die"
    assert lexicon.match(text).intent == VIOLENCE
    assert [m.intent for m in lexicon.matches(text)] == [VIOLENCE, SUICIDE]


def test_matches_are_ordered_by_priority(lexicon):
    text = "he hit me, she's not breathing and i want to die"
    found = lexicon.matches(text)
    assert [m.intent for m in found] == [OVERDOSE, VIOLENCE, SUICIDE]
    assert [m.priority for m in found] == [1, 2, 3]
    assert lexicon.match(text) == found[0]


def test_language_follows_the_message(lexicon):
    assert lexicon.match("no respira, creo que fue el fentanyl").language == "es"
    assert lexicon.match("she's not breathing it was fentanilo").language == "en"


def test_intents_and_responses(lexicon):
    assert lexicon.intents == [OVERDOSE, VIOLENCE, SUICIDE]


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I'm SO tired", "im so tired"),
        ("i\u2019m fine, he won\u2019t call", "im fine he wont call"),
        ("I´m ok", "im ok"),
        ("pleeeease hellllp!!!", "pleease hellp"),
        ("Ya no puedo más", "ya no puedo mas"),
        ("tengo miedo de él", "tengo miedo de el"),
        ("u ok? ur baby ok rn?", "you ok your baby ok right now"),
        ("i wanna go, im gonna try", "i want to go im going to try"),
        ("idk", "i dont know"),
        ("i cannot", "i cant"),
        ("xq no me dejas", "porque no me dejas"),
        ("self-harm", "self harm"),
        ("  lots\t\nof   space  ", "lots of space"),
        ("emoji😭in between", "emoji in between"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_is_idempotent():
    for text, *_ in CRISIS + [(t,) for t in ORDINARY]:
        once = normalize(text)
        assert normalize(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02 control \x7f chars",
        "\ud800 lone surrogate",
        "🙂" * 500,
        "a" * 5000,
        "he " * 700,
        "i want " * 300,
        "\u0301\u0301\u0301 combining only",
        "\u202e right-to-left override",
        "x" + "\n" * 1000,
        "😭 " * 1000 + " i want to die",
    ],
)
def test_never_raises(lexicon, text):
    lexicon.match(text)
    lexicon.matches(text)
    normalize(text)


def test_crisis_at_the_end_of_a_long_message(lexicon):
    text = ("my appointment is tomorrow and i need a ride. " * 40) + "he's choking me"
    assert len(text) > 1800
    assert lexicon.match(text).intent == VIOLENCE


def test_match_is_fast(lexicon):
    messages = [
        "hey so i wanted to ask if the clinic on main street is open saturday because "
        "my ride fell through and i need to get my dose, also do they have childcare??",
        "ok so my appointment got moved to friday and the bus was late again honestly "
        "i dont know why i bother i just want to die tbh anyway what time is group",
        "mi bebe no deja de llorar y estoy muy cansada, necesito ayuda con la renta y "
        "con los pañales, hay algun lugar cerca de holyoke que me pueda ayudar hoy?",
    ]
    for m in messages:
        lexicon.match(m)  # warm up
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        for m in messages:
            lexicon.matches(m)
    per_message = (time.perf_counter() - start) / (runs * len(messages))
    # A guard against catastrophic regex backtracking (seconds per message), with room for a
    # loaded 2-core CI machine; about 0.5 ms here when idle. Not a benchmark.
    assert per_message < 0.010, f"{per_message * 1000:.3f} ms per 160-char message"


# --------------------------------------------------------------------------------------
# Loading, validation, round trip
# --------------------------------------------------------------------------------------


def test_default_path_points_into_the_repo():
    assert DEFAULT_LEXICON_PATH == _REPO / "data" / "safety" / "crisis_lexicon.yml"
    assert DEFAULT_LEXICON_PATH.is_file()


def test_round_trip(lexicon):
    data = lexicon.to_dict()
    again = CrisisLexicon.from_dict(copy.deepcopy(data))
    assert again.to_dict() == data
    for text, _, _ in CRISIS:
        assert again.matches(text) == lexicon.matches(text)
    for text in ORDINARY:
        assert again.match(text) is None


def test_to_dict_is_json_safe(lexicon):
    import json

    data = lexicon.to_dict()
    assert json.loads(json.dumps(data)) == data


def _minimal() -> dict:
    return {
        "version": 1,
        "exclusions": [r"\bdying to\b"],
        "categories": [
            {
                "intent": "crisis_suicide",
                "response": "utter_crisis_suicide",
                "priority": 3,
                "description": "test",
                "patterns": {"en": [r"\bwant to die\b"], "es": [r"\bquiero morir\b"]},
            },
            {
                "intent": "crisis_overdose",
                "response": "utter_crisis_overdose",
                "priority": 1,
                "patterns": {"en": [r"\b{{od}}\b"]},
            },
        ],
        "macros": {"od": "(?:overdose|od)"},
    }


def test_from_dict_minimal():
    lex = CrisisLexicon.from_dict(_minimal())
    assert lex.intents == ["crisis_overdose", "crisis_suicide"]
    assert lex.match("I want to die").intent == "crisis_suicide"
    assert lex.match("quiero morir").language == "es"
    assert lex.match("he OD").intent == "crisis_overdose"
    assert lex.match("i'm dying to go") is None


def _broken(mutate):
    data = _minimal()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(version=2), "version"),
        (lambda d: d.pop("categories"), "categories"),
        (lambda d: d.update(categories=[]), "categories"),
        (lambda d: d.update(extra=1), "unknown top-level"),
        (lambda d: d["categories"][0]["patterns"]["en"].append("(unclosed"), "invalid regular"),
        (lambda d: d["categories"][0]["patterns"]["en"].append("a|"), "empty string"),
        (lambda d: d["categories"][0]["patterns"]["en"].append("I want"), "uppercase"),
        (lambda d: d["categories"][0]["patterns"]["en"].append("i'm"), "apostrophe"),
        (lambda d: d["categories"][0]["patterns"]["es"].append("más"), "non-ASCII"),
        (lambda d: d["categories"][0]["patterns"]["en"].append("(?i)die"), "flags"),
        (lambda d: d["categories"][0]["patterns"]["en"].append("(a)\\1"), "backreference"),
        (lambda d: d["categories"][0]["patterns"]["en"].append("{{nope}}"), "unknown macro"),
        (lambda d: d["categories"][0]["patterns"]["en"].append(42), "non-empty string"),
        (lambda d: d["categories"][0]["patterns"].update(fr=["mourir"]), "unknown language"),
        (lambda d: d["categories"][0].update(priority="high"), "priority"),
        (lambda d: d["categories"][0].update(priority=True), "priority"),
        (lambda d: d["categories"][1].update(priority=3), "duplicate priority"),
        (lambda d: d["categories"][1].update(intent="crisis_suicide"), "duplicate intent"),
        (lambda d: d["categories"][0].pop("response"), "response"),
        (lambda d: d["categories"][0].update(patterns={}), "patterns"),
        (lambda d: d["categories"][0].update(patterns={"en": []}), "no patterns"),
        (lambda d: d["categories"][0].update(intent="crisis suicide"), "intent"),
        (lambda d: d.update(exclusions="dying to"), "exclusions"),
        (lambda d: d.update(exclusions=["("]), "invalid regular"),
        (lambda d: d.update(macros=["od"]), "macros"),
    ],
)
def test_malformed_lexicon_raises_value_error(mutate, message):
    with pytest.raises(ValueError, match=message):
        CrisisLexicon.from_dict(_broken(mutate))


@pytest.mark.parametrize("data", [None, [], "version: 1", 1])
def test_not_a_mapping_raises_value_error(data):
    with pytest.raises(ValueError):
        CrisisLexicon.from_dict(data)


def test_load_malformed_file_raises_value_error(tmp_path):
    bad_yaml = tmp_path / "bad.yml"
    bad_yaml.write_text("version: 1\ncategories: [\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.yml"):
        CrisisLexicon.load(bad_yaml)

    bad_regex = tmp_path / "regex.yml"
    bad_regex.write_text(
        "version: 1\ncategories:\n  - intent: crisis_x\n    response: utter_crisis_x\n"
        "    priority: 1\n    patterns:\n      en: ['(unclosed']\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"crisis_x.*invalid regular"):
        CrisisLexicon.load(bad_regex)

    empty = tmp_path / "empty.yml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValueError):
        CrisisLexicon.load(empty)


def test_load_accepts_str_path(tmp_path):
    import yaml

    path = tmp_path / "lex.yml"
    path.write_text(yaml.safe_dump(_minimal()), encoding="utf-8")
    assert CrisisLexicon.load(str(path)).match("i want to die").intent == "crisis_suicide"


def test_load_missing_file():
    with pytest.raises(FileNotFoundError):
        CrisisLexicon.load("/nonexistent/crisis_lexicon.yml")


# --------------------------------------------------------------------------------------
# Property tests (hypothesis is installed in the services venv only)
# --------------------------------------------------------------------------------------

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # the bot venv has no hypothesis
    given = None

if given is not None:
    _LEX = CrisisLexicon.load()

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=400))
    def test_any_text_is_handled(text):
        hit = _LEX.match(text)
        assert hit is None or isinstance(hit, CrisisMatch)
        assert _LEX.matches(text)[:1] == ([hit] if hit else [])
        assert normalize(normalize(text)) == normalize(text)

    @settings(max_examples=200, deadline=None)
    @given(
        st.sampled_from([t for t, _, _ in CRISIS]),
        st.text(alphabet="!?.,;: \n😭🙏", max_size=5),
        st.text(alphabet="!?.,;: \n😭🙏", max_size=5),
        st.booleans(),
    )
    def test_crisis_survives_case_and_punctuation(text, before, after, upper):
        expected = _LEX.match(text).intent
        noisy = before + (text.upper() if upper else text) + after
        assert _LEX.match(noisy).intent == expected

    @settings(max_examples=200, deadline=None)
    @given(
        st.sampled_from([t for t, _, _ in CRISIS]),
        st.sampled_from(ORDINARY_EN[:40]),
    )
    def test_crisis_is_found_inside_other_text(crisis, ordinary):
        expected = {m.intent for m in _LEX.matches(crisis)}
        found = {m.intent for m in _LEX.matches(ordinary + ". " + crisis)}
        assert expected <= found


# --------------------------------------------------------------------------------------
# Red-team sets (tests/safety/cases/): texts written fresh by someone who had not read the
# lexicon. Kept as files so a new pass can be added without touching this module.
# --------------------------------------------------------------------------------------

_CASES = Path(__file__).resolve().parent / "cases"


def _case_lines(name: str) -> list[str]:
    lines = (_CASES / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


REDTEAM_CRISIS = [
    tuple(line.split("\t"))
    for name in ("redteam_crisis.tsv", "redteam2_crisis.tsv", "redteam3_crisis.tsv")
    for line in _case_lines(name)
]
REDTEAM_ORDINARY = [
    line
    for name in ("redteam_ordinary.tsv", "redteam2_ordinary.tsv", "redteam3_ordinary.tsv")
    for line in _case_lines(name)
]

# Recall first: hyperbole that a real crisis could also be written as keeps its crisis reply.
ACCEPTED_FALSE_ALARMS = [
    "the movie was so sad i wanted to die lol",
    "ugh i wanna die i farted at my ob appointment lmao",
]


@pytest.mark.parametrize(("text", "intent"), REDTEAM_CRISIS)
def test_redteam_crisis_texts_are_recognised(lexicon, text, intent):
    hit = lexicon.match(text)
    assert hit is not None, f"missed crisis: {text!r} (normalised: {normalize(text)!r})"
    assert hit.intent == intent, f"{text!r}: got {hit.intent}, expected {intent}"


@pytest.mark.parametrize("text", REDTEAM_ORDINARY)
def test_redteam_ordinary_texts_are_not_flagged(lexicon, text):
    assert lexicon.match(text) is None, f"false alarm on {text!r}: {lexicon.explain(text)}"


@pytest.mark.parametrize("text", ACCEPTED_FALSE_ALARMS)
def test_accepted_false_alarms_still_get_help(lexicon, text):
    assert lexicon.match(text) is not None


def test_redteam_sets_are_large_and_cover_every_category():
    assert len(REDTEAM_CRISIS) >= 450 and len(REDTEAM_ORDINARY) >= 440
    assert {intent for _, intent in REDTEAM_CRISIS} == {OVERDOSE, VIOLENCE, SUICIDE}
