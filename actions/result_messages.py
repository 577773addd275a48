"""The SMS texts of a search and of one place: the header, one message per place with its
number, the footer, and a place's details in two messages at most. Every text is GSM-7 and
fits MAX_CHARS (two segments), whatever the directory holds."""

from typing import Any

from actions.sms import MAX_CHARS, gsm7_length, shorten, to_gsm7
from actions.taxonomy import feature_label

FOOTER_MORE = (
    "Text MORE for more, or tell me another kind of help. Want one of them to reach out to "
    "you? Text its number."
)
FOOTER_LAST = (
    "Tell me another kind of help, or another town. Want one of them to reach out to you? "
    "Text its number."
)


def clean(value: Any) -> str:
    """A field as one GSM-7 line, without a closing full stop."""
    return " ".join(to_gsm7(str(value or "")).split()).strip(" .")


def search_header(town: str, label: str, features: list[str]) -> str:
    """ "Here are places near Springfield for buprenorphine (takes MassHealth):" """
    header = f"Here are places near {to_gsm7(town).strip()} for {to_gsm7(label)}"
    if features:
        header += " (" + ", ".join(to_gsm7(feature_label(f)) for f in features) + ")"
    return shorten(header + ":", MAX_CHARS)


def result_message(n: int, result: dict[str, Any]) -> str:
    """ "2) Demo Recovery Program 2, Springfield. Call (413) 555-0102. 1.0 mi away; ..." """
    name = to_gsm7(str(result.get("name") or "A service")).strip()
    town = to_gsm7(str(result.get("town") or "")).strip()
    phone = to_gsm7(str(result.get("phone") or "")).strip()
    why = to_gsm7(str(result.get("why") or "")).strip()

    head = f"{n}) {name}" + (f", {town}" if town else "") + "."
    call = f" Call {phone}." if phone else ""
    if gsm7_length(head + call) > MAX_CHARS - 20:  # a very long name: keep number and phone
        head = shorten(head, MAX_CHARS - 20 - gsm7_length(call))
    text = head + call
    if why:
        budget = MAX_CHARS - gsm7_length(text) - 1
        if budget > 10:
            text += " " + shorten(why, budget)
    return text


def result_key(result: dict[str, Any]) -> str:
    """How the list remembers a place: "service_id|location_id"."""
    return f"{result.get('service_id') or ''}|{result.get('location_id') or ''}"


def details_messages(n: int, details: dict[str, Any]) -> list[str]:
    """Two SMS at most: where, phone, hours; then intake, what to bring, cost."""
    name = clean(details.get("name")) or "This place"
    address = clean(details.get("address"))
    phone = clean(details.get("phone"))
    hours = clean(details.get("hours"))
    labels = details.get("feature_labels") or []
    first = f"{n}) {name}" + (f", {address}" if address else "") + "."
    if phone:
        first += f" Call {phone}."
    if hours:
        first += f" Hours: {hours}."
    if labels:
        first += " " + clean(", ".join(str(x) for x in labels)).capitalize() + "."
    second_parts = []
    for title, key in (
        ("To start", "application_process"),
        ("Bring", "what_to_bring"),
        ("Cost", "fees_description"),
    ):
        value = clean(details.get(key))
        if value:
            second_parts.append(f"{title}: {value}.")
    messages = [shorten(first, MAX_CHARS)]
    if second_parts:
        messages.append(shorten(" ".join(second_parts), MAX_CHARS))
    return messages
