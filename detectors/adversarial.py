"""Pathological texts for timing the detectors: the inputs that made regexes backtrack, plus
long runs of every kind of character a pattern treats specially. Used by the growth-ratio
test and `guardstream bench adversarial`; generated, so nothing large is stored."""

from __future__ import annotations

import string
from collections.abc import Callable

from guardstream.text.homoglyphs import HOMOGLYPHS


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda n: (unit * (n // len(unit) + 1))[:n]


def _homoglyph_soup(n: int) -> str:
    glyphs = "".join(sorted(chr(c) for c in HOMOGLYPHS if isinstance(c, int)))[:40] or "аеорс"
    return _repeat("p" + glyphs + " ")(n)


# name -> builder of a text of about n characters
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "slashes": _repeat("/"),
    "leet_at_run": lambda n: "a" + "@" * max(0, n - 3) + "a_",
    "prose": _repeat("The quick brown fox jumps over the lazy dog. "),
    "digits_separators": _repeat("1-2.3 4-"),
    "digit_run": _repeat("4"),
    "base64_run": _repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3"),
    "hex_run": _repeat("deadbeef"),
    "zero_width": _repeat("\u200b\u200c"),
    "unicode_tags": _repeat("\U000e0041"),
    "homoglyph_soup": _homoglyph_soup,
    "spaced_letters": lambda n: _repeat("a ")(n - 2) + "ab",
    "email_like": _repeat("a.b+c@"),
    "url_like": _repeat("://a"),
    "npm_markers": _repeat("//a/:_authToken="),
    "key_value": _repeat("password = key: "),
} | {f"punct_{ord(c):02x}": _repeat(c) for c in string.punctuation}


def adversarial_texts(n: int) -> dict[str, str]:
    return {name: build(n) for name, build in ADVERSARIAL.items()}
