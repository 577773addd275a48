"""The layered crisis judgement both runtimes use: one call, one answer.

1. The lexicon (``safety.crisis``): phrases that are nearly certain. A match is a crisis,
   unless the risk model finds the whole text very unlikely to be one (below
   ``lexicon_floor``: "i overdosed 3 times before methadone"); then Tandem asks. Below
   ``lexicon_ignore`` (half the lowest risk any real crisis with a phrase got from readers
   that had not met its writer) the phrase is read in context and not asked about:
   "we talked about suicide prevention at group today"; so is one told as the past ("3 yrs
   ago today i od'd", ``TOLD_AS_PAST``) or about someone else's death or a show ("my friend
   died of an od", ``TOLD_ABOUT``), or a question about what calling 911 or 988 does to her
   ("if i call 911 for somebody overdosing will i get in trouble", ``ASKED_ABOUT_HELP``) below
   ``lexicon_floor``. (A higher cut-off for long
   texts was tried in round 9 and taken out: it let "overdose at the bus stop in quincy center
   a lady is down" through, which the n-gram reader scored 0.004.)
2. The risk: two readers trained on labelled texts by ``make safety-model``, blended
   (``safety.semantic.blend``, the mean of their log-odds): a classifier over word and
   character n-grams (``safety.textmodel``, ``data/safety/risk_model.json``: the probability
   that the text is not ``none``, and the likeliest category) and one over sentence embeddings
   (``safety.semantic``, ``risk_semantic.npz``), which knows meaning rather than words ("i wont
   be around for her birthday"). At or above the ``crisis`` threshold it is a crisis; between
   ``ask`` and ``crisis`` it is possible, and Tandem asks her directly, with 988 or 911 in the
   same text (asking does not plant the idea). If the semantic reader cannot run, the n-gram
   one decides alone (and it is logged).
3. Her text in passages: a danger told in the middle of a long text about something else
   ("la cita del wic fue bien... pero anoche estuve en el puente pensando en tirarme... a q
   hora abre la clinica?", or one voice-to-text run-on about a ride "and also" bleeding
   through pads) is diluted by the rest, and both readers score the whole text low. When the
   whole text is none, each passage (``passages``) is read alone, and one at or above
   ``sentence`` gets the direct question. A passage alone has lost its context, so the line
   is high: safety/train.py puts it where it raises only a small share (``SENTENCE_SHARE``)
   of held-out writers' everyday texts.
4. The conversation: her last few texts read together. Warning signs spread over several
   messages ("gave my stuff away", "feel calm now that i decided", "thanks for everything")
   can add up to a risk no single one has; then Tandem asks directly, on the turn her text
   raises them to the question's line. Only earlier texts with some risk of their own
   (``history_floor``) are read: a "hi" or a zip code adds nothing, and with them the layer
   would only re-read her new text at a lower threshold.

    judge = SafetyJudge.load()                    # once, at start-up
    j = judge.judge(text, history=earlier_texts)  # per message, never raises
    if j.level == CRISIS: ...                     # j.intent, j.response_language

The bot (``bot/crisis_guard.py``, ``bot/crisis_policy.py``) and the SMS gateway's fallback
(services, when Rasa is down) call the same function, so they never disagree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from safety.crisis import (
    DEFAULT_LEXICON_PATH,
    CrisisLexicon,
    guess_language,
    normalize,
    sentences,
)
from safety.semantic import SemanticModel, blend, companion
from safety.textmodel import TextModel

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = DEFAULT_LEXICON_PATH.parent / "risk_model.json"

CRISIS = "crisis"
ASK = "ask"
NONE = "none"

#: Risk-model class -> crisis intent (and the crisis reply ``utter_<intent>``).
CATEGORY_INTENTS = {
    "overdose": "crisis_overdose",
    "medical": "crisis_medical",
    "violence": "crisis_violence",
    "suicide": "crisis_suicide",
}
INTENT_CATEGORIES = {intent: category for category, intent in CATEGORY_INTENTS.items()}
#: The intent the bot gets when Tandem should ask her directly.
CHECK_INTENT = "crisis_check"
#: Every intent the judgement (and only the judgement) may give a message.
CRISIS_INTENTS = frozenset({*CATEGORY_INTENTS.values(), CHECK_INTENT})
#: The lexicon floor applies only to texts of at least this many words ("kms" is a crisis).
FLOOR_MIN_WORDS = 5
#: ...and of at most this many: about twice the longest text the readers learned from (84
#: words in round 24). In a longer one (a run-on pasted from notes, several texts joined) any
#: phrase is diluted to a low risk the readers never learned to mean "a story", and "blah" x 400
#: then "i want to die" got a question instead of the crisis reply and a staff alert.
FLOOR_MAX_WORDS = 150
#: The passage layer reads a sentence alone only if it has at least this many words: a short
#: one ("need a crib", "5 sticks") says too little to be read without the rest. On
#: safety_AQ..AS, whose writers the round-21 readers had not met, 4 words gave the same two
#: crises as 6 and one more false question.
SENTENCE_MIN_WORDS = 6
#: A sentence longer than this many words (a run-on with no full stop) is read in windows of
#: this many words, each overlapping the next by half. Round 22, on safety_AQ..AU (800
#: everyday texts the readers had not met): windows of 16 words asked about 6 of 11 buried
#: crises at 0.9 with 4 false questions, 12 words 5 with 2 but 19 at 0.6.
WINDOW_WORDS = 16
#: How many of her earlier texts the conversation layer reads with the new one.
HISTORY_TEXTS = 3
#: Words that set what she tells in the past (on the normal form: "3 yrs ago", "in 2021",
#: "when i was 16", "hace 5 anos"). Neither reader understands time, so a lexicon phrase the
#: readers already find unlikely (below ``lexicon_floor``) in a text that tells of the past is
#: read as her story, not asked about. Round 12: on safety_M's first sight it would have spared
#: five of fifteen questions ("3 yrs ago today i od'd ... 2 yrs in recovery"), and on C, F, G
#: and M it turned no crisis into silence.
TOLD_AS_PAST = re.compile(
    r"\b(?:ago|\d+ (?:years?|yrs?|months?)|(?:in|back in) (?:19|20)\d\d|when i was|back when|"
    r"used to|last (?:year|month|summer|winter|spring|fall)|hace (?:\w+ )?(?:anos?|meses?|"
    r"tiempo|mucho)|fue hace|cuando (?:yo )?(?:tenia|era)|en (?:19|20)\d\d|el ano pasado)\b"
)
#: Words that make it a story about someone else's death, a funeral or a screen or page (on the
#: normal form): "my friend died of an od", "her funeral is saturday", "someone overdosed on
#: greys", "vi en las noticias". Read like ``TOLD_AS_PAST``, and only below ``lexicon_floor``.
#: Round 15: on the held-out writers' texts it spared 24 of the lexicon's questions to everyday
#: texts and turned no crisis into silence; her group or meeting is left out on purpose ("in
#: group i said i want to end it" is a disclosure, not a story), and so is a funeral she
#: arranges for herself ("a funeral home that takes masshealth. for me": safety_AF).
TOLD_ABOUT = re.compile(
    r"\b(?:died|dying|passed|passed away|murio|fallecio|se murio) (?:of|from|de|por) "
    r"(?:an? |una? )?(?:overdose|od|sobredosis|suicide|suicidio)\b|"
    r"(?<!\bmy own )\bfuneral\b(?!.{0,60}\bfor (?:me|myself)\b)|\bvelorio\b|\bentierro\b|"
    r"\bcemetery\b|\bcementerio\b|"
    r"\b(?:on|in) (?:the |a |this |that |my )?"
    r"(?:show|movie|news|episode|book|series|documentary|novela|tv|film|podcast)\b|"
    r"\bwatching (?:greys|grey s|a show|a movie|the news|tv|this show|that show|dopesick|"
    r"euphoria|a documentary)\b|"
    r"\b(?:en|vi en) (?:la |las |el |una |un )?"
    r"(?:novela|noticias|tele|television|pelicula|serie|libro|show)\b"
)
#: A question about what calling for help does (on the normal form): "if i call 911 for
#: somebody overdosing will i get in trouble", "si llamo al 911 por alguien con sobredosis me
#: pueden arrestar", "is 988 only for suicide". The overdose or the suicide is in the question,
#: about someone unnamed or none: a lexicon phrase in it is read like ``TOLD_ABOUT`` (below
#: ``lexicon_floor``), and the readers' ask line does not ask it back (``_asks_about_help``).
#: Rounds 24-25: such questions were 1 or 2 of the false questions in each blind set (BD to
#: BL), and the bot answers them (data/knowledge/answers.yml). Calling for a named person ("if
#: i call 911 for my friend") is left out on purpose: it may be happening now.
_CALL_HELP = (
    r"(?:call|calls|calling|llamo|llamas|llama|llamar|llame) (?:the |al |a la )?"
    r"(?:911|988|ems|ambulance|an ambulance|ambulancia|la ambulancia)"
)
_SOMEONE = (
    r"(?:somebody|someone|anyone|a friend|a person|alguien|una persona|un amigo|una amiga|"
    r"an overdose|an od|una sobredosis)"
)
_WHAT_HAPPENS_TO_ME = (
    r"(?=.{0,120}\b(?:trouble|arrest\w*|cops|police|policia|dcf|probation|parole|charged|"
    r"charges|jail|prison|presa|preso|record|law|ley|protect\w*|legal|custody|problemas|"
    r"quitan|quiten|take (?:my|the|her) (?:kids|baby|babies|children))\b)"
)
ASKED_ABOUT_HELP = re.compile(
    # if i call 911 for somebody / por una sobredosis ... trouble?
    r"\b(?:if|si|when|cuando)(?: \w+){0,4} " + _CALL_HELP + r"(?: \w+){0,3} (?:for|por|para|pa) "
    + _SOMEONE + r"\b" + _WHAT_HAPPENS_TO_ME
    # if somebody ods at my house and i call 911 ... trouble?
    + r"|\b(?:if|si) " + _SOMEONE + r"\b(?: \w+){1,6} (?:and|y)(?: i| yo)? " + _CALL_HELP
    + r"\b" + _WHAT_HAPPENS_TO_ME
    # is 988 only for suicide? is 988 the same as 911?
    + r"|\b(?:is|does|can i|can you|do i|should i|what is|whats|que es|es|sirve|puedo)"
    r"(?: call| text| llamar| textear)?(?: al| the)? 988 (?:only|just|solo|nada mas|para|for|"
    r"the same)\b"
)
#: ...unless someone is in danger as she writes ("if i call 911 will they arrest me? hes not
#: breathing") or she tells of thoughts of her own ("is 988 only for suicide? i keep thinking
#: about it"): then the phrase is asked about as before.
DANGER_NOW = re.compile(
    r"\b(?:not breathing|isnt breathing|barely breathing|wont wake|not waking|turning blue|"
    r"no respira|no despierta|hurry|apurate|help me|ayudame|thinking about|thoughts of|"
    r"keep thinking|want to die|kill myself|end it|end my life|hurt myself|a plan|"
    r"pensando en|ganas de morir|matarme|quitarme la vida|hacerme dano)\b"
)
#: ...unless she says it is happening again or just happened ("2 years ago and i just did it
#: again"): then the phrase is asked about as before.
HAPPENING_AGAIN = re.compile(
    r"\b(?:again|just (?:did|took|used|od|odd|overdosed|happened)|right now|tonight|otra vez|"
    r"de nuevo|volvi|ahorita|ahora mismo|anoche)\b"
)

#: A reply that is only yes, no or ok (on the normal form): an answer to what the bot asked,
#: with no warning sign of its own, so the conversation layer does not read it. Round 23's
#: readers put "how long do u have to wait for take homes" just under the question and "yes
#: please" after it over the line; round 22's did the same with "si". A short reply that says
#: something ("its time", "take care", "bye") is still read with her earlier texts.
JUST_AN_ANSWER = re.compile(
    r"(?:(?:yes|yeah|yea|yep|yup|si|sip|sure|ok|okay|k|kk|okey|claro|dale|no|nope|nah|"
    r"please|pls|plz|por favor|porfa|porfavor)\b ?)+"
)


@dataclass(frozen=True)
class Judgement:
    level: str  # CRISIS, ASK or NONE
    category: str | None  # overdose, medical, violence, suicide
    language: str  # "en" or "es": the language to answer in
    source: str  # "lexicon", "model", "sentence", "conversation" or ""
    risk: float  # the model's risk for this text (0..1)

    @property
    def intent(self) -> str | None:
        """``crisis_<category>`` for a crisis, ``crisis_check`` for a question, else None."""
        if self.level == CRISIS and self.category:
            return CATEGORY_INTENTS[self.category]
        return CHECK_INTENT if self.level == ASK else None


NO_RISK = Judgement(NONE, None, "en", "", 0.0)


class SafetyJudge:
    def __init__(
        self, lexicon: CrisisLexicon, model: TextModel, semantic: SemanticModel | None = None
    ) -> None:
        self.lexicon = lexicon
        self.model = model
        self.semantic = semantic
        self.use_thresholds(model.thresholds)

    def use_thresholds(self, thresholds: Mapping[str, float]) -> None:
        self.crisis_at = thresholds["crisis"]
        self.ask_at = thresholds["ask"]
        self.conversation_at = thresholds.get("conversation", self.ask_at)
        self.lexicon_floor = thresholds.get("lexicon_floor", 0.0)
        self.lexicon_ignore = thresholds.get("lexicon_ignore", 0.0)
        self.history_floor = thresholds.get("history_floor", 0.0)
        self.sentence_at = thresholds.get("sentence", 2.0)  # a model without it: never

    @classmethod
    def load(
        cls,
        lexicon_path: Path | str = DEFAULT_LEXICON_PATH,
        model_path: Path | str = DEFAULT_MODEL_PATH,
    ) -> SafetyJudge:
        model = TextModel.load(model_path)
        return cls(CrisisLexicon.load(lexicon_path), model, companion(model.meta, model_path))

    def risk(self, text: str) -> tuple[float, str | None]:
        """(probability the text is a crisis, the likeliest crisis category)."""
        text = self.lexicon.without_idioms(text)
        if not text:
            return 0.0, None
        probs = self.model.probabilities(text)
        category = max(CATEGORY_INTENTS, key=lambda c: probs.get(c, 0.0))
        risk = 1.0 - probs.get("none", 0.0)
        if self.semantic is None:
            return risk, category
        try:
            return blend(risk, self.semantic.probability([text])[0]), category
        except Exception:  # the n-gram reader still decides; never silence the judgement
            logger.exception("The semantic risk reader failed; the n-gram reader decides.")
            return risk, category

    def sentence_risk(self, text: str) -> tuple[float, str | None]:
        """The highest risk of one of her ``passages`` read alone, and that passage's
        category; (0, None) for a text with none."""
        return max((self.risk(part) for part in passages(text)), default=(0.0, None))

    def judge(self, text: str, history: Sequence[str] = ()) -> Judgement:
        """The judgement for ``text``; ``history``: her earlier texts since the last crisis
        reply or question, oldest first (only the last few are read). Never raises: if
        anything fails the lexicon alone decides."""
        try:
            return self._judge(text, history)
        except Exception:  # a bug here must never silence the lexicon
            hit = self.lexicon.match(text)
            if hit is None:
                return NO_RISK
            return Judgement(CRISIS, INTENT_CATEGORIES.get(hit.intent), hit.language, "lexicon", 1)

    def _judge(self, text: str, history: Sequence[str]) -> Judgement:
        words = normalize(text)
        if not words:
            return NO_RISK
        risk, category = self.risk(text)
        hit = self.lexicon.match(text)
        level, source = self.alone(risk, hit is not None, words)
        if source == "lexicon" and hit is not None:
            lexicon_category = INTENT_CATEGORIES.get(hit.intent, category)
            if lexicon_category == "overdose" and category == "medical":
                # The lexicon files medical emergencies under overdose (both start with
                # 911); the model tells a bleeding mother or a baby's fever apart.
                lexicon_category = "medical"
            return Judgement(level, lexicon_category, hit.language, "lexicon", risk)
        language = guess_language(text)
        if level != NONE:
            return Judgement(level, category, language, source, risk)
        if self.sentence_at <= 1.0:
            top, top_category = self.sentence_risk(text)
            if top >= self.sentence_at:
                return Judgement(ASK, top_category, language, "sentence", risk)
        if JUST_AN_ANSWER.fullmatch(words):
            return Judgement(NONE, None, language, "", risk)  # "yes please" adds no sign
        recent = [
            t
            for t in list(history)[-HISTORY_TEXTS:]
            if normalize(t) and self.risk(t)[0] >= self.history_floor
        ]
        if recent:
            # Read together they must reach the line a single text needs for a question (and
            # the one 2% of everyday conversations reach), and her new text must raise them:
            # "yes please" after "how long before u get take homes" adds nothing (round 19).
            # Round 20's readers put the conversation line at 0.07, under many single texts
            # judged none on their own turns; a rule of crossing only that line then never
            # asked about "dropped off the dog for good", "feeling weirdly calm", "thanks for
            # everything". This one asked there, and on 600 random sequences of five held-out
            # everyday texts it asked on 0.3% of turns (the crossing rule: 1.4%).
            together, together_category = self.risk(" ".join([*recent, text]))
            line = max(self.conversation_at, self.ask_at)
            if together >= line and together > self.risk(" ".join(recent))[0]:
                return Judgement(ASK, together_category, language, "conversation", risk)
        return Judgement(NONE, None, language, "", risk)

    def alone(self, risk: float, phrase: bool, words: str) -> tuple[str, str]:
        """(level, source) of one text read by itself, from its risk, whether a lexicon
        phrase matched it and its normal form. safety/train.py chooses the thresholds by
        what this does with texts of writers the readers never met."""
        # Only a text with words around the phrase can be read as past, learning or TV.
        context = FLOOR_MIN_WORDS <= len(words.split()) <= FLOOR_MAX_WORDS
        in_context = context and (
            risk < self.lexicon_ignore or (risk < self.lexicon_floor and _told(words))
        )
        if phrase and not in_context:
            # A phrase that is nearly always a crisis, in a text the model finds very unlikely
            # to be one (a past overdose, a TV show): ask rather than alarm.
            return (ASK if context and risk < self.lexicon_floor else CRISIS), "lexicon"
        if risk >= self.crisis_at:
            return CRISIS, "model"
        if risk >= self.ask_at and not _asks_about_help(words):
            return ASK, "model"
        return NONE, ""


def passages(text: str) -> list[str]:
    """What the passage layer reads alone: in a text of two sentences or more, each of
    SENTENCE_MIN_WORDS words or more; and any sentence longer than WINDOW_WORDS (a run-on,
    even a text of one sentence) in overlapping windows of that many words."""
    parts = sentences(text)
    found = []
    for part in parts:
        words = part.split()
        if len(words) > WINDOW_WORDS:
            step = WINDOW_WORDS // 2
            found += [
                " ".join(words[i : i + WINDOW_WORDS]) for i in range(0, len(words) - step, step)
            ]
        elif len(parts) > 1 and len(normalize(part).split()) >= SENTENCE_MIN_WORDS:
            found.append(part)
    return found


def _asks_about_help(words: str) -> bool:
    """A question about what calling 911 or 988 does, with nobody in danger as she writes
    (``ASKED_ABOUT_HELP``): not asked about unless the readers find a crisis. Round 25: over
    26,000 stored texts, 26 ask such a question, every one of them an everyday text."""
    return ASKED_ABOUT_HELP.search(words) is not None and _nothing_happening(words)


def _nothing_happening(words: str) -> bool:
    """Nobody in danger as she writes, and nothing happening again (``DANGER_NOW``,
    ``HAPPENING_AGAIN``)."""
    return DANGER_NOW.search(words) is None and HAPPENING_AGAIN.search(words) is None


def _told(words: str) -> bool:
    """Her story (the past, someone else's death, a show) or a question about calling for
    help, not something happening now."""
    if ASKED_ABOUT_HELP.search(words):
        return _nothing_happening(words)  # with danger now, never excused as a story
    told = TOLD_AS_PAST.search(words) or TOLD_ABOUT.search(words)
    return told is not None and HAPPENING_AGAIN.search(words) is None


@cache
def default_judge() -> SafetyJudge:
    """The judgement from the repository's data files, loaded once per process."""
    return SafetyJudge.load()
