"""SMS length: which encoding a text needs and how many segments it takes.

A text whose every character is in the GSM 03.38 default alphabet (or its extension table) travels as GSM-7:
160 septets in one message, 153 per segment once it is split (the rest of each is the concatenation header).
Extension characters (``^ { } \\ [ ~ ] | €`` and form feed) take two septets, an escape and the character.
Anything else (Cyrillic, most accented letters, emoji) makes the whole text UCS-2: 70 UTF-16 code units in one
message, 67 per segment; characters outside the Basic Multilingual Plane (emoji) take two units.

A segment never splits a two-unit character, as carriers do: an escape pair or a surrogate pair that would
straddle a boundary starts the next segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

LIMITS: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}
"""Units in a single message, and per segment of a split one."""


@dataclass(frozen=True)
class SmsLength:
    encoding: Encoding
    characters: int  # code points as written
    length: int  # units counted against the limits: septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # messages the carrier sends (0 for an empty text)
    per_segment: int  # the limit that applied: 160 or 153 (GSM-7), 70 or 67 (UCS-2)
    remaining: int  # units left in the last segment before another one is needed


def encoding_of(text: str) -> Encoding:
    return "GSM-7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else "UCS-2"


def _units(text: str, encoding: Encoding) -> list[int]:
    """Each character's units in ``encoding``."""
    if encoding == "GSM-7":
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def measure(text: str) -> SmsLength:
    """The encoding, length and segments of ``text``."""
    encoding = encoding_of(text)
    units = _units(text, encoding)
    single, split = LIMITS[encoding]
    length = sum(units)
    if length <= single:
        return SmsLength(encoding, len(text), length, 1 if length else 0, single, single - length)
    segments, filled = 1, 0
    for size in units:
        if filled + size > split:
            segments, filled = segments + 1, 0
        filled += size
    return SmsLength(encoding, len(text), length, segments, split, split - filled)
