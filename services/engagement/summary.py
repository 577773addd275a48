"""Where a woman stands: her place on the study's continuum of engagement, and whether she
needs outreach, from her recent signals, referrals and the messages Tandem started.

A pure function (`summarise`) of plain facts, so the rule is easy to read and to test; the
database side (which rows are "recent") is recent.py. The README says the same rule for a
program manager ("Engagement summary").

The continuum (Peacock-Chambers et al. 2021: collaborative engagement is her sense that
providers are partners in her recovery who meet her needs). Over the last WINDOW_DAYS, the
first level whose test she meets:

- collaborative: she takes part in care (below) AND the last time she rated her provider
  relationship it was 4 or 5, with no "felt judged" since AND she went to at least as many
  appointments as she missed AND at least as many of the needs she named were met (a
  referral completed with "got help" within the window) as are still unmet.
- cooperative: she takes part in care: she went to an appointment, or a referral she
  consented to went ahead (moved to requested or beyond) within the window.
- connecting: she reaches out: she texted Tandem, or named a need.
- not engaged: nothing from her in the window.

Referrals count as they were on the day summarised (their status history), so a summary
of a past week (the research export) does not see what happened after it.

Each level comes with its reasons in plain words: the facts that placed her, and what stands
between her and the next level.

The disengagement flag (for a case manager to reach out), any of:
- no reply to the last UNANSWERED_LIMIT messages Tandem started (check-ins, staff texts);
- MISSED_LIMIT or more appointments missed since the last one she went to;
- a return to use at least FOLLOW_UP_DAYS ago with no follow-up since: no message Tandem
  started, no referral and nothing recorded by staff after it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WINDOW_DAYS = 90
UNANSWERED_LIMIT = 3
MISSED_LIMIT = 2
FOLLOW_UP_DAYS = 2
# Parts of one long text go out seconds apart: sends this close count as one message.
SAME_SEND = timedelta(minutes=1)

LEVELS = ("not_engaged", "connecting", "cooperative", "collaborative")
LEVEL_LABELS = {
    "not_engaged": "Not engaged",
    "connecting": "Connecting",
    "cooperative": "Cooperative",
    "collaborative": "Collaborative",
}


@dataclass(frozen=True)
class SignalFact:
    type: str
    value: str | None
    at: datetime
    source: str = "bot"


@dataclass(frozen=True)
class ReferralFact:
    """One referral and when it got where it did, so a summary as of any day (the research
    export's past weeks) sees it as it was then."""

    need: str
    created_at: datetime
    taken_up_at: datetime | None = None  # she consented and it went ahead (requested or beyond)
    helped_at: datetime | None = None  # completed with "got help"


@dataclass(frozen=True)
class Facts:
    """What `summarise` reads: her signals and referrals, and when Tandem texted her first
    (messages not in reply to hers). Anything older than the window is ignored."""

    signals: list[SignalFact] = field(default_factory=list)
    referrals: list[ReferralFact] = field(default_factory=list)
    proactive: list[datetime] = field(default_factory=list)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # need group -> codes
    labels: dict[str, str] = field(default_factory=dict)  # need code or group -> its words


@dataclass(frozen=True)
class Summary:
    level: str
    label: str
    reasons: list[str]
    flagged: bool
    flag_reasons: list[str]
    counts: dict[str, int]  # signals per type in the window
    needs_met: list[str]
    needs_unmet: list[str]
    as_of: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "level": self.level,
            "label": self.label,
            "reasons": self.reasons,
            "flag": {"flagged": self.flagged, "reasons": self.flag_reasons},
            "counts": self.counts,
            "needs_met": self.needs_met,
            "needs_unmet": self.needs_unmet,
            "window_days": WINDOW_DAYS,
            "as_of": self.as_of.isoformat(),
        }


def summarise(facts: Facts, now: datetime) -> Summary:
    since = now - timedelta(days=WINDOW_DAYS)

    def during(at: datetime | None) -> bool:
        return at is not None and since <= at <= now

    signals = sorted((s for s in facts.signals if during(s.at)), key=lambda s: s.at)
    referrals = [r for r in facts.referrals if r.created_at <= now]
    counts = Counter(s.type for s in signals)

    texts = counts["message_in"]
    attended, missed = counts["appointment_attended"], counts["appointment_missed"]
    taken_up = [r for r in referrals if during(r.taken_up_at)]
    named = {s.value for s in signals if s.type == "need_expressed" and s.value}
    named |= {r.need for r in referrals if during(r.created_at) or during(r.helped_at)}
    met, unmet = _needs(named, {r.need for r in referrals if during(r.helped_at)}, facts.groups)
    ratings = [s for s in signals if s.type == "provider_rating" and s.value]
    last_rating = ratings[-1] if ratings else None
    judged_since = [
        s
        for s in signals
        if s.type == "barrier_reported"
        and s.value == "felt_judged"
        and (last_rating is None or s.at >= last_rating.at)
    ]

    reasons: list[str] = []
    reasons.append(
        f"She texted {_times(texts)} in the last {WINDOW_DAYS} days."
        if texts
        else f"She has not texted in the last {WINDOW_DAYS} days."
    )
    if attended or missed:
        reasons.append(f"She went to {_n(attended, 'appointment')} and missed {missed}.")
    if taken_up:
        reasons.append(f"She consented to {_n(len(taken_up), 'referral')} that went ahead.")
    if met or unmet:
        reasons.append(
            f"Needs met: {_words(met, facts.labels) or 'none yet'}; "
            f"still unmet: {_words(unmet, facts.labels) or 'none'}."
        )
    if last_rating is not None:
        reasons.append(
            f"She last rated her provider relationship {last_rating.value} of 5 "
            f"({last_rating.at:%Y-%m-%d})."
        )
    if judged_since:
        reasons.append("She said she felt judged by a provider" + (" since." if ratings else "."))

    takes_part = attended > 0 or bool(taken_up)
    partners = last_rating is not None and int(last_rating.value or 0) >= 4 and not judged_since
    if takes_part and partners and attended >= missed and len(met) >= len(unmet):
        level = "collaborative"
    elif takes_part:
        level = "cooperative"
        gaps = _missing(last_rating, judged_since, attended, missed, met, unmet)
        reasons.append(f"Not collaborative yet: {gaps}")
    elif texts or counts["need_expressed"]:
        level = "connecting"
        reasons.append("Not cooperative yet: no appointment kept and no referral she consented to.")
    else:
        level = "not_engaged"

    flag_reasons = _flags(signals, referrals, facts.proactive, now)
    return Summary(
        level=level,
        label=LEVEL_LABELS[level],
        reasons=reasons,
        flagged=bool(flag_reasons),
        flag_reasons=flag_reasons,
        counts=dict(sorted(counts.items())),
        needs_met=met,
        needs_unmet=unmet,
        as_of=now,
    )


def _needs(
    named: set[str], helped: set[str], groups: dict[str, tuple[str, ...]]
) -> tuple[list[str], list[str]]:
    """The needs she named (in texts or referrals) that a referral met ("got help"), and
    those not met yet. A group she named ("moud") and one of its codes referred
    ("moud_buprenorphine") are one need, met by any of its codes."""

    def as_named(need: str) -> str:
        return next((g for g, codes in groups.items() if need in codes and g in named), need)

    needs = {as_named(n) for n in named}
    met = sorted(n for n in needs if n in helped or set(groups.get(n, ())) & helped)
    return met, sorted(needs - set(met))


def _missing(
    last_rating: SignalFact | None,
    judged_since: list[SignalFact],
    attended: int,
    missed: int,
    met: list[str],
    unmet: list[str],
) -> str:
    gaps = []
    if last_rating is None:
        gaps.append("no rating of her provider relationship yet")
    elif int(last_rating.value or 0) < 4:
        gaps.append(f"her last provider rating was {last_rating.value} of 5")
    if judged_since:
        gaps.append("she felt judged")
    if missed > attended:
        gaps.append("more appointments missed than kept")
    if len(unmet) > len(met):
        gaps.append("more needs unmet than met")
    return "; ".join(gaps) + "."


def _flags(
    signals: list[SignalFact],
    referrals: list[ReferralFact],
    proactive: list[datetime],
    now: datetime,
) -> list[str]:
    flags: list[str] = []
    texts = [s.at for s in signals if s.type == "message_in"]
    last_text = max(texts, default=None)
    sends = merge_parts([t for t in proactive if t <= now])
    unanswered = [t for t in sends if last_text is None or t > last_text]
    if len(unanswered) >= UNANSWERED_LIMIT:
        flags.append(
            f"No reply to the last {len(unanswered)} messages Tandem sent her "
            f"(since {unanswered[0]:%Y-%m-%d})."
        )

    appointments = [s for s in signals if s.type in ("appointment_attended", "appointment_missed")]
    last_kept = max((s.at for s in appointments if s.type == "appointment_attended"), default=None)
    missed_since = [
        s
        for s in appointments
        if s.type == "appointment_missed" and (last_kept is None or s.at > last_kept)
    ]
    if len(missed_since) >= MISSED_LIMIT:
        flags.append(f"Missed {len(missed_since)} appointments since she last went to one.")

    slips = [s.at for s in signals if s.type == "return_to_use"]
    if slips:
        slip = slips[-1]
        followed = (
            any(t > slip for t in sends)
            or any(slip < r.created_at <= now for r in referrals)
            or any(s.at > slip and s.source == "staff" for s in signals)
        )
        if not followed and now - slip >= timedelta(days=FOLLOW_UP_DAYS):
            flags.append(
                f"A return to use {(now - slip).days} days ago ({slip:%Y-%m-%d}) "
                "with no follow-up since."
            )
    return flags


def merge_parts(sends: list[datetime]) -> list[datetime]:
    """Send times with the parts of one text counted once."""
    merged: list[datetime] = []
    for at in sorted(sends):
        if not merged or at - merged[-1] > SAME_SEND:
            merged.append(at)
    return merged


def _words(needs: list[str], labels: dict[str, str]) -> str:
    return ", ".join(labels.get(n, n) for n in needs)


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _n(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
