"""The engagement summary's rule (services/engagement/summary.py), as a case manager reads it:
her level on the continuum, the reasons in plain words, and the outreach flag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.engagement.summary import Facts, ReferralFact, SignalFact, summarise

NOW = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
GROUPS = {"moud": ("moud_buprenorphine", "moud_methadone", "moud_naltrexone")}


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def sig(type_: str, days: float, value: str | None = None, source: str = "bot") -> SignalFact:
    return SignalFact(type_, value, ago(days), source)


def ref(
    need: str, days: float, taken_up: float | None = None, helped: float | None = None
) -> ReferralFact:
    """A referral made `days` ago, gone ahead `taken_up` days ago, helped `helped` days ago."""
    return ReferralFact(
        need,
        ago(days),
        None if taken_up is None else ago(taken_up),
        None if helped is None else ago(helped),
    )


def facts(*signals: SignalFact, referrals=(), proactive=()) -> Facts:  # type: ignore[no-untyped-def]
    return Facts(list(signals), list(referrals), [ago(d) for d in proactive], GROUPS)


def test_nothing_from_her_is_not_engaged() -> None:
    s = summarise(facts(sig("message_in", 120)), NOW)  # older than the window
    assert (s.level, s.label) == ("not_engaged", "Not engaged")
    assert s.reasons == ["She has not texted in the last 90 days."]
    assert not s.flagged


def test_texting_and_naming_a_need_is_connecting() -> None:
    s = summarise(facts(sig("message_in", 3), sig("need_expressed", 3, "housing")), NOW)
    assert s.level == "connecting"
    assert s.reasons == [
        "She texted once in the last 90 days.",
        "Needs met: none yet; still unmet: housing.",
        "Not cooperative yet: no appointment kept and no referral she consented to.",
    ]


def test_a_kept_appointment_or_a_referral_she_consented_to_is_cooperative() -> None:
    kept = summarise(facts(sig("message_in", 5), sig("appointment_attended", 4)), NOW)
    assert kept.level == "cooperative"
    assert "She went to 1 appointment and missed 0." in kept.reasons
    assert kept.reasons[-1] == "Not collaborative yet: no rating of her provider relationship yet."

    consented = summarise(facts(referrals=[ref("moud_buprenorphine", 3, taken_up=2)]), NOW)
    assert consented.level == "cooperative"
    assert "She consented to 1 referral that went ahead." in consented.reasons
    draft = summarise(facts(referrals=[ref("moud_buprenorphine", 2)]), NOW)
    assert draft.level != "cooperative"


def test_providers_as_partners_who_meet_her_needs_is_collaborative() -> None:
    s = summarise(
        facts(
            sig("message_in", 20),
            sig("need_expressed", 30, "moud"),
            sig("appointment_attended", 10),
            sig("provider_rating", 5, "5"),
            referrals=[ref("moud_buprenorphine", 40, taken_up=39, helped=25)],
        ),
        NOW,
    )
    assert (s.level, s.label) == ("collaborative", "Collaborative")
    assert s.needs_met == ["moud"] and s.needs_unmet == []  # the group and its code: one need
    assert "She last rated her provider relationship 5 of 5 (2026-11-30)." in s.reasons


def test_feeling_judged_after_a_good_rating_keeps_her_cooperative_and_says_why() -> None:
    s = summarise(
        facts(
            sig("appointment_attended", 10),
            sig("provider_rating", 8, "4"),
            sig("barrier_reported", 2, "felt_judged"),
        ),
        NOW,
    )
    assert s.level == "cooperative"
    assert "She said she felt judged by a provider since." in s.reasons
    assert s.reasons[-1] == "Not collaborative yet: she felt judged."


def test_a_low_rating_more_misses_or_unmet_needs_are_named_as_what_is_missing() -> None:
    s = summarise(
        facts(
            sig("appointment_attended", 20),
            sig("appointment_missed", 10, "rides"),
            sig("appointment_missed", 9),
            sig("provider_rating", 8, "2"),
            sig("need_expressed", 8, "childcare"),
            sig("need_expressed", 8, "transportation"),
        ),
        NOW,
    )
    assert s.level == "cooperative"
    assert s.reasons[-1] == (
        "Not collaborative yet: her last provider rating was 2 of 5; more appointments missed "
        "than kept; more needs unmet than met."
    )


def test_no_reply_to_the_last_three_messages_tandem_started_flags_her() -> None:
    s = summarise(facts(sig("message_in", 30), proactive=[21, 14, 7]), NOW)
    assert s.flagged
    assert s.flag_reasons == ["No reply to the last 3 messages Tandem sent her (since 2026-11-14)."]
    replied = summarise(facts(sig("message_in", 6), proactive=[21, 14, 7]), NOW)
    assert not replied.flagged


def test_the_parts_of_one_long_text_count_as_one_message() -> None:
    parts = [7, 7 - 10 / 86400, 14, 14 - 5 / 86400]  # two texts, each sent in two parts
    assert not summarise(facts(sig("message_in", 30), proactive=parts), NOW).flagged


def test_missed_appointments_since_the_last_kept_one_flag_her() -> None:
    s = summarise(
        facts(
            sig("appointment_missed", 30),
            sig("appointment_attended", 20),
            sig("appointment_missed", 10, "childcare"),
            sig("appointment_missed", 3),
        ),
        NOW,
    )
    assert s.flag_reasons == ["Missed 2 appointments since she last went to one."]
    once = summarise(facts(sig("appointment_attended", 20), sig("appointment_missed", 3)), NOW)
    assert not once.flagged


def test_a_return_to_use_without_follow_up_flags_her_until_someone_follows_up() -> None:
    slip = sig("return_to_use", 3)
    assert summarise(facts(slip), NOW).flag_reasons == [
        "A return to use 3 days ago (2026-12-02) with no follow-up since."
    ]
    assert not summarise(facts(sig("return_to_use", 1)), NOW).flagged  # still time
    assert not summarise(facts(slip, proactive=[2]), NOW).flagged  # Tandem texted her
    assert not summarise(facts(slip, sig("appointment_attended", 1, source="staff")), NOW).flagged
    assert not summarise(facts(slip, referrals=[ref("moud_methadone", 2)]), NOW).flagged


def test_counts_and_json() -> None:
    s = summarise(facts(sig("message_in", 3), sig("message_in", 2), sig("craving", 2)), NOW)
    body = s.as_json()
    assert body["counts"] == {"craving": 1, "message_in": 2}
    assert body["flag"] == {"flagged": False, "reasons": []}
    assert (body["window_days"], body["as_of"]) == (90, NOW.isoformat())


def test_a_referral_counts_as_it_was_on_the_day_summarised() -> None:
    helped_later = facts(sig("appointment_attended", 30), referrals=[ref("housing", 40, 39, 5)])
    as_then = summarise(helped_later, NOW - timedelta(days=20))
    assert (as_then.needs_met, as_then.needs_unmet) == ([], ["housing"])
    now = summarise(helped_later, NOW)
    assert (now.needs_met, now.needs_unmet) == (["housing"], [])
    old = summarise(facts(referrals=[ref("housing", 200, 199, 150)]), NOW)
    assert old.level == "not_engaged"  # all of it long before the window
