"""The cheap gates in front of the secret, PII and de-obfuscation scans must never hide a match:
each gated scan is compared with the plain regex on random text built from the characters
the patterns care about (no Kafka)."""

from __future__ import annotations

import random
import re

from guardstream.detectors import pii, secrets
from guardstream.detectors.redaction import drop_overlapping, redacted_evidence
from guardstream.text import normalise as norm
from guardstream.text.long_words import long_words

ALPHABETS = (
    "ab Z09_+/=-.:\n\t",
    "0123456789 .-+()@aZ_x\n",
    "ABDE0123456789 GB-",
    "a b.c-d_e*f|g h1 0 3x @$ Zz\n·",
    "h3ll0 w0rld 1gn0r3 4ll pr3v10us $@",
)


def random_texts(count: int = 4000, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 70)))
        for alphabet in ALPHABETS
        for _ in range(count // len(ALPHABETS))
    ]


TEXTS = random_texts()


def test_secret_gate_opens_whenever_the_reference_pattern_matches() -> None:
    reference = re.compile(r"[A-Za-z0-9_+/=]{16,}|://|//registry|PRIVATE KEY")
    assert [secrets.may_hold_secret(t) for t in TEXTS] == [bool(reference.search(t)) for t in TEXTS]


def ungated_pii(text: str) -> list[tuple[str, int | None, int | None]]:
    found = [
        redacted_evidence(f"pii.{kind}", "prompt", match)
        for kind, pattern, validator, _ in pii.PII_PATTERNS
        for match in pattern.finditer(text)
        if validator(match.group())
    ]
    return [(e.kind, e.start, e.end) for e in drop_overlapping(found)]


def test_pii_gates_never_hide_a_finding() -> None:
    texts = [*TEXTS, "Call +1 415-555-0134 or mail ana@example.com", "SSN 123-45-6789"]
    for text in texts:
        gated = [(e.kind, e.start, e.end) for e in pii.find_pii(text, "prompt")]
        assert gated == ungated_pii(text), text


def test_normalise_gates_never_hide_a_rewrite() -> None:
    for text in TEXTS:
        if norm.SPACED_RE.search(text):
            assert norm.SPACED_GATE_RE.search(text), text
        if norm.LEET_INSIDE_RE.search(text):
            assert norm.LEET_GATE_RE.search(text), text
        if norm.LONG_TOKEN_RE.search(text):
            assert long_words(text, 16), text
