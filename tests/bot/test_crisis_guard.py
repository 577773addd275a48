"""Tests for bot/crisis_guard.py (runs in the bot runtime: .venv-bot, Python 3.10).

.venv-bot/bin/python -m pytest tests/bot/test_crisis_guard.py
"""

from __future__ import annotations

import copy
import sys
import uuid
import warnings
from pathlib import Path

import pytest
import yaml

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:  # so the tests also run without `python -m` / a conftest
    sys.path.insert(0, str(_REPO))

pytest.importorskip("rasa", reason="the crisis guard tests run in the bot venv (.venv-bot)")

with warnings.catch_warnings():  # Rasa 3.6 and its pins warn a lot on import
    warnings.simplefilter("ignore")
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.crisis_guard import (
        CRISIS_KEY,
        LEXICON_PATH_KEY,
        PERSISTED_FILE_NAME,
        CrisisGuard,
        resolve_lexicon_path,
    )
    from safety.crisis import DEFAULT_LEXICON_PATH, CrisisLexicon


@pytest.fixture
def model_storage(tmp_path: Path) -> LocalModelStorage:
    path = tmp_path / "model_storage"
    path.mkdir()
    return LocalModelStorage.create(path)


@pytest.fixture
def resource() -> Resource:
    return Resource("train_CrisisGuard0")


@pytest.fixture
def execution_context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), uuid.uuid4().hex)


def _config(**overrides):
    return {**CrisisGuard.get_default_config(), **overrides}


def _trained(model_storage, resource, execution_context, **config) -> CrisisGuard:
    component = CrisisGuard.create(_config(**config), model_storage, resource, execution_context)
    assert component.train(TrainingData()) == resource
    return CrisisGuard.load(_config(**config), model_storage, resource, execution_context)


def _message(text: str, intent: str = "greet", confidence: float = 0.9) -> Message:
    return Message(
        data={
            TEXT: text,
            INTENT: {"name": intent, "confidence": confidence},
            INTENT_RANKING_KEY: [
                {"name": intent, "confidence": confidence},
                {"name": "crisis_suicide", "confidence": 0.05},
                {"name": "goodbye", "confidence": 0.05},
            ],
        }
    )


@pytest.fixture
def guard(model_storage, resource, execution_context) -> CrisisGuard:
    return _trained(model_storage, resource, execution_context)


def test_default_config_points_at_the_lexicon():
    config = CrisisGuard.get_default_config()
    assert config == {LEXICON_PATH_KEY: "data/safety/crisis_lexicon.yml"}
    assert resolve_lexicon_path(config[LEXICON_PATH_KEY]).resolve() == DEFAULT_LEXICON_PATH


def test_crisis_overrides_the_classifier(guard):
    message = _message("i want to die")
    [out] = guard.process([message])
    assert out is message
    assert out.get(INTENT) == {"name": "crisis_suicide", "confidence": 1.0}
    ranking = out.get(INTENT_RANKING_KEY)
    assert ranking[0] == {"name": "crisis_suicide", "confidence": 1.0}
    assert [r["name"] for r in ranking] == ["crisis_suicide", "greet", "goodbye"]
    assert _crisis(out) == {"intent": "crisis_suicide", "language": "en", "level": "crisis"}
    for key in (INTENT, INTENT_RANKING_KEY, CRISIS_KEY):
        assert key in out.output_properties


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("he's nodding out and won't wake up", "crisis_overdose", "en"),
        ("HE HIT ME", "crisis_violence", "en"),
        ("kms", "crisis_suicide", "en"),
        ("no respira!!", "crisis_overdose", "es"),
        ("me va a matar", "crisis_violence", "es"),
        ("ya no puedo más", "crisis_suicide", "es"),
        ("i took too many pills and want to die", "crisis_overdose", "en"),
    ],
)
def test_each_crisis_category(guard, text, intent, language):
    [out] = guard.process([_message(text, intent="nlu_fallback", confidence=0.3)])
    assert out.get(INTENT) == {"name": intent, "confidence": 1.0}
    assert _crisis(out) == {"intent": intent, "language": language, "level": "crisis"}


@pytest.mark.parametrize(
    "text", ["hi there", "i'm dying to see my baby", "i need subs", "my phone died", ""]
)
def test_ordinary_message_is_untouched(guard, text):
    message = _message(text)
    before = copy.deepcopy(message.data)
    outputs_before = set(message.output_properties)
    [out] = guard.process([message])
    assert out.data == before
    assert out.get(INTENT) == {"name": "greet", "confidence": 0.9}
    assert CRISIS_KEY not in out.data
    assert out.output_properties == outputs_before


def _crisis(message: Message) -> dict:
    found = message.get(CRISIS_KEY) or {}
    return {key: found.get(key) for key in ("intent", "language", "level")}


def test_a_possible_crisis_is_asked_about(guard):
    text = "i get these dark thoughts sometimes at night"
    [out] = guard.process([_message(text, intent="nlu_fallback", confidence=0.3)])
    assert out.get(INTENT) == {"name": "crisis_check", "confidence": 1.0}
    assert _crisis(out) == {"intent": "crisis_check", "language": "en", "level": "ask"}
    [entity] = [e for e in out.get("entities") if e["entity"] == "crisis_category"]
    assert entity["value"] == "suicide"


def test_diet_alone_never_decides_a_crisis(guard):
    # DIET guessed a crisis intent; the judgement says this is an everyday text.
    message = _message("dying to see my daughter this weekend", intent="crisis_suicide")
    [out] = guard.process([message])
    assert out.get(INTENT)["name"] != "crisis_suicide"
    assert all(not r["name"].startswith("crisis_") for r in out.get(INTENT_RANKING_KEY))
    assert CRISIS_KEY not in out.data


def test_batch_of_messages(guard):
    texts = ["hello", "he's choking me", "what time is group", "quiero morirme"]
    out = guard.process([_message(t) for t in texts])
    assert [m.get(INTENT)["name"] for m in out] == [
        "greet",
        "crisis_violence",
        "greet",
        "crisis_suicide",
    ]


def test_message_without_a_prediction(guard):
    # Even with no classifier output (or a message with no text) nothing breaks.
    bare = Message(data={TEXT: "i want to kill myself"})
    no_text = Message(data={"intent": {"name": "greet", "confidence": 1.0}})
    out = guard.process([bare, no_text])
    assert out[0].get(INTENT) == {"name": "crisis_suicide", "confidence": 1.0}
    assert out[0].get(INTENT_RANKING_KEY) == [{"name": "crisis_suicide", "confidence": 1.0}]
    assert out[1].get(INTENT) == {"name": "greet", "confidence": 1.0}


def test_training_persists_the_lexicon(model_storage, resource, execution_context):
    component = CrisisGuard.create(_config(), model_storage, resource, execution_context)
    component.train(TrainingData())
    with model_storage.read_from(resource) as model_dir:
        stored = (model_dir / PERSISTED_FILE_NAME).read_text(encoding="utf-8")
    import json

    assert json.loads(stored) == CrisisLexicon.load().to_dict()


def test_training_data_is_returned_unchanged(guard):
    data = TrainingData([Message(data={TEXT: "i want to die", INTENT: "greet"})])
    assert guard.process_training_data(data) is data


def _write_lexicon(path: Path, en_pattern: str) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "categories": [
                    {
                        "intent": "crisis_suicide",
                        "response": "utter_crisis_suicide",
                        "priority": 3,
                        "patterns": {"en": [en_pattern]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )


def test_model_keeps_the_lexicon_it_was_trained_with(
    tmp_path, model_storage, resource, execution_context
):
    lexicon_file = tmp_path / "lexicon.yml"
    _write_lexicon(lexicon_file, r"\bbanana\b")
    config = _config(**{LEXICON_PATH_KEY: str(lexicon_file)})
    CrisisGuard.create(config, model_storage, resource, execution_context).train(TrainingData())
    # The file changes (or disappears) after training: the model does not.
    lexicon_file.unlink()
    loaded = CrisisGuard.load(config, model_storage, resource, execution_context)
    [out] = loaded.process([_message("banana")])
    # A lexicon hit the risk model finds very unlikely is asked about, not ignored.
    assert out.get(INTENT)["name"] in ("crisis_suicide", "crisis_check")
    [out] = loaded.process([_message("hello there")])
    assert out.get(INTENT)["name"] == "greet"


def test_load_without_a_trained_resource_reads_the_file(tmp_path, model_storage, execution_context):
    lexicon_file = tmp_path / "lexicon.yml"
    _write_lexicon(lexicon_file, r"\bapple\b")
    config = _config(**{LEXICON_PATH_KEY: str(lexicon_file)})
    loaded = CrisisGuard.load(config, model_storage, Resource("never_trained"), execution_context)
    [out] = loaded.process([_message("an apple a day")])
    assert out.get(INTENT)["name"] == "crisis_suicide"


def test_invalid_lexicon_fails_training(tmp_path, model_storage, resource, execution_context):
    lexicon_file = tmp_path / "lexicon.yml"
    _write_lexicon(lexicon_file, "(unclosed")
    config = _config(**{LEXICON_PATH_KEY: str(lexicon_file)})
    component = CrisisGuard.create(config, model_storage, resource, execution_context)
    with pytest.raises(ValueError, match="invalid regular expression"):
        component.train(TrainingData())


def test_missing_lexicon_fails_loudly(tmp_path, model_storage, execution_context):
    config = _config(**{LEXICON_PATH_KEY: str(tmp_path / "missing.yml")})
    with pytest.raises(FileNotFoundError):
        CrisisGuard.load(config, model_storage, Resource("never_trained"), execution_context)


def test_fingerprint_follows_the_lexicon_file(tmp_path):
    lexicon_file = tmp_path / "lexicon.yml"
    config = {LEXICON_PATH_KEY: str(lexicon_file)}
    assert CrisisGuard.fingerprint_addon(config) is None
    _write_lexicon(lexicon_file, r"\bbanana\b")
    first = CrisisGuard.fingerprint_addon(config)
    _write_lexicon(lexicon_file, r"\bapple\b")
    second = CrisisGuard.fingerprint_addon(config)
    assert first and second and first != second
    assert CrisisGuard.fingerprint_addon({}) is not None  # default path, the real file


def test_relative_path_is_found_from_another_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_lexicon_path("data/safety/crisis_lexicon.yml").resolve() == (
        DEFAULT_LEXICON_PATH
    )


# --------------------------------------------------------------------------------------
# End to end: a real (tiny) NLU model with the guard last in the pipeline
# --------------------------------------------------------------------------------------

NLU_DATA = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello
    - hey there
    - good morning
- intent: goodbye
  examples: |
    - bye
    - see you later
    - goodbye
    - talk to you soon
"""

CONFIG = """
recipe: default.v1
language: en
assistant_id: crisis-guard-test
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
  - name: FallbackClassifier
    threshold: 0.3
  - name: bot.crisis_guard.CrisisGuard
policies: []
"""


def test_in_a_trained_rasa_model(tmp_path, monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import asyncio

        from rasa.core.agent import Agent
        from rasa.model_training import train_nlu

    monkeypatch.chdir(_REPO)  # as `make run` starts Rasa: lexicon_path is repo-relative
    (tmp_path / "nlu.yml").write_text(NLU_DATA, encoding="utf-8")
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = train_nlu(
            str(tmp_path / "config.yml"),
            str(tmp_path / "nlu.yml"),
            str(tmp_path / "models"),
            fixed_model_name="nlu",
        )
        assert model is not None
        agent = Agent.load(model)

        async def parse(text):
            return await agent.parse_message(text)

        crisis = asyncio.run(parse("hi, i want to die"))
        ordinary = asyncio.run(parse("hello"))
        spanish = asyncio.run(parse("me pega"))

    assert crisis["intent"] == {"name": "crisis_suicide", "confidence": 1.0}
    assert crisis["intent_ranking"][0]["name"] == "crisis_suicide"
    assert crisis[CRISIS_KEY]["intent"] == "crisis_suicide"
    assert crisis[CRISIS_KEY]["language"] == "en"
    assert ordinary["intent"]["name"] == "greet"
    assert CRISIS_KEY not in ordinary
    assert spanish["intent"]["name"] == "crisis_violence"
    assert spanish[CRISIS_KEY]["language"] == "es"
