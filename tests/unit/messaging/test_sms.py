"""SMS length: GSM-7 or UCS-2, extension characters and emoji counting twice, segments of 160/153 and 70/67."""

from __future__ import annotations

import pytest

from chalicelib.messaging.sms import measure


def test_plain_latin_text_is_gsm7_one_character_one_septet():
    found = measure("Hello Ann, your order is on its way!")
    assert (found.encoding, found.characters, found.length, found.segments) == ("GSM-7", 36, 36, 1)
    assert (found.per_segment, found.remaining) == (160, 124)


@pytest.mark.parametrize("text", ["Grüße à Ñandù", "£5 @ ¥ Δ", "line\nbreak"])
def test_gsm_default_alphabet_letters_keep_gsm7(text):
    assert measure(text).encoding == "GSM-7"


def test_160_septets_are_one_message_161_are_two_segments_of_153():
    assert (measure("a" * 160).segments, measure("a" * 160).remaining) == (1, 0)
    split = measure("a" * 161)
    assert (split.segments, split.per_segment, split.remaining) == (2, 153, 145)
    assert measure("a" * 306).segments == 2
    assert measure("a" * 307).segments == 3


@pytest.mark.parametrize("char", list("€{}[]~|^\\"))
def test_extension_characters_count_two_septets(char):
    found = measure(char * 80)
    assert (found.encoding, found.characters, found.length, found.segments) == ("GSM-7", 80, 160, 1)
    assert measure(char * 81).segments == 2


def test_an_extension_character_never_straddles_a_segment_boundary():
    # 152 septets, then "€" (2): 154 would cross 153, so the escape pair starts segment 2
    found = measure("a" * 152 + "€" + "b" * 152)
    assert found.length == 306
    assert found.segments == 3  # a naive ceil(306 / 153) says 2
    assert measure("a" * 151 + "€" + "b" * 153).segments == 2


def test_one_character_outside_the_alphabet_makes_the_whole_text_ucs2():
    found = measure("Привіт, Ann")
    assert (found.encoding, found.length, found.segments, found.per_segment) == ("UCS-2", 11, 1, 70)


def test_ucs2_is_70_in_one_message_then_67_per_segment():
    assert measure("ж" * 70).segments == 1
    split = measure("ж" * 71)
    assert (split.segments, split.per_segment, split.remaining) == (2, 67, 63)
    assert measure("ж" * 134).segments == 2
    assert measure("ж" * 135).segments == 3


def test_an_emoji_is_two_utf16_units_and_is_never_split():
    found = measure("Sale 🔥")
    assert (found.encoding, found.characters, found.length) == ("UCS-2", 6, 7)
    assert measure("🔥" * 35).segments == 1
    assert measure("🔥" * 36).segments == 2
    # 66 units, then an emoji (2 units) that would cross 67: it starts the next segment
    assert measure("ж" * 66 + "🔥" + "ж" * 66).segments == 3


def test_an_empty_text_is_no_message():
    assert (measure("").segments, measure("").length) == (0, 0)


def test_a_letter_missing_from_the_alphabet_is_ucs2_even_when_it_looks_latin():
    assert measure("Ñandú").encoding == "UCS-2"  # ú is not in GSM 03.38 (ù is)
