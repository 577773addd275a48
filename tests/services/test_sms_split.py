"""Segment-aware splitting and trimming, against Twilio's segment vectors and Unicode cases."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from services.gateway.sms_split import is_cluster_boundary, split_for_sms, trim_for_sms
from services.settings import REPO_ROOT
from sms_text.segments import count_segments, is_gsm7

VECTORS = json.loads(
    (REPO_ROOT.parent / "shared/conformance/twilio/segment_vectors.json").read_text()
)["cases"]

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467"  # woman, ZWJ, woman, ZWJ, girl
WAVE_DARK = "\U0001f44b\U0001f3ff"  # waving hand + skin tone modifier
FLAG_US = "\U0001f1fa\U0001f1f8"  # regional indicators U + S
HEART = "\u2764\ufe0f"  # heart + emoji presentation selector
KEYCAP_ONE = "1\ufe0f\u20e3"


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_valid_split(text: str, parts: list[str], max_segments: int) -> None:
    assert parts, "a non-blank text gives at least one part"
    for part in parts:
        assert part and part == part.strip()
        assert count_segments(part) <= max_segments
    # Nothing lost, nothing added, in order: only whitespace at the split points goes.
    assert squeeze("".join(parts)) == squeeze(text)
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, "each part is a piece of the original"
        position = found + len(part)


@pytest.mark.parametrize("case", VECTORS)
def test_conformance_vectors_split_into_parts_that_fit(case: dict) -> None:
    text = case["prefix"] + case["fill"] * case["n"]
    parts = split_for_sms(text, max_segments=2)
    assert_valid_split(text, parts, 2)
    assert "".join(parts) == text  # no whitespace at all: exact
    assert len(parts) == (1 if case["segments"] <= 2 else 2)


def test_the_307_character_gsm_text_is_two_parts() -> None:
    text = "1" * 307  # 3 segments
    parts = split_for_sms(text, 2)
    assert [len(p) for p in parts] == [306, 1]  # 2 x 153 septets, then the rest
    assert [count_segments(p) for p in parts] == [2, 1]


def test_one_segment_parts() -> None:
    parts = split_for_sms("1" * 307, 1)
    assert [len(p) for p in parts] == [160, 147]


def test_it_splits_at_a_word_boundary_never_mid_word() -> None:
    words = [f"word{n:03d}" for n in range(100)]  # 799 characters
    text = " ".join(words)
    parts = split_for_sms(text, 2)
    assert len(parts) == 3
    assert_valid_split(text, parts, 2)
    assert " ".join(parts) == text
    assert all(set(p.split()) <= set(words) for p in parts)


def test_it_prefers_a_sentence_end_near_the_limit() -> None:
    first = "Your appointment at the clinic is on Tuesday at ten in the morning. " * 4
    text = first + "Bring your insurance card and the paperwork from your last visit please"
    parts = split_for_sms(text, 2)
    assert parts[0].endswith("morning.")
    assert " ".join(parts) == text.strip()


def test_a_line_break_is_a_good_place_to_split() -> None:
    text = "a" * 100 + "\n" + " ".join(["bbbb"] * 60)
    parts = split_for_sms(text, 1)
    assert parts[0] == "a" * 100
    assert_valid_split(text, parts, 1)


def test_a_word_longer_than_a_part_is_cut() -> None:
    url = "https://example.org/" + "x" * 400
    text = f"See {url} for details"
    parts = split_for_sms(text, 2)
    assert_valid_split(text, parts, 2)
    assert parts[0] == "See"


def test_gsm_escape_characters_count_double_and_stay_whole() -> None:
    text = "€" * 200  # 400 septets
    parts = split_for_sms(text, 2)
    assert_valid_split(text, parts, 2)
    assert [len(p) for p in parts] == [152, 48]  # 76 escape pairs per 153-septet segment
    assert all(is_gsm7(p) for p in parts)


def test_an_emoji_is_never_split() -> None:
    text = "\U0001f49b" * 100  # 200 UTF-16 units
    parts = split_for_sms(text, 2)
    assert_valid_split(text, parts, 2)
    assert [len(p) for p in parts] == [66, 34]  # 33 whole emoji per 67-unit segment


@pytest.mark.parametrize("cluster", [FAMILY, WAVE_DARK, FLAG_US, HEART, KEYCAP_ONE, "e\u0301"])
def test_character_clusters_are_never_split(cluster: str) -> None:
    text = "\u00bf" + cluster * 90  # ¿ keeps some parts GSM-7 where possible
    parts = split_for_sms(text, 1)
    assert_valid_split(text, parts, 1)
    for part in parts[1:]:
        assert part.startswith(cluster)
    for part in parts:
        rest = part.removeprefix("\u00bf")
        assert rest == cluster * (len(rest) // len(cluster))


def test_each_part_is_measured_in_its_own_encoding() -> None:
    # A long GSM-7 text with one curly apostrophe at the very end: the first part stays
    # GSM-7 (about 300 characters), only the part with the apostrophe is UCS-2.
    text = " ".join(["okay"] * 100) + " we’re here"
    parts = split_for_sms(text, 2)
    assert_valid_split(text, parts, 2)
    assert is_gsm7(parts[0]) and len(parts[0]) > 134
    assert not is_gsm7(parts[-1])


def test_short_and_blank_texts() -> None:
    assert split_for_sms("  hello  ") == ["hello"]
    assert split_for_sms("   ") == []
    assert split_for_sms("") == []
    with pytest.raises(ValueError):
        split_for_sms("hello", 0)


def test_cluster_boundaries() -> None:
    assert not is_cluster_boundary(FAMILY, 1)  # before a ZWJ
    assert not is_cluster_boundary(FAMILY, 2)  # after a ZWJ
    assert not is_cluster_boundary(FLAG_US + FLAG_US, 1)
    assert is_cluster_boundary(FLAG_US + FLAG_US, 2)
    assert not is_cluster_boundary("a\r\nb", 2)
    assert is_cluster_boundary("ab", 1) and is_cluster_boundary("ab", 0)


def test_trim_keeps_a_fitting_text() -> None:
    assert trim_for_sms("  Short and sweet.  ", 1) == "Short and sweet."


def test_trim_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    text = " ".join(f"word{n:03d}," for n in range(60))
    trimmed = trim_for_sms(text, 1)
    assert trimmed.endswith("...") and count_segments(trimmed) == 1
    head = trimmed.removesuffix("...")
    assert text.startswith(head) and text[len(head)] == ","  # a whole word, comma dropped
    assert len(trimmed) > 150


def test_trim_a_single_long_word_and_unicode() -> None:
    assert trim_for_sms("1" * 307, 1) == "1" * 157 + "..."
    emoji = trim_for_sms("\U0001f49b" * 100, 1)
    assert emoji == "\U0001f49b" * 33 + "..." and count_segments(emoji) == 1
    family = trim_for_sms(FAMILY * 40, 2)
    assert family.removesuffix("...") == FAMILY * (len(family[:-3]) // len(FAMILY))


WORDS = st.lists(
    st.one_of(
        st.text(alphabet="abcdefghij€{", min_size=1, max_size=12),
        st.sampled_from(["Hola.", "¿qué?", "ok!", FAMILY, WAVE_DARK, FLAG_US, HEART, "’"]),
        st.text(alphabet="x", min_size=150, max_size=400),
    ),
    min_size=1,
    max_size=120,
)


@hsettings(max_examples=150, deadline=None)
@given(words=WORDS, separators=st.lists(st.sampled_from([" ", "\n", "  "]), min_size=1))
def test_any_text_splits_into_fitting_pieces_of_itself(
    words: list[str], separators: list[str]
) -> None:
    text = "".join(w + separators[i % len(separators)] for i, w in enumerate(words))
    for max_segments in (1, 2, 3):
        parts = split_for_sms(text, max_segments)
        assert_valid_split(text, parts, max_segments)
        for part in parts:
            trimmed = trim_for_sms(part + " " + text, max_segments)
            assert count_segments(trimmed) <= max_segments
