"""The one loss pattern both runtimes read (sms_text/loss.py): the gateway sends a loss with
"stop the baby texts" to the bot, and the profile never reads a loss as her stage."""

import pytest

from sms_text.loss import LOSS


@pytest.mark.parametrize(
    "text",
    [
        "we lost him at 20 weeks",
        "i had a miscarriage last week",
        "she was stillborn",
        "the baby didn't make it",  # as the bot reads her text (apostrophes kept)
        "the baby didnt make it",  # as the gateway reads it (apostrophes dropped)
        "tuve una perdida el domingo",
        "mi nena fallecio",
        "perdí el embarazo",
        "se fue al cielo a las 30 semanas",
    ],
)
def test_a_loss_is_read_as_one(text: str) -> None:
    assert LOSS.search(text)


@pytest.mark.parametrize(
    "text",
    ["i lost my keys", "im 20 weeks", "she made it to 40 weeks", "perdida de tiempo no es"],
)
def test_other_texts_are_not(text: str) -> None:
    assert not LOSS.search(text)
