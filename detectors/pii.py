"""Personal data in prompts and responses, confirmed by checksums where one exists."""

from __future__ import annotations

import re
from collections.abc import Callable

from guardstream.contracts import Evidence
from guardstream.detectors.base import Detector, DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.redaction import drop_overlapping, redacted_evidence, scan_fields
from guardstream.detectors.validators import iban_valid, luhn_valid, phone_plausible, us_ssn_valid


def _always(_: str) -> bool:
    return True


def _contains(char: str) -> Callable[[str], bool]:
    return lambda text: char in text


# (kind, pattern, validator, gate). Order matters only for overlap: earlier kinds win a shared
# span. Patterns start with a character class rather than a look-behind so that the regex
# engine can skip ahead to candidate characters (3-4x faster on prose); a gate is a cheap test
# that must pass before the pattern runs at all.
PII_PATTERNS: tuple[
    tuple[str, re.Pattern[str], Callable[[str], bool], Callable[[str], object]], ...
] = (
    (
        "email",
        re.compile(
            r"[\w.+-](?<![\w.+-][\w.+-])[\w.+-]*+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
        ),
        _always,
        _contains("@"),
    ),
    (
        "iban",
        re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"),
        iban_valid,
        _always,
    ),
    ("credit_card", re.compile(r"\d(?<![\d-]\d)(?:[ -]?\d){12,18}(?![\d-])"), luhn_valid, _always),
    ("us_ssn", re.compile(r"\d(?<!\d\d)\d{2}-\d{2}-\d{4}(?!\d)"), us_ssn_valid, _contains("-")),
    (
        "phone",
        re.compile(
            # +CC international, (area) local, or North American 3-3-4 with - or . between.
            r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,4}"
            r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[-.]\d{3}[-.]\d{4})(?!\w)"
        ),
        phone_plausible,
        _always,
    ),
    (
        "ipv4",
        re.compile(
            r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
            r"(?![\d.])"
        ),
        _always,
        re.compile(r"\d\.\d").search,
    ),
)
THREE_DIGITS_RE = re.compile(r"\d\d\d")  # `\d\d\d` scans faster than `\d{3}` in CPython's re
SCORE_PER_KIND = {
    "credit_card": 1.0,
    "iban": 1.0,
    "us_ssn": 1.0,
    "email": 0.7,
    "phone": 0.6,
    "ipv4": 0.3,
}


def find_pii(text: str, field: str) -> list[Evidence]:
    found: list[Evidence] = []
    if not text or ("@" not in text and not THREE_DIGITS_RE.search(text)):
        return found
    for kind, pattern, validator, gate in PII_PATTERNS:
        if not gate(text):
            continue
        for match in pattern.finditer(text):
            if validator(match.group()):
                found.append(redacted_evidence(f"pii.{kind}", field, match))
    return drop_overlapping(found)


def pii_score(found: list[Evidence]) -> float:
    """The most sensitive kind found sets the score; counts add a little on top."""
    if not found:
        return 0.0
    top = max(SCORE_PER_KIND[e.kind.removeprefix("pii.")] for e in found)
    return min(1.0, top + 0.05 * (len(found) - 1))


class PiiDetector(Detector):
    name = "pii"
    version = "1"
    category = "data_leak"
    severity = "medium"
    default_threshold = 0.65

    def score(self, batch: EventBatch) -> DetectorResult:
        scores, evidence = scan_fields(batch.prompts, batch.responses, find_pii, pii_score)
        return DetectorResult(scores={self.name: scores}, evidence=evidence)
