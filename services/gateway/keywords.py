"""Carrier keywords (STOP / START / HELP) and opt-outs in any words, English and Spanish.

In order: a keyword that is the whole message ("Stop." too); her "yes" to "Do you want to
stop all texts?" when that was the last thing Tandem asked; the plain-language lists in
data/gateway/keywords.yml; the opt-out model, which reads a keyword followed by a word or two
("stop now", "STOP pls") as an opt-out and "stop by the clinic" or "stop sharing" as not
(data/safety/optout_model.json with its embedding reader optout_semantic.npz, trained with the
risk model by `make safety-model`). When the
model is unsure, Tandem asks once (OPT_OUT_QUESTION) instead of guessing.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml

from safety.crisis import normalize, sentences
from safety.semantic import SemanticModel, blend, companion
from safety.textmodel import TextModel
from services.settings import DATA_DIR
from sms_text.loss import LOSS

logger = logging.getLogger(__name__)

KEYWORDS_PATH = DATA_DIR / "gateway" / "keywords.yml"
OPTOUT_MODEL_PATH = DATA_DIR / "safety" / "optout_model.json"
# "dont stop texting me", "i dont want to quit tandem", "no pares": the opposite of an
# opt-out, whatever the model says.
# "if you dont stop texting me" is an opt-out, not its opposite.
_NEGATED = re.compile(
    r"(?<!if you )(?<!if you guys )"
    r"\b(?:dont|do not|never|please dont|no) (?:want to |quiero )?(?:stop|quit|pares|dejes)\b"
)
# Someone stopping her, not Tandem stopping its texts ("i dont want anybody to stop me this
# time": safety_AZ, a crisis the opt-out readers took for a possible stop and asked about).
_STOPS_HER = re.compile(
    r"\b(?:anybody|anyone|nobody|no one|someone|somebody|he|she|they|them|you|u|people|ppl) "
    r"(?:\w+ ){0,3}stop(?:ping)? me\b"
    r"(?! (?:from )?(?:getting|receiving) (?:the |these |your |ur |any )?(?:texts|messages|msgs)\b)"
)
# "if i stop texting its bc he came back", "si dejo de contestar": what her silence would mean
# (safety_W's first sight, a danger sign), not a request that Tandem stop.
_HER_SILENCE = re.compile(
    r"\b(?:if|when|in case|once) i (?:stop|quit|dont|do not|cant|never) (?:text|texting|answer|"
    r"answering|reply|replying|respond|responding|writing)\b|\b(?:si|cuando) (?:yo )?(?:dejo de|"
    r"deje de|no) (?:escribir|escribirte|contestar|contestarte|responder|textear)\b"
    # she cannot talk now ("no puedo hablar, el esta aqui. mandame el numero": safety_AJ)
    r"|\b(?:cant|can t|cannot|no puedo) (?:talk|hablar)\b"
)
# What she wants to stop is something else the bot answers, found in the outside NLU sets'
# ordinary texts that the opt-out readers unsubscribed (session 10): her information going to
# someone ("stop sharing my stuff w my program", "no le manden nada mio a ese programa": a
# consent withdrawn), a person rather than a machine ("no quiero mensajes automaticos, quiero
# una persona"), or how the texts look ("no pongas nada de la clinica en los mensajes").
_SHARING = re.compile(
    r"\b(?:stop|quit|no more|dont|do not) shar\w*\b"
    r"|\b(?:share|sharing|send|sending|give|giving|pass|passing) (?:my|mis|mi|anything about me)"
    r"\b(?: \w+){0,3} (?:to|with|w|al|a la|a los|con)\b"
    r"|\bno le(?:s)? (?:mandes|manden|envies|envien|des|den|pases|pasen|compartas|compartan)\b"
    # ...but not the texts themselves, said of her by someone with her phone ("ella dice que no
    # le manden mas mensajes": an opt-out phrase in keywords.yml)
    r"(?! (?:mas )?(?:mensajes|textos)\b)"
)
# Which language the texts come in ("me pueden mandar los mensajes en espanol": safety_Z; "pls
# stop sending the spanish ones, i read english better", "ya no me manden los mensajes en
# ingles, mejor en espanol": safety_AL): the bot sets her language, even when she says "ya no".
_OTHER_LANGUAGE = re.compile(
    r"\b(?:the |those |these )?(?:spanish|english) ones\b|\bmejor en (?:espanol|ingles)\b"
    r"|\b(?:text|texts|texting|txt|message|messages|msgs|escrib\w*|mensaj\w*|manden|envien|"
    r"textos)\b(?: \w+){0,3}? (?:en (?:espanol|ingles)|in (?:spanish|english))\b"
    r"(?! (?:ni|or|nor|either)\b)"
    r"|\bi read (?:english|spanish) better\b"
)
# Another number of hers, not this one ("stop sending stuff to my old number, this is my new
# one": safety_AH): unsubscribing the phone she texts from would cut her off. A text from an old
# phone someone else now holds ("this isnt her phone anymore, stop") still opts that phone out.
_OTHER_NUMBER = re.compile(
    r"\b(?:to|on|at|a|al|en|text|texting|message|messaging|send|sending|call|calling) (?:my|mi) "
    r"(?:old|other|previous|former) (?:number|phone|cell|line)\b"
    r"|\b(?:al|a mi|en mi) (?:numero|telefono|celular) (?:viejo|anterior|de antes)\b"
    r"|\b(?:al|a|en) mi otro (?:numero|telefono|celular)\b"
)
# A new phone or number, hers or told by someone for her ("this her sister, she lost her phone,
# use this number for now", "cambie de numero, soy leidy": safety_BF, round 24, which the
# readers took for opt-outs and unsubscribed): she wants the texts, on this number. Read
# only when no opt-out phrase matched ("new number, stop texting this one" still stops).
_NEW_NUMBER = re.compile(
    r"\b(?:new|nuevo|nueva) (?:number|phone|cell|numero|telefono|celular|cel)\b"
    r"|\b(?:number|phone|numero|telefono|celular|cel) (?:nuevo|nueva)\b"
    r"|\b(?:changed?|switched) (?:my |her )?(?:number|phone|numbers|phones)\b"
    r"|\b(?:cambie|cambio|cambiamos|cambiar) (?:de |mi |su |el )?(?:numero|telefono|celular|cel)\b"
    r"|\b(?:lost|broke|dropped) (?:my|her) phone\b"
    r"|\bperd(?:i|io) (?:mi|su|el) (?:telefono|celular|cel)\b"
    r"|\buse this (?:number|phone|one)\b|\b(?:usen|usa|use) este (?:numero|telefono)\b"
)
# ...unless the number is no longer hers or the texts are not wanted ("can u take this number
# off, i got a new phone and this is my moms now", "new phone who dis ... dont want them").
_NOT_WANTED = re.compile(
    r"\b(?:anymore|no longer|ya no|wrong number|numero equivocado|off|dont want|dont need|"
    r"do not want|do not need|dont know (?:her|him|them|who)|no (?:la|lo) conozco|no quiero|"
    r"no necesito)\b"
)
# Someone else asked to stop ("told my mom to stop texting me baby advice": safety_AI; "le dije
# a mi ex que deje de escribirme"): her story, not a request to Tandem, so that clause (with
# the few words after it) is read as if absent and the rest of the text decides ("stop
# texting me, i told my mom to stop too" still opts out). "Tell them to stop" may mean
# Tandem's staff, so "them" is not here.
_TOLD_SOMEONE = re.compile(
    r"\b(?:(?:told|tell|telling|asked|asking|begged|begging|yelled at) (?:my|her|his|the|our|him) "
    r"(?:\w+ ){0,2}(?:to )?(?:stop|quit)"
    r"|(?:le dije|le pedi|le digo|le dijimos) (?:a (?:mi|su|la|el) \w+ )?(?:que|q) "
    r"(?:deje|dejara|pare|parara))\b(?: \w+){0,3}"
)
_ELSEWHERE = re.compile(
    r"\b(?:want|need|talk to|speak to|talk with|speak with|quiero|necesito|hablar con) "
    r"(?:a|una|un) (?:real )?(?:person|human|persona|humano)\b"
    r"|\btext(?:ing)? (?:a|the|una|la) (?:machine|robot|bot|maquina)\b"
    r"|\b(?:have|can|could|need|want|please|pls) (?:someone|somebody|a person|you) (?:to )?call me"
    r"\b|\balguien (?:que )?me llame\b|\bllam(?:enme|ame)\b"
    r"|\bcomo si (?:fueran|fuera)\b"
    # unsubscribing from something else by name ("unsubscribe from the safelink newsletter
    # thing ... not u guys tho": safety_AK)
    r"|\b(?:unsubscribe|opt out|opt me out|take me off|remove me) (?:me )?(?:from|of) "
    r"(?:the|a|that|those|my) "
    r"(?!(?:texts?|messages|msgs|sms|list|program|tandem|this|these|whole|thing|service)\b)\w+"
    r"|\b(?:dont|do not|no) (?:put|say|mention|write|pongas|pongan|digas|escribas) (?:\w+ ){0,4}"
    r"(?:in|on|en) (?:the|my|these|los|mis|estos) (?:messages|texts|mensajes|textos)\b"
    # ...or what they are about ("mi marido ve mis mensajes, no pongan de que se trata":
    # safety_BL, whom the readers unsubscribed)
    r"|\b(?:dont|do not|no) (?:put|say|mention|write|pongas|pongan|digas|digan|escribas|"
    r"escriban|menciones|mencionen) (?:de que se trata|what (?:its|it is|they are|theyre|this is)"
    r" (?:about|for)|el nombre|lo que es)\b"
)
# "no more of the baby size texts", "stop sending the pregnancy week stuff ... send the baby
# stuff now" (safety_AB): one kind of text, not all of them. The model may be sure it is about
# stopping texts; Tandem asks once which she means. "The program texts" are all of them
# (safety_AL), and so are "the mass texts" after a move (safety_AQ): Tandem sends only those.
_SCOPED = re.compile(
    r"\b(?:the|those|these|that|los|las|esos|esas) "
    r"(?!(?:daily|weekly|stupid|annoying|dumb|extra|text|sms|program|tandem|automated|mass|ma)\b)"
    r"(?:\w+ ){1,3}"
    r"(?:texts|messages|msgs|txts|tips|stuff|updates|reminders|mensajes|textos|cosas)\b"
    r"|\b(?:mensajes|textos|msjs|texts|messages) (?:del|de la|de los|sobre|about the)\b"
    # a reminder, or the others kept ("stop sending me the reminder for the 3pm thing ... keep
    # the others": safety_AC)
    r"|\bthe (?:\w+ ){0,2}reminder\b(?! and)"
    r"|\bkeep (?:sending )?(?:me )?the (?:others|other ones|rest)\b"
)
# "stop texting me after 8", "text me less", "no texts at work", "stop the check ins for
# now": when or how often, not whether. The bot sets her hours or her cadence (a woman who
# wants every text to stop can still say STOP).
_LIMITED_WHEN = (
    r"(?:after|before|during|until|till|past|around) (?:\d|noon|midnight|dinner|bedtime|work|"
    r"school|class|my shift|the kids|lunch)"
    r"|(?:at|in the|on|during) (?:work|school|night|nights|the morning|the mornings|mornings|"
    r"the evening|evenings|the afternoon|weekends?|my shift|the weekend|sundays|saturdays)\b"
    r"|(?:so much|so often|as much|as often|less|fewer|tanto|"
    r"(?:despues|antes) de las|por la (?:manana|tarde|noche)|en la (?:manana|tarde|noche)|"
    r"de (?:noche|madrugada|manana)|en el trabajo|los fines de semana)\b"
)
# "for now" pauses the check-ins (a cadence the bot sets); said of all her texts it is a stop
# she can undo with START: "im gonna stop the texts for now, maybe ill come back later"
# (safety_BI) had got the quiet-hours reply.
_FOR_A_WHILE = (
    r"(?:for now|for a while|for a bit|for a few (?:days|weeks)|por ahora|por un tiempo)\b"
)
# ...said of the texts themselves, within a few words and in the same sentence ("stop
# texting me. i get dark thoughts at night" and "no more texts plz. im at work and they keep
# going off" are stops: safety_AO), and not taken back ("at 7am? actually just stop
# altogether").
_LIMITED = re.compile(
    r"\b(?:text|texts|texting|txt|message|messages|msgs|check ins?|checkins?|check-ins?|"
    r"escrib\w*|mensaj\w*|manden|envien|textos)\b(?: \w+){0,3}? (?:" + _LIMITED_WHEN + ")"
    r"|\b(?:check ins?|checkins?|check-ins?)\b(?: \w+){0,3}? " + _FOR_A_WHILE
)
# A question about the texts that asks nothing to stop ("quien ve estos mensajes", "are these
# texts recorded"): the opt-out readers lean to "stop" on such texts, and the bot answers them
# (privacy, discreet texts). "how do i make these texts stop" still stops.
_QUESTION = re.compile(
    r"^(?:who|whos|what|whats|where|when|why|how|are|is|do|does|did|will|would|should|quien|"
    r"quienes|que|donde|cuando|por que|porque|como|es|son|ven|leen|guardan|borran|graban)\b"
)
_ASKS_TO_STOP = re.compile(
    r"\b(?:stop\w*|quit|unsub\w*|cancel\w*|remove|take me off|get (?:me )?off|delete|opt out|"
    r"lose (?:my|this|the) (?:number|#)|"
    r"no more|end|"
    r"dejen|dejar|parar|paren|pare|cancela\w*|borra\w* mi|sacame|no (?:me )?(?:lleguen|manden|"
    r"envien|escriban|mande)|no mas|ya no)\b"
)
# A loss, and the baby or pregnancy texts she wants gone ("we lost him at 20 weeks. please stop
# sending the baby stuff"): GUIDE.md wants those messages stopped at once with condolence and
# support, which is the bot's answer to a loss (sms_text.loss), not an unsubscribe from all of
# Tandem.
_BABY_TEXTS = re.compile(
    r"\b(?:baby|pregnancy|pregnant|bump|size) (?:stuff|things|tips|texts|messages|msgs|updates|"
    r"info)\b|\b(?:cosas|mensajes|textos|tips|consejos|informacion) (?:del|de|sobre el|sobre la|"
    r"de la) (?:bebe|embarazo)\b"
)
_ALL_OF_THEM = re.compile(
    r"\b(?:altogether|at all|completely|for good|forever|anymore|cancel|unsubscribe|all of it|"
    r"all of them|everything|"
    r"nunca mas|ya no|para siempre)\b"
)
# Every kind of text, beside one kind named: "...please stop the texts", "cancel everything".
_EVERY_KIND = re.compile(
    r"\b(?:everything|all of it|all of them|altogether|completely|todo|"
    r"all (?:the |your |these |of the |of your )?(?:texts|messages|msgs)|"
    r"(?:stop|cancel|end|quit) (?:the|these|your|all|ur) (?:texts|messages|msgs|txts)"
    r"(?! (?:about|on|for|from|with|del|de)\b)|todos los mensajes)\b"
)
# One-word keywords long enough that a typo of them ("unsubcribe") or their first five
# letters or more ("unsub", the way people shorten it) mean only them.
_SPELLED_LONG = ("UNSUBSCRIBE", "STOPALL", "OPTOUT")
_SHORTENED_MIN = 5
_TYPO_RATIO = 0.85
_STOP = "stop"
# STOP as people drawl it in writing ("stahp texting me lmao"): read as STOP.
_STOP_SPOKEN = frozenset({"stahp", "stawp"})
# A sentence that is nothing but a request to stop, with fillers around it.
_BARE_STOP = re.compile(
    r"(?:(?:please|pls|plz|just|ok|okay|so|lol|honestly|seriously|omg|ya|por favor) )*"
    r"(?:stop|quit|para|paren|basta)"
    r"(?: (?:it|them|all|everything|all of it|now|please|pls|plz|already|ya|por favor|todo))*"
)
_NAMES_TEXTS = re.compile(
    r"\b(?:texts?|messages?|msgs|txts|reminders|check ins?|mensajes|textos|msjs|recordatorios)\b"
)
_YES = re.compile(r"^(?:yes|yeah|yep|yup|y|ya|si|sip|ok|okay|please|yes please|stop)\b")


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    OPT_OUT_QUESTION = "opt_out_question"


@dataclass(frozen=True)
class Keywords:
    words: dict[str, Keyword]
    plain_opt_out: tuple[re.Pattern[str], ...]
    phrases: tuple[re.Pattern[str], ...] = ()
    model: TextModel | None = None
    semantic: SemanticModel | None = None
    plain_opt_in: tuple[re.Pattern[str], ...] = ()
    forget: tuple[re.Pattern[str], ...] = ()
    forget_confirm: frozenset[str] = frozenset()

    def asks_to_forget(self, body: str) -> bool:
        """ "delete my data", "borra mis datos": she asks Tandem to delete her data."""
        text = normalize(body)
        return any(p.fullmatch(text) for p in self.forget)

    def confirms_forget(self, body: str) -> bool:
        return normalize(body).upper() in self.forget_confirm

    def says_stop(self, body: str) -> bool:
        """She asks in so many words: a keyword (or its typo) or one of the opt-out phrases,
        not only the readers' guess."""
        text = normalize(body)
        return (
            text.upper() in self.words
            or _misspelled_keyword(text) is not None
            or any(p.fullmatch(text) for p in self.plain_opt_out)
            or self._phrase(text, _sentences(body) or [text])
        )

    def _phrase(self, text: str, parts: list[str]) -> bool:
        """An opt-out phrase in ``text`` (her message, normalised) or in one of its sentences
        (``parts``, normalised): a phrase's "not about when" guard reads only its own sentence
        ("stop texting me. after 2 years in programs im done with all of it" is a stop)."""
        pieces = dict.fromkeys([text, *(_read(s) for s in parts)])
        return any(p.search(piece) for p in self.phrases for piece in pieces if piece)

    def opt_out_probability(self, text: str) -> float:
        """Both readers blended (``safety.semantic``); the n-gram one alone if the embedding
        reader fails."""
        if self.model is None:
            return 0.0
        ngram = self.model.probabilities(text).get("optout", 0.0)
        if self.semantic is None:
            return ngram
        try:
            return blend(ngram, self.semantic.probability([text])[0])
        except Exception:
            logger.exception("The opt-out embedding reader failed; the n-gram reader decides.")
            return ngram

    def classify(self, body: str, *, opted_out: bool, asked: bool = False) -> Keyword | None:
        """What a message is, before the bot sees it. ``asked``: the last text Tandem sent
        her was the opt-out question."""
        text = normalize(body)
        if not text:
            return None
        keyword = self.words.get(text.upper())
        if asked and not opted_out and _YES.match(text):
            return Keyword.OPT_OUT
        if keyword is Keyword.OPT_IN and text == "yes" and not opted_out:
            return None  # YES is an answer to the bot unless she is opted out
        if keyword is None and not opted_out:
            keyword = _misspelled_keyword(text)
        if keyword is not None:
            return keyword
        if opted_out:
            # Only START/UNSTOP/YES matter now, or plain words asking for the texts again.
            return Keyword.OPT_IN if any(p.search(text) for p in self.plain_opt_in) else None
        if any(p.search(text) for p in self.plain_opt_in):
            return None  # asking for texts, not to stop them: the bot answers
        parts = _sentences(body) or [text]
        text = _read(text)
        if not text:
            return None
        words = text.split()
        if LOSS.search(text) and _BABY_TEXTS.search(text) and not _ALL_OF_THEM.search(text):
            return None  # her loss: the bot stops the baby texts, with condolence and support
        if any(p.fullmatch(text) for p in self.plain_opt_out):
            return Keyword.OPT_OUT
        if _texts_then_bare_stop(parts):
            return Keyword.OPT_OUT  # "the texts at 8am are killing me. please just stop"
        if _limited(parts) and not _ALL_OF_THEM.search(text):
            return None  # her hours or how often: the bot's to set
        if _SHARING.search(text) and not _ALL_OF_THEM.search(text):
            return None  # her consent to share, not the texts: the bot's to answer
        if _OTHER_NUMBER.search(text) or _OTHER_LANGUAGE.search(text):
            return None  # another phone of hers, or the other language: she stays subscribed
        if self._phrase(text, parts):
            if _one_kind(text) and not asked:
                return Keyword.OPT_OUT_QUESTION  # "stop sending the pregnancy week stuff"
            return Keyword.OPT_OUT
        if len(words) < 2 or _NEGATED.search(text) or _HER_SILENCE.search(text):
            return None  # one word is a keyword or an answer ("no"), never the model's guess
        if _STOPS_HER.search(text):
            return None  # someone stopping her: the bot's to answer
        if _ELSEWHERE.search(text):
            return None  # a person, or discreet texts: the bot's to answer
        if _NEW_NUMBER.search(text) and not (
            _ASKS_TO_STOP.search(text) or _NOT_WANTED.search(text)
        ):
            return None  # a new phone or number: she keeps her texts, on this number
        # Only now, when the readers decide: they cost a sentence embedding (about 10 ms).
        asks = body.rstrip().endswith("?") or _QUESTION.search(text)
        if asks and not _ASKS_TO_STOP.search(text):
            return None  # a question about the texts is the bot's to answer
        probability = self.opt_out_probability(text)
        if probability >= self.model_threshold("optout") and not _one_kind(text):
            return Keyword.OPT_OUT
        if probability >= self.model_threshold("ask") and not asked:
            return Keyword.OPT_OUT_QUESTION
        return None

    def model_threshold(self, name: str) -> float:
        if self.model is None:
            return 2.0  # never
        return self.model.thresholds[name]


def _read(text: str) -> str:
    """``text`` (normalised) as the rules read it: a mistyped STOP first word fixed, and what
    she told someone else to stop left out."""
    return " ".join(_TOLD_SOMEONE.sub(" ", _keyword_typo_fixed(text)).split())


def _sentences(body: str) -> list[str]:
    """The sentences of her message, normalised: none when it has only one."""
    found = [normalize(s) for s in sentences(body)]
    return found if len(found) > 1 else []


def _limited(parts: list[str]) -> bool:
    """One of her sentences (``parts``, normalised) limits when or how often the texts come
    (_LIMITED)."""
    return any(_LIMITED.search(part) for part in parts)


def _texts_then_bare_stop(parts: list[str]) -> bool:
    """A sentence that is only a request to stop ("please just stop", "stop it already"),
    after one that names the texts ("lol the texts at 8am are killing me": safety_BB): what
    she stops is the texts, all of them (a time in her complaint does not limit it)."""
    return (
        len(parts) > 1
        and any(_BARE_STOP.fullmatch(part) for part in parts[1:])
        and any(_NAMES_TEXTS.search(part) for part in parts[:-1])
    )


def _one_kind(text: str) -> bool:
    """She names one kind of text to stop ("the baby size texts", "ya no me manden los
    mensajes del bebe"), and not every kind as well ("dont need the mass stuff anymore,
    please stop the texts": safety_AC)."""
    return _SCOPED.search(text) is not None and _EVERY_KIND.search(text) is None


def _misspelled_keyword(text: str) -> Keyword | None:
    """``OPT_OUT`` for one word that is STOP mistyped ("sttop", "stpo") or a typo of a long
    opt-out keyword ("unsubcribe") or its start ("unsub")."""
    if _is_stop_typo(text):
        return Keyword.OPT_OUT
    word = text.upper()
    if " " in word or len(word) < _SHORTENED_MIN:
        return None
    for keyword in _SPELLED_LONG:
        if keyword.startswith(word):
            return Keyword.OPT_OUT
        if difflib.SequenceMatcher(None, word, keyword).ratio() >= _TYPO_RATIO:
            return Keyword.OPT_OUT
    return None


def _keyword_typo_fixed(text: str) -> str:
    """ "stpo sending me these", "sttop txting": a first word that is STOP mistyped is read
    as STOP."""
    first, _, rest = text.partition(" ")
    return f"{_STOP} {rest}" if rest and _is_stop_typo(first) else text


def _is_stop_typo(word: str) -> bool:
    """STOP with two letters swapped ("stpo", "sotp"), a letter doubled ("sttop", "stopp") or
    drawled ("stahp"): no real word is any of these, but for "stoop", which is left alone."""
    if word in _STOP_SPOKEN:
        return True
    if word == _STOP or word == "stoop" or not word.isalpha():
        return False
    swaps = {_STOP[:i] + _STOP[i + 1] + _STOP[i] + _STOP[i + 2 :] for i in range(3)}
    return word in swaps or re.sub(r"(.)\1+", r"\1", word) == _STOP


@cache
def load_keywords(
    path: Path = KEYWORDS_PATH, model_path: Path | None = OPTOUT_MODEL_PATH
) -> Keywords:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    words = {
        str(w).upper(): kind for kind in Keyword if kind.value in data for w in data[kind.value]
    }
    model = TextModel.load(model_path) if model_path else None
    return Keywords(
        words,
        tuple(re.compile(p) for p in data.get("plain_opt_out", [])),
        phrases=tuple(re.compile(p) for p in data.get("opt_out_phrases", [])),
        model=model,
        semantic=companion(model.meta, model_path) if model and model_path else None,
        plain_opt_in=tuple(re.compile(p) for p in data.get("plain_opt_in", [])),
        forget=tuple(re.compile(p) for p in data.get("forget", [])),
        forget_confirm=frozenset(str(w).upper() for w in data.get("forget_confirm", [])),
    )
