"""The SMS tokenizer gives the classifier one spelling for the ways women text a word."""

from rasa.shared.nlu.training_data.message import Message

from bot.sms_tokenizer import SmsTokenizer


def lemmas(text: str, attribute: str = "text") -> list[str]:
    tokenizer = SmsTokenizer(SmsTokenizer.get_default_config())
    return [t.lemma for t in tokenizer.tokenize(Message(data={attribute: text}), attribute)]


def test_shorthand_and_plain_spelling_give_the_same_lemmas():
    assert lemmas("can u help me rn") == lemmas("can you help me right now")
    assert lemmas("idk") == ["i", "dont", "know"]


def test_contractions_and_accents_fold_to_one_word():
    assert lemmas("i don't have a ride") == lemmas("i dont have a ride")
    assert lemmas("my baby\u2019s dr") == ["my", "babys", "dr"]
    assert lemmas("Está BIEN") == ["esta", "bien"]


def test_offsets_still_point_into_her_text():
    text = "need subs rn in 01105"
    tokenizer = SmsTokenizer(SmsTokenizer.get_default_config())
    tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
    assert [text[t.start : t.end] for t in tokens][-3:] == ["rn", "in", "01105"]
    assert [t.text for t in tokens] == ["need", "subs", "right", "now", "in", "01105"]


def test_intent_names_are_left_alone():
    tokenizer = SmsTokenizer(SmsTokenizer.get_default_config())
    tokens = tokenizer.tokenize(Message(data={"intent": "need_moud"}), "intent")
    assert [t.text for t in tokens] == ["need_moud"]
