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

from guardstream.text.homoglyphs import HOMOGLYPHS
from guardstream.text.long_words import long_words


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
# Cheap gates: a pattern that starts with a rare character class lets the regex engine skip
# ahead, where one starting with a look-behind or a letter is tried at every position (3x
# slower on prose). Each gate is implied by the pattern it guards, so nothing is missed.
SPACED_GATE_RE = re.compile(r"[ .\-_*·|][A-Za-z][ .\-_*·|][A-Za-z][ .\-_*·|]")
LEET_GATE_RE = re.compile(r"[013457@$](?<=[A-Za-z][013457@$])[013457@$]*[A-Za-z]")
LONG_TOKEN_RE = re.compile(r"\S{16,}")
BASE64_TOKEN_RE = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
HEX_TOKEN_RE = re.compile(r"(?:[0-9A-Fa-f]{2}){12,}")
ROT13_SAMPLE_WORDS = 80
WORD_RE = re.compile(r"[^\W_]+(?:[@$][^\W_]*)*|[@$][^\W_]+", re.UNICODE)
# A whole word over letters and leet characters holding at least one leet character. Written
# as a look-ahead plus one possessive run: the former `[A-Za-z@$]*[013457@$][A-Za-z013457@$]*`
# backtracked quadratically on 'a' + '@' * N + 'a_' (9.2 s at 20 kB). Same matches.
LEET_TOKEN_RE = re.compile(r"(?<![\w@$])(?=[A-Za-z]*+[013457@$])[A-Za-z013457@$]++(?![\w@$])")
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
    _decode_payloads(text, findings, decoded)
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
        latin = len(word.encode("ascii", "ignore"))  # C-speed count of the ASCII letters
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
        # the length only: the letters themselves are user text (a de-spaced e-mail, a name)
        findings.append(
            Finding("spaced_letters", match.start(), match.end(), f"{len(match.group())} chars")
        )
        return re.sub(r"[ .\-_*·|]", "", match.group())

    return SPACED_RE.sub(collapse, text) if SPACED_GATE_RE.search(text) else text


def _undo_leetspeak(text: str, findings: list[Finding]) -> str:
    if not LEET_GATE_RE.search(text):  # every rewritten token has a letter-digits-letter run
        return text

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


def _decode_payloads(text: str, findings: list[Finding], decoded: list[str]) -> None:
    """base64 and hex payloads are long unbroken tokens: find those once, then try to decode."""
    if not long_words(text, 16):  # cheaper than the regex scan below
        return
    for match in LONG_TOKEN_RE.finditer(text):
        token = match.group().strip("\"'()[]{}<>,.;:")
        offset = match.start() + match.group().find(token)
        kind, candidate = _decode_token(token)
        if kind and candidate is not None and _readable(candidate):
            findings.append(Finding(kind, offset, offset + len(token), f"{len(candidate)} chars"))
            decoded.append(candidate)


def _decode_token(token: str) -> tuple[str | None, str | None]:
    if HEX_TOKEN_RE.fullmatch(token):
        try:
            return "hex", bytes.fromhex(token).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None, None
    if not BASE64_TOKEN_RE.fullmatch(token) or token.isalpha() or token.isdigit():
        return None, None
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        return "base64", raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None, None


def _stopword_share(text: str) -> tuple[float, int]:
    """Share of English stop-words among the first words (a sample is enough to tell)."""
    words = [w.strip(".,;:!?\"'()") for w in text.lower().split(maxsplit=ROT13_SAMPLE_WORDS)]
    words = words[:ROT13_SAMPLE_WORDS]
    hits = sum(map(STOPWORDS.__contains__, words))
    return (hits / len(words) if words else 0.0), len(words)


def _decode_rot13(text: str, findings: list[Finding], decoded: list[str]) -> None:
    """ROT13 text has almost no English stop-words; its rotation has many."""
    share, count = _stopword_share(text)
    if count < 4 or share > 0.08:
        return
    rotated = codecs.decode(text, "rot13")
    if _stopword_share(rotated)[0] >= 0.2:
        findings.append(Finding("rot13", 0, len(text), "text reads as English after ROT13"))
        decoded.append(rotated)
