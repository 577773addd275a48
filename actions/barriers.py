"""What gets in the way, in her words: the barrier code (the signal's value,
services/engagement/taxonomy.py) a text names. Shared by the barrier answers
(actions/support.py), a missed appointment that was no call back (actions/checkin.py) and
onboarding (actions/onboarding.py)."""

import re

from actions.sms import to_gsm7

NO_CALLBACK = "no_callback"
# Barrier codes (the signal's value, services/engagement/taxonomy.py) and the words that name
# them, in priority order.
BARRIERS: tuple[tuple[str, str], ...] = (
    (
        "dcf_fear",
        r"dcf|cps|51a|report me|call (?:dcf|the state)|take (?:my|the) (?:baby|kids?)|"
        r"quit\w* (?:a )?mi",
    ),
    (
        "felt_judged",
        r"judg\w*|ashamed|shame|rude|look(?:ed)? at me|disrespect\w*|stigma|"
        r"treat\w* (?:me|you|people)|juzg\w*|verguenza",
    ),
    (
        NO_CALLBACK,
        r"call(?:ed|s)? (?:me |u )?back|never (?:called|answered|got back)|"
        r"(?:no ?one|nobody) (?:answered|picked up|called)|(?:could ?n.?t|can.?t|did ?n.?t) "
        r"(?:get through|reach them)|no answer|voicemail|nadie (?:contesto|me llamo)|"
        r"(?:no|nunca) me (?:llamaron|han llamado|devolvieron|contestaron)",
    ),
    (
        "childcare",
        r"kids?|baby|babies|child ?care|daycare|day care|babysit\w*|watch (?:my|the)|"
        r"hijos?|bebe|nino|ninos|nenes?|nenas?|cuid\w+",
    ),
    (
        "rides",
        r"ride|rides|car|bus|transport\w*|gas|drive|driving|uber|lyft|carro|"
        r"transporte|get there|llegar|far|distance|too long to get|lejos",
    ),
    (
        "cost",
        r"cost\w*|pay|afford|money|insurance|masshealth|mass health|copay|expensive|bill|"
        r"dinero|pagar|seguro",
    ),
    ("hours", r"hours?|time|times|schedule|work|job|shift|early|late|open|horario|trabajo"),
)


def barrier_in(text: str | None) -> str:
    """The barrier she named, or "other"."""
    t = to_gsm7((text or "").lower())
    for category, pattern in BARRIERS:
        if re.search(r"\b(?:" + pattern + r")\b", t):
            return category
    return "other"
