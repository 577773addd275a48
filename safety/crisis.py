"""The one crisis matcher for Tandem.

Both runtimes import this module: the Rasa bot (``bot/crisis_guard.py``, Python 3.10)
and the internet-facing services (the SMS gateway answers crisis messages itself when
Rasa is down, Python 3.11+). There must never be a second implementation that could
disagree about whether a message is a crisis, so keep this file dependency-free
(stdlib + PyYAML) and compatible with Python 3.10.

The lexicon lives in ``data/safety/crisis_lexicon.yml``: per category (overdose,
violence, suicide) a Rasa intent, its response, a priority and English/Spanish regular
expressions written against :func:`normalize`'d text. See the comments in that file.

Typical use::

    lexicon = CrisisLexicon.load()          # once, at start-up
    hit = lexicon.match(sms_text)           # per message, never raises
    if hit is not None:
        reply_with(hit.response, hit.language)
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEFAULT_LEXICON_PATH",
    "LANGUAGES",
    "CrisisLexicon",
    "CrisisMatch",
    "guess_language",
    "normalize",
]

#: ``<repo>/data/safety/crisis_lexicon.yml``, found from this file (``<repo>/safety/``),
#: so it does not depend on the working directory.
DEFAULT_LEXICON_PATH: Path = (
    Path(__file__).resolve().parent.parent / "data" / "safety" / "crisis_lexicon.yml"
)

#: Languages a lexicon may hold patterns for.
LANGUAGES: tuple[str, ...] = ("en", "es")

SUPPORTED_VERSION = 1

# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------

# Apostrophe look-alikes phones and keyboards produce: curly quotes, modifier letters,
# backtick, acute accent, prime, fullwidth apostrophe. All become "'" and are then dropped.
_APOSTROPHES = "'\u2019\u2018\u201b\u02bc\u02bb\u0060\u00b4\u2032\uff07"
_APOSTROPHE_TABLE = {ord(ch): "'" for ch in _APOSTROPHES}

# A letter repeated 3+ times ("pleeeease", "noooo") is cut to 2 ("pleease", "noo").
# Patterns allow a doubled letter where stretching is common ("die+").
_REPEATED_LETTER = re.compile(r"([^\W\d_])\1{2,}")
# Everything that is not a letter or digit (punctuation, emoji, "_", whitespace,
# control characters) separates words.
_NON_WORD = re.compile(r"[\W_]+")

#: SMS shorthand and frequent typos, expanded token by token (after lowercasing,
#: accent stripping and apostrophe removal), so that patterns only need the long form.
#: Only tokens that are unambiguous in BOTH English and Spanish are here: "ya" (Spanish
#: "already"), "k" (English "ok"), "2" ("to" or two pills), "nd" (Spanish "nada") are
#: deliberately left alone and patterns allow them where it matters ("{{to}}").
#: Contractions stay contracted: "cant", "dont", "wont", "im", "hes" are what patterns
#: use ("cannot" -> "cant" so there is one spelling).
SHORTHAND: dict[str, str] = {
    # English
    "u": "you",
    "yu": "you",
    "ur": "your",
    "r": "are",
    "n": "and",
    "rn": "right now",
    "wanna": "want to",
    "wana": "want to",
    "wannaa": "want to",
    "wnna": "want to",
    "wann": "want to",
    "gonna": "going to",
    "gona": "going to",
    "gunna": "going to",
    "gonnaa": "going to",
    "gotta": "got to",
    "tryna": "trying to",
    "finna": "going to",
    "boutta": "about to",
    "bout": "about",
    "imma": "im going to",
    "ima": "im going to",
    "iam": "i am",
    "idk": "i dont know",
    "idc": "i dont care",
    "dunno": "dont know",
    "cannot": "cant",
    "dnt": "dont",
    "wnat": "want",
    "wamt": "want",
    "waant": "want",
    "pls": "please",
    "plz": "please",
    "plez": "please",
    "plss": "please",
    "ppl": "people",
    "bc": "because",
    "bcuz": "because",
    "bcoz": "because",
    "bcs": "because",
    "cuz": "because",
    "coz": "because",
    "cus": "because",
    "bf": "boyfriend",
    "hubby": "husband",
    "hubs": "husband",
    "myslef": "myself",
    "mysef": "myself",
    "myseld": "myself",
    "mysel": "myself",
    "myslf": "myself",
    "mself": "myself",
    "kil": "kill",
    "kll": "kill",
    "thru": "through",
    "abt": "about",
    "sum1": "someone",
    "some1": "someone",
    "any1": "anyone",
    "no1": "no one",
    "noone": "no one",
    "every1": "everyone",
    "evry1": "everyone",
    "evryone": "everyone",
    "anymor": "anymore",
    "anymre": "anymore",
    "nomore": "no more",
    "b4": "before",
    "lil": "little",
    "bby": "baby",
    # Spanish
    "q": "que",
    "ke": "que",
    "qe": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "xk": "porque",
    "pk": "porque",
    "porke": "porque",
    "xke": "porque",
    "kiero": "quiero",
    "qiero": "quiero",
    "quero": "quiero",
    "qero": "quiero",
    "kisiera": "quisiera",
    "stoy": "estoy",
    "sta": "esta",
    "tmb": "tambien",
    "tb": "tambien",
    "xfa": "por favor",
    "porfa": "por favor",
}


#: Where one sentence of a text message ends: . ! ? ; or a line break, before a space or the end
#: ("3.5 mg" and "8:30" stay whole).
SENTENCE_END = re.compile(r"[.!?;\n]+(?:\s|$)")


def sentences(text: str) -> list[str]:
    """The sentences of a message as she wrote them, trimmed; those with no words left out."""
    return [s.strip() for s in SENTENCE_END.split(text or "") if normalize(s)]


def normalize(text: str) -> str:
    """Return the form of ``text`` that lexicon patterns are written against.

    Steps, in order (each chosen for SMS as women actually type it):

    1. map apostrophe look-alikes (curly quotes, backtick, acute accent, ...) to ``'``;
    2. lowercase;
    3. Unicode NFKD and drop combining marks: accents go (``"más"`` -> ``"mas"``,
       ``"él"`` -> ``"el"``, ``"ñ"`` -> ``"n"``), fullwidth/ligature/"fancy font" letters
       become plain ones (lowercased again);
    4. drop apostrophes, joining the word: ``"i'm"`` -> ``"im"``, ``"won't"`` -> ``"wont"``,
       ``"he'll"`` -> ``"hell"``, ``"od'd"`` -> ``"odd"`` (patterns know these forms);
    5. cut a letter repeated 3+ times to 2: ``"pleeeease"`` -> ``"pleease"``;
    6. turn every run of non letters/digits (punctuation, emoji, control characters,
       whitespace) into one space, and trim;
    7. expand SMS shorthand per word with :data:`SHORTHAND` (``"u"`` -> ``"you"``,
       ``"rn"`` -> ``"right now"``, ``"wanna"`` -> ``"want to"``, ...).

    Never raises for a ``str``; ``None`` gives ``""``.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text.translate(_APOSTROPHE_TABLE).lower()
    if not text.isascii():  # most SMS are ASCII: skip the slow path for them
        for _ in range(3):  # lower() after NFKD can expose more ("\U0001d56c" -> "A" -> "a")
            before = text
            text = unicodedata.normalize("NFKD", text)
            text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
            if text == before:
                break
    text = text.replace("'", "")
    text = _REPEATED_LETTER.sub(r"\1\1", text)
    words = _NON_WORD.sub(" ", text).split()
    return " ".join(SHORTHAND.get(word, word) for word in words)


def _crude_normalize(text: Any) -> str:
    """Last-resort normalisation if :func:`normalize` ever failed: still match something."""
    try:
        return " ".join(_NON_WORD.sub(" ", str(text).lower()).split())
    except Exception:  # pragma: no cover - str() of a str cannot really fail
        return ""


# --------------------------------------------------------------------------------------
# Lexicon
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrisisMatch:
    """A message matched a crisis category."""

    intent: str  # e.g. "crisis_overdose"
    response: str  # e.g. "utter_crisis_overdose"
    language: str  # "en" or "es": the language of the pattern that matched
    priority: int  # 1 is the most urgent


@dataclass(frozen=True)
class _Category:
    intent: str
    response: str
    priority: int
    description: str
    patterns: dict[str, tuple[str, ...]]  # as written in the file (macros unexpanded)
    combined: dict[str, re.Pattern[str]]  # one alternation per language
    compiled: dict[str, tuple[tuple[str, re.Pattern[str]], ...]]  # each pattern alone


# Every pattern is tried only where a word starts (start of text or after a space): in
# normalised text that is where every pattern begins anyway, and it makes the search
# several times faster than letting the regex engine try each alternative at every
# character. So a pattern cannot match from the middle of a word.
_WORD_START = "(?<![^ ])"

_MACRO_REF = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_MACRO_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_INTENT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ESCAPE = re.compile(r"\\.", re.DOTALL)

# Function words used only to break a tie when a category matched in both languages.
_ES_HINTS = frozenset(
    "que el la de los las del y por para con esta estoy ya lo se una un quiero tengo muy "
    "pero porque mas mi mis su sus le nos es son fue como donde cuando ayuda".split()
)
_EN_HINTS = frozenset(
    "the i im to and you my is it he she a of in not dont want going this that with your "
    "hes shes cant please help was are have just".split()
)


def _check_pattern_text(where: str, pattern: str) -> None:
    """Reject patterns that can never match normalised text, or break when combined."""
    bare = _ESCAPE.sub("", pattern)
    if "'" in bare or "\u2019" in bare:
        raise ValueError(
            f"{where}: pattern {pattern!r} contains an apostrophe; normalised text has none "
            '(write "im", "wont", "hes")'
        )
    if any("A" <= ch <= "Z" for ch in bare):
        raise ValueError(
            f"{where}: pattern {pattern!r} contains an uppercase letter; normalised text "
            "is lowercase"
        )
    if any(ord(ch) > 127 for ch in bare):
        raise ValueError(
            f"{where}: pattern {pattern!r} contains a non-ASCII character; normalised text "
            'has no accents (write "mas", "el", "respiro")'
        )
    if "(?P" in pattern or re.search(r"\\[1-9]", pattern):
        raise ValueError(
            f"{where}: pattern {pattern!r} uses a named group or a backreference; "
            "patterns are combined into one alternation, so use plain (?:...) groups"
        )


def _compile(
    where: str, pattern: str, *, anchored: bool = False, assertion_ok: bool = False
) -> re.Pattern[str]:
    """Compile and validate ``pattern``; ``anchored``: return it tried at word starts only.

    ``assertion_ok`` is for macros: one may be a pure look-around (it matches the empty
    string), since every pattern that uses it is checked on its own.
    """
    with warnings.catch_warnings():
        # Python 3.10 only warns about e.g. a global flag in the middle of a pattern,
        # 3.11 raises: make both raise, so a lexicon is valid on both or on neither.
        warnings.simplefilter("error")
        try:
            compiled = re.compile(pattern)
        except (re.error, Warning, RecursionError, OverflowError) as exc:
            raise ValueError(f"{where}: invalid regular expression {pattern!r}: {exc}") from exc
    if compiled.flags & ~re.UNICODE:
        raise ValueError(
            f"{where}: pattern {pattern!r} sets inline flags; text is already normalised, "
            "flags are not allowed"
        )
    if not assertion_ok and compiled.search("") is not None:
        raise ValueError(
            f"{where}: pattern {pattern!r} matches the empty string, so it would match "
            "every message"
        )
    if anchored:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                compiled = re.compile(f"{_WORD_START}(?:{pattern})")
            except (re.error, Warning, RecursionError, OverflowError) as exc:
                raise ValueError(f"{where}: invalid regular expression {pattern!r}: {exc}") from exc
    return compiled


def _expand_macros(where: str, pattern: str, macros: Mapping[str, str]) -> str:
    def replace(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in macros:
            raise ValueError(f"{where}: unknown macro {{{{{name}}}}} in pattern {pattern!r}")
        return f"(?:{macros[name]})"

    return _MACRO_REF.sub(replace, pattern)


def _pattern_list(data: Mapping[str, Any], key: str, macros: Mapping[str, str]) -> list[str]:
    """The validated list of regular expressions under ``key`` (idioms, exclusions)."""
    raw = data.get(key) or []
    if not isinstance(raw, list):
        raise ValueError(f"{key} must be a list of regular expressions")
    for i, pattern in enumerate(raw):
        where = f"{key}[{i}]"
        _require_str(where, pattern)
        expanded = _expand_macros(where, pattern, macros)
        _check_pattern_text(where, expanded)
        _compile(where, expanded)
    return list(raw)


def _either(where: str, patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One anchored pattern matching any of ``patterns`` (None for none)."""
    if not patterns:
        return None
    return _compile(where, "|".join(f"(?:{p})" for p in patterns), anchored=True)


def _require_str(where: str, value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ValueError(f"{where}: expected a non-empty string, got {value!r}")
    return value


class CrisisLexicon:
    """A validated, compiled crisis lexicon. Immutable once built; thread-safe."""

    def __init__(
        self,
        categories: Sequence[_Category],
        exclusions: Sequence[str],
        macros: Mapping[str, str],
        version: int = SUPPORTED_VERSION,
        idioms: Sequence[str] = (),
    ) -> None:
        # Use load() / from_dict(); this constructor trusts its (already validated) input.
        self._categories: tuple[_Category, ...] = tuple(
            sorted(categories, key=lambda c: c.priority)
        )
        self._exclusion_patterns: tuple[str, ...] = tuple(exclusions)
        self._idiom_patterns: tuple[str, ...] = tuple(idioms)
        self._macros: dict[str, str] = dict(macros)
        self._version = version
        macros_ = self._expanded_macros()
        idioms_ = [_expand_macros(f"idioms[{i}]", p, macros_) for i, p in enumerate(idioms)]
        expanded = idioms_ + [
            _expand_macros(f"exclusions[{i}]", p, macros_)
            for i, p in enumerate(self._exclusion_patterns)
        ]
        # Idioms are blanked out for the lexicon like every exclusion, and for the readers too.
        self._exclusion_re = _either("exclusions", expanded)
        self._idiom_re = _either("idioms", idioms_)

    # ---- construction -------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | str = DEFAULT_LEXICON_PATH) -> CrisisLexicon:
        """Read and validate a lexicon file.

        Raises ``FileNotFoundError`` if the file is missing and ``ValueError`` (naming the
        file and the faulty entry) if it is not valid YAML or not a valid lexicon.
        """
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not UTF-8 text: {exc}") from exc
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: not valid YAML: {exc}") from exc
        try:
            return cls.from_dict(data)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc

    @classmethod
    def from_dict(cls, data: Any) -> CrisisLexicon:
        """Build a lexicon from the structure of the YAML file (or :meth:`to_dict`)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"crisis lexicon must be a mapping, got {type(data).__name__}")
        unknown = set(data) - {"version", "macros", "idioms", "exclusions", "categories"}
        if unknown:
            raise ValueError(f"unknown top-level keys: {sorted(map(str, unknown))}")
        version = data.get("version")
        if version != SUPPORTED_VERSION or isinstance(version, bool):
            raise ValueError(f"version must be {SUPPORTED_VERSION}, got {version!r}")

        macros_raw = data.get("macros") or {}
        if not isinstance(macros_raw, Mapping):
            raise ValueError("macros must be a mapping of name -> regular expression")
        macros: dict[str, str] = {}
        expanded_macros: dict[str, str] = {}
        for name, value in macros_raw.items():
            if not isinstance(name, str) or not _MACRO_NAME.match(name):
                raise ValueError(f"macro name {name!r} must match [a-z_][a-z0-9_]*")
            where = f"macros.{name}"
            _require_str(where, value)
            # A macro may use macros defined before it.
            expanded = _expand_macros(where, value, expanded_macros)
            _check_pattern_text(where, expanded)
            _compile(where, expanded, assertion_ok=True)
            macros[name] = value
            expanded_macros[name] = expanded

        idioms = _pattern_list(data, "idioms", expanded_macros)
        exclusions = _pattern_list(data, "exclusions", expanded_macros)

        categories_raw = data.get("categories")
        if not isinstance(categories_raw, list) or not categories_raw:
            raise ValueError("categories must be a non-empty list")
        categories: list[_Category] = []
        seen_intents: set = set()
        seen_priorities: set = set()
        for ci, cat in enumerate(categories_raw):
            where = f"categories[{ci}]"
            if not isinstance(cat, Mapping):
                raise ValueError(f"{where}: expected a mapping, got {cat!r}")
            unknown = set(cat) - {"intent", "response", "priority", "description", "patterns"}
            if unknown:
                raise ValueError(f"{where}: unknown keys {sorted(map(str, unknown))}")
            intent = _require_str(f"{where}.intent", cat.get("intent"))
            if not _INTENT_NAME.match(intent):
                raise ValueError(f"{where}.intent: {intent!r} is not a valid intent name")
            where = f"category {intent}"
            response = _require_str(f"{where}.response", cat.get("response"))
            priority = cat.get("priority")
            if not isinstance(priority, int) or isinstance(priority, bool):
                raise ValueError(f"{where}.priority: expected an integer, got {priority!r}")
            description = cat.get("description") or ""
            _require_str(f"{where}.description", description, allow_empty=True)
            if intent in seen_intents:
                raise ValueError(f"{where}: duplicate intent")
            if priority in seen_priorities:
                raise ValueError(f"{where}: duplicate priority {priority}")
            seen_intents.add(intent)
            seen_priorities.add(priority)

            patterns_raw = cat.get("patterns")
            if not isinstance(patterns_raw, Mapping) or not patterns_raw:
                raise ValueError(f"{where}.patterns: expected a mapping of language -> list")
            patterns: dict[str, tuple[str, ...]] = {}
            combined: dict[str, re.Pattern[str]] = {}
            compiled: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {}
            for lang, plist in patterns_raw.items():
                if lang not in LANGUAGES:
                    raise ValueError(
                        f"{where}.patterns: unknown language {lang!r} (expected one of "
                        f"{', '.join(LANGUAGES)})"
                    )
                if plist is None:
                    plist = []
                if not isinstance(plist, list):
                    raise ValueError(f"{where}.patterns.{lang}: expected a list")
                written: list[str] = []
                expanded_list: list[str] = []
                singles: list[tuple[str, re.Pattern[str]]] = []
                for pi, pattern in enumerate(plist):
                    pwhere = f"{where}.patterns.{lang}[{pi}]"
                    _require_str(pwhere, pattern)
                    expanded = _expand_macros(pwhere, pattern, expanded_macros)
                    _check_pattern_text(pwhere, expanded)
                    singles.append((pattern, _compile(pwhere, expanded, anchored=True)))
                    written.append(pattern)
                    expanded_list.append(expanded)
                if not written:
                    continue
                patterns[lang] = tuple(written)
                compiled[lang] = tuple(singles)
                combined[lang] = _compile(
                    f"{where}.patterns.{lang}",
                    "|".join(f"(?:{e})" for e in expanded_list),
                    anchored=True,
                )
            if not patterns:
                raise ValueError(f"{where}: has no patterns")
            categories.append(
                _Category(
                    intent=intent,
                    response=response,
                    priority=priority,
                    description=description,
                    patterns=patterns,
                    combined=combined,
                    compiled=compiled,
                )
            )
        return cls(categories, exclusions, macros, version, idioms)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (YAML/JSON-safe) that :meth:`from_dict` turns back into this lexicon."""
        data: dict[str, Any] = {"version": self._version}
        if self._macros:
            data["macros"] = dict(self._macros)
        if self._idiom_patterns:
            data["idioms"] = list(self._idiom_patterns)
        data["exclusions"] = list(self._exclusion_patterns)
        data["categories"] = [
            {
                "intent": c.intent,
                "response": c.response,
                "priority": c.priority,
                "description": c.description,
                "patterns": {lang: list(ps) for lang, ps in c.patterns.items()},
            }
            for c in self._categories
        ]
        return data

    # ---- matching ----------------------------------------------------------------

    @property
    def intents(self) -> list[str]:
        """Crisis intents, most urgent first."""
        return [c.intent for c in self._categories]

    def prepare(self, text: str) -> str:
        """The text patterns are searched in: normalised, with exclusions blanked out."""
        try:
            norm = normalize(text)
        except Exception:  # never let a crisis go unseen because of a normaliser bug
            norm = _crude_normalize(text)
        if self._exclusion_re is not None and norm:
            # Blank an idiom out with a placeholder word, so words on either side of
            # it do not become neighbours.
            norm = self._exclusion_re.sub(" _ ", norm)
            norm = " ".join(norm.split())
        return norm

    def without_idioms(self, text: str) -> str:
        """``text`` for the risk readers: if it holds an idiom ("i'm dying to see my baby"),
        its normal form with the idiom taken out (the readers learned the words, not the
        idiom); otherwise the text as she wrote it."""
        if self._idiom_re is None:
            return text
        norm = normalize(text)
        if not self._idiom_re.search(norm):
            return text
        return " ".join(self._idiom_re.sub(" ", norm).split())

    def match(self, text: str) -> CrisisMatch | None:
        """The most urgent (lowest priority number) category ``text`` matches, or None."""
        prepared = self.prepare(text)
        if not prepared:
            return None
        for category in self._categories:
            hit = self._match_category(category, prepared)
            if hit is not None:
                return hit
        return None

    def matches(self, text: str) -> list[CrisisMatch]:
        """Every category ``text`` matches, most urgent first."""
        prepared = self.prepare(text)
        if not prepared:
            return []
        found = []
        for category in self._categories:
            hit = self._match_category(category, prepared)
            if hit is not None:
                found.append(hit)
        return found

    def explain(self, text: str) -> list[tuple[str, str, str]]:
        """(intent, language, pattern as written) for every pattern that matches.

        For tests, debugging and tuning the lexicon; slower than :meth:`match`.
        """
        prepared = self.prepare(text)
        out = []
        for category in self._categories:
            for lang, singles in category.compiled.items():
                for written, compiled in singles:
                    if compiled.search(prepared):
                        out.append((category.intent, lang, written))
        return out

    def _match_category(self, category: _Category, prepared: str) -> CrisisMatch | None:
        langs = [lang for lang, rx in category.combined.items() if rx.search(prepared)]
        if not langs:
            return None
        language = langs[0] if len(langs) == 1 else _guess_language(prepared, langs)
        return CrisisMatch(
            intent=category.intent,
            response=category.response,
            language=language,
            priority=category.priority,
        )

    def _expanded_macros(self) -> dict[str, str]:
        expanded: dict[str, str] = {}
        for name, value in self._macros.items():
            expanded[name] = _expand_macros(f"macros.{name}", value, expanded)
        return expanded

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{c.intent}={sum(len(p) for p in c.patterns.values())}" for c in self._categories
        )
        return f"<CrisisLexicon {counts}, exclusions={len(self._exclusion_patterns)}>"


def guess_language(text: str, default: str = "en") -> str:
    """ "es" when a text has more Spanish than English function words, "en" when it has more
    English ones, else ``default`` (her saved language, for "STOP" or "ok")."""
    words = normalize(text).split()
    es = sum(1 for w in words if w in _ES_HINTS)
    en = sum(1 for w in words if w in _EN_HINTS)
    return "es" if es > en else "en" if en > es else default


def _guess_language(prepared: str, candidates: Sequence[str]) -> str:
    """Pick between languages whose patterns both matched, by counting function words."""
    words = prepared.split()
    es = sum(1 for w in words if w in _ES_HINTS)
    en = sum(1 for w in words if w in _EN_HINTS)
    preferred = "es" if es > en else "en"
    return preferred if preferred in candidates else candidates[0]
