"""Undo text obfuscation before scoring, and record what was undone.

Attackers hide instructions from filters with invisible characters, look-alike letters, spaced
letters, leetspeak and encodings. Every detector scores the normalised text, so an encoded attack
still reads as an attack; the obfuscation detector scores the findings themselves.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass

from guardstream.detectors.homoglyphs import HOMOGLYPHS


@dataclass(frozen=True)
class Finding:
    """One obfuscation found: its kind, span in the original text, and a short description."""

    kind: str
    start: int
    end: int
    detail: str


@dataclass(frozen=True)
class NormalisedText:
    original: str
    text: str
    findings: tuple[Finding, ...]
    decoded: tuple[str, ...]


ZERO_WIDTH = "\u200b\u200c\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE_RE = re.compile(f"[{ZERO_WIDTH}{BIDI}\U000e0000-\U000e007f\U000e0100-\U000e01ef]+")
TAG_LOW, TAG_HIGH = 0xE0020, 0xE007E
SPACED_RE = re.compile(r"(?<![\w])(?:[A-Za-z][ .\-_*·|]){3,}[A-Za-z](?![\w])")
BASE64_RE = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
HEX_RE = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){12,}(?![0-9A-Fa-f])")
WORD_RE = re.compile(r"[^\W_]+(?:[@$][^\W_]*)*|[@$][^\W_]+", re.UNICODE)
LEET_TOKEN_RE = re.compile(r"(?<![\w@$])[A-Za-z@$]*[013457@$][A-Za-z013457@$]*(?![\w@$])")
LEET_INSIDE_RE = re.compile(r"[A-Za-z][013457@$]+[A-Za-z]")
LEET_MAP = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
STOPWORDS = frozenset(
    "the a an and or to of in is are you your me my i it this that for with on be do not "
    "what how can please tell all now as at from by was will".split()
)
MIN_DECODED_LETTER_SHARE = 0.6


def normalise(text: str) -> NormalisedText:
    """Return the de-obfuscated text (decoded payloads appended) and what was found."""
    findings: list[Finding] = []
    decoded: list[str] = []
    if not text.isascii():
        text = _strip_invisible(text, findings, decoded)
        text = _fold_lookalikes(text, findings)
    text = _collapse_spaced(text, findings)
    text = _undo_leetspeak(text, findings)
    _decode_base64(text, findings, decoded)
    _decode_hex(text, findings, decoded)
    _decode_rot13(text, findings, decoded)
    full = "\n".join([text, *decoded]) if decoded else text
    return NormalisedText(
        original=text, text=full, findings=tuple(findings), decoded=tuple(decoded)
    )


def _strip_invisible(text: str, findings: list[Finding], decoded: list[str]) -> str:
    for match in INVISIBLE_RE.finditer(text):
        run = match.group()
        tags = "".join(chr(ord(c) - 0xE0000) for c in run if TAG_LOW <= ord(c) <= TAG_HIGH)
        if tags.strip():
            findings.append(
                Finding("unicode_tags", match.start(), match.end(), f"{len(run)} chars")
            )
            decoded.append(tags)
        else:
            findings.append(Finding("invisible", match.start(), match.end(), f"{len(run)} chars"))
    return INVISIBLE_RE.sub("", text)


def _fold_lookalikes(text: str, findings: list[Finding]) -> str:
    """NFKC folds full-width and maths letters; mixed-script words get their homoglyphs mapped."""
    folded = unicodedata.normalize("NFKC", text)
    if folded != text and _letters_changed(text, folded):
        findings.append(Finding("compatibility_letters", 0, len(text), "NFKC changed letters"))
    out: list[str] = []
    last = 0
    for match in WORD_RE.finditer(folded):
        word = match.group()
        if word.isascii():
            continue
        mapped = word.translate(HOMOGLYPHS)
        latin = sum(c.isascii() for c in word)
        if mapped != word and mapped.isascii() and latin >= 1:
            findings.append(Finding("homoglyph", match.start(), match.end(), "mixed-script word"))
            out.append(folded[last : match.start()])
            out.append(mapped)
            last = match.end()
    out.append(folded[last:])
    return "".join(out)


def _letters_changed(before: str, after: str) -> bool:
    return (
        sum(c.isascii() and c.isalpha() for c in after)
        > sum(c.isascii() and c.isalpha() for c in before) + 2
    )


def _collapse_spaced(text: str, findings: list[Finding]) -> str:
    def collapse(match: re.Match[str]) -> str:
        findings.append(Finding("spaced_letters", match.start(), match.end(), match.group()[:40]))
        return re.sub(r"[ .\-_*·|]", "", match.group())

    return SPACED_RE.sub(collapse, text)


def _undo_leetspeak(text: str, findings: list[Finding]) -> str:
    def translate(match: re.Match[str]) -> str:
        token = match.group()
        if len(token) < 4 or not LEET_INSIDE_RE.search(token):
            return token
        if token.isupper() and len(token) > 8:
            return token
        findings.append(Finding("leetspeak", match.start(), match.end(), "digit-for-letter word"))
        return token.translate(LEET_MAP)

    return LEET_TOKEN_RE.sub(translate, text)


def _readable(candidate: str) -> bool:
    if len(candidate) < 8 or (not candidate.isprintable() and "\n" not in candidate):
        return False
    letters = sum(c.isalpha() or c == " " for c in candidate)
    return letters / len(candidate) >= MIN_DECODED_LETTER_SHARE and " " in candidate.strip()


def _decode_base64(text: str, findings: list[Finding], decoded: list[str]) -> None:
    for match in BASE64_RE.finditer(text):
        token = match.group()
        if token.isalpha() or token.isdigit():
            continue
        padded = token + "=" * (-len(token) % 4)
        try:
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
            candidate = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if _readable(candidate):
            findings.append(Finding("base64", match.start(), match.end(), f"{len(raw)} bytes"))
            decoded.append(candidate)


def _decode_hex(text: str, findings: list[Finding], decoded: list[str]) -> None:
    for match in HEX_RE.finditer(text):
        digits = re.sub(r"[ :]", "", match.group())
        try:
            candidate = bytes.fromhex(digits).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if _readable(candidate):
            findings.append(Finding("hex", match.start(), match.end(), f"{len(digits) // 2} bytes"))
            decoded.append(candidate)


def _stopword_share(words: list[str]) -> float:
    return sum(w in STOPWORDS for w in words) / len(words) if words else 0.0


def _decode_rot13(text: str, findings: list[Finding], decoded: list[str]) -> None:
    """ROT13 text has almost no English stop-words; its rotation has many."""
    words = re.findall(r"[a-z]+", text.lower())
    if len(words) < 4 or _stopword_share(words) > 0.08:
        return
    rotated = codecs.decode(text, "rot13")
    if _stopword_share(re.findall(r"[a-z]+", rotated.lower())) >= 0.2:
        findings.append(Finding("rot13", 0, len(text), "text reads as English after ROT13"))
        decoded.append(rotated)
