"""Words that tell of a pregnancy or infant loss, in English and Spanish. The one copy: the
gateway (a loss with "stop the baby texts" goes to the bot, whose answer stops the stage
messages with condolence, GUIDE.md) and the bot's profile (a loss is never read as her stage)
both import it. Written for lowercase text with or without accents and apostrophes."""

from __future__ import annotations

import re

LOSS = re.compile(
    r"\b(?:miscarr\w*|misscarr\w*|stillb\w*|still born|lost (?:the|my|our) (?:baby|pregnancy)|"
    r"lost (?:him|her) at|passed away|didn'?t make it|fallecio|falleci\u00f3|perdi|perd\u00ed|"
    r"(?:una|la) perdida|se fue al cielo|aborto espontaneo)\b"
)
