"""The SMS texts of a search and of one place: the header, one message per place with its
number, the footer, and a place's details in two messages at most. Every text is GSM-7 and
fits MAX_CHARS (two segments), whatever the directory holds."""

from typing import Any

from actions.sms import MAX_CHARS, gsm7_length, shorten, to_gsm7
from actions.taxonomy import feature_label

# Her language picks the words: English, or Spanish when the `language` slot is "es". The
# Spanish texts are written as domain.yml's are: no accented a/i/o/u (GSM-7 keeps ñ, ¿).
FOOTER_MORE = {
    "en": (
        "Text MORE for more, or tell me another kind of help. Want one of them to reach out "
        "to you? Text its number."
    ),
    "es": (
        "Escribe MAS para ver mas, o dime otro tipo de ayuda. ¿Quieres que uno de ellos te "
        "contacte? Escribe su numero."
    ),
}
FOOTER_LAST = {
    "en": (
        "Tell me another kind of help, or another town. Want one of them to reach out to "
        "you? Text its number."
    ),
    "es": (
        "Dime otro tipo de ayuda, u otro pueblo. ¿Quieres que uno de ellos te contacte? "
        "Escribe su numero."
    ),
}
_HEADER = {
    "en": "Here are places near {town} for {label}",
    "es": "Estos son lugares cerca de {town} para {label}",
}
_CALL = {"en": " Call {phone}.", "es": " Llama al {phone}."}
_UNNAMED = {"en": "A service", "es": "Un servicio"}
# One place's details: the words around the directory's fields.
_THIS_PLACE = {"en": "This place", "es": "Este lugar"}
_HOURS = {"en": " Hours: {hours}.", "es": " Horario: {hours}."}
_DETAIL_TITLES = {
    "en": (
        ("To start", "application_process"),
        ("Bring", "what_to_bring"),
        ("Cost", "fees_description"),
    ),
    "es": (
        ("Para empezar", "application_process"),
        ("Trae", "what_to_bring"),
        ("Costo", "fees_description"),
    ),
}


def language_of(language: str | None) -> str:
    """ "es" for Spanish, "en" for anything else."""
    return "es" if language == "es" else "en"


def footer(more: bool, language: str = "en") -> str:
    """The last message of a page: MORE when there is more to show, in her language."""
    return (FOOTER_MORE if more else FOOTER_LAST)[language_of(language)]


def call_words(phone: str, language: str = "en") -> str:
    """ " Call (413) 555-0102." (" Llama al (413) 555-0102." in Spanish), or "" without a
    phone."""
    return _CALL[language_of(language)].format(phone=phone) if phone else ""


def clean(value: Any) -> str:
    """A field as one GSM-7 line, without a closing full stop."""
    return " ".join(to_gsm7(str(value or "")).split()).strip(" .")


def search_header(town: str, label: str, features: list[str], language: str = "en") -> str:
    """ "Here are places near Springfield for buprenorphine (takes MassHealth):", or in
    Spanish "Estos son lugares cerca de Springfield para buprenorfina (acepta MassHealth):".
    `label` is the need's label in her language."""
    language = language_of(language)
    header = _HEADER[language].format(town=to_gsm7(town).strip(), label=to_gsm7(label))
    if features:
        labels = (to_gsm7(feature_label(f, language)) for f in features)
        header += " (" + ", ".join(labels) + ")"
    return shorten(header + ":", MAX_CHARS)


def result_message(n: int, result: dict[str, Any], language: str = "en") -> str:
    """ "2) Demo Recovery Program 2, Springfield. Call (413) 555-0102. 1.0 mi away; ..."
    ("Llama al" in Spanish; the API wrote the "why" in her language)."""
    language = language_of(language)
    name = to_gsm7(str(result.get("name") or _UNNAMED[language])).strip()
    town = to_gsm7(str(result.get("town") or "")).strip()
    phone = to_gsm7(str(result.get("phone") or "")).strip()
    why = to_gsm7(str(result.get("why") or "")).strip()

    head = f"{n}) {name}" + (f", {town}" if town else "") + "."
    call = call_words(phone, language)
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


def details_messages(n: int, details: dict[str, Any], language: str = "en") -> list[str]:
    """Two SMS at most: where, phone, hours; then intake, what to bring, cost. In her
    language ("Llama al", "Horario", "Para empezar", "Trae", "Costo" in Spanish; the API
    wrote the hours' days and the feature labels in it). The directory's own texts (intake,
    what to bring, cost) come as the directory wrote them."""
    language = language_of(language)
    name = clean(details.get("name")) or _THIS_PLACE[language]
    address = clean(details.get("address"))
    phone = clean(details.get("phone"))
    hours = clean(details.get("hours"))
    labels = details.get("feature_labels") or []
    head = f"{n}) {name}" + (f", {address}" if address else "") + "."
    call = call_words(phone, language)
    if gsm7_length(head + call) > MAX_CHARS - 20:  # a very long name or address: keep the phone
        head = shorten(head, MAX_CHARS - 20 - gsm7_length(call))
    first = head + call
    if hours:
        first += _HOURS[language].format(hours=hours)
    if labels:
        features = clean(", ".join(str(x) for x in labels))
        first += " " + features[:1].upper() + features[1:] + "."  # keeps "MassHealth"
    second_parts = []
    for title, key in _DETAIL_TITLES[language]:
        value = clean(details.get(key))
        if value:
            second_parts.append(f"{title}: {value}.")
    messages = [shorten(first, MAX_CHARS)]
    if second_parts:
        messages.append(shorten(" ".join(second_parts), MAX_CHARS))
    return messages
