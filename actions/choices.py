"""The places she was shown and the one she picks: the list as she saw it numbered, and the
number she means in her words ("#2", "the second one", "la ultima", "that one").

Below the actions that show a list (find_services, service_details) and those that act on her
pick (referral, bare_number); it imports none of them.
"""

import re

from rasa_sdk import Tracker

from actions.sms import to_gsm7

# The place she last asked about ("tell me about #2"), so that "i want that one" is that one.
DETAILS_SLOT = "details_shown"

_ORDINALS = {
    "first": 1, "1st": 1, "primero": 1, "primer": 1, "primera": 1,
    "second": 2, "2nd": 2, "segundo": 2, "segunda": 2,
    "third": 3, "3rd": 3, "tercero": 3, "tercer": 3, "tercera": 3,
    "fourth": 4, "4th": 4, "cuarto": 4, "cuarta": 4,
    "fifth": 5, "5th": 5, "quinto": 5, "quinta": 5,
    "sixth": 6, "6th": 6, "sexto": 6, "sexta": 6,
    "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "9th": 9,
}  # fmt: skip
_CARDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
}  # fmt: skip
_LAST = ("last", "ultimo", "ultima")
# "that one", "the one near me": "one" after these words is not the number 1.
_NOT_A_NUMBER_BEFORE_ONE = frozenset(
    "that this the which a any other same good last right closest nearest".split()
)


def number_in(text: str) -> int | str | None:
    """The number she means: "#2", "the second one", "number two" -> 2; "last" -> "last"."""
    t = to_gsm7(text.lower())
    words = re.findall(r"[a-z0-9]+", t)
    for word in words:
        if word in _ORDINALS:
            return _ORDINALS[word]
    if any(word in _LAST for word in words):
        return "last"
    digits = re.search(r"(?<![\d/])(\d{1,2})(?![\d/])", t)
    if digits:
        return int(digits.group(1))
    for i, word in enumerate(words):
        if word == "one" and i > 0 and words[i - 1] in _NOT_A_NUMBER_BEFORE_ONE:
            continue
        if word in _CARDINALS:
            return _CARDINALS[word]
    return None


def shown_results(tracker: Tracker) -> list[str]:
    """The places she saw in this search, in the order they were numbered for her, as
    "service_id|location_id" ("" for a place of an earlier page that is not known)."""
    return [str(k) for k in tracker.get_slot("last_results") or []]


def picked_place(tracker: Tracker, text: str) -> int | None:
    """The number of the place she picked in the list she saw, or None if it is unclear.

    A number or an ordinal in her words wins ("sign me up for 2", "the 3rd", "la ultima");
    without one ("i want that one", "sign me up") it is the place she last asked about, or
    the only place in the list."""
    shown = shown_results(tracker)
    choice = number_in(text)
    if choice == "last":
        choice = len(shown)
    if choice is None:
        asked = tracker.get_slot(DETAILS_SLOT)
        if isinstance(asked, (int, float)) and asked >= 1:
            choice = int(asked)
        elif len([key for key in shown if key]) == 1:
            choice = next(i for i, key in enumerate(shown, 1) if key)
    if isinstance(choice, int) and 1 <= choice <= len(shown) and shown[choice - 1]:
        return choice
    return None
