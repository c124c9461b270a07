"""API keys, tokens and private keys in prompts and responses.

The patterns are detect-secrets' own (its regex plugins, maintained by Yelp), not hand-written:
we run their compiled deny-lists with `finditer` to keep positions, and reuse their validators.
"""

from __future__ import annotations

import re
from functools import cache

from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.jwt import JwtTokenDetector

from guardstream.contracts import Evidence
from guardstream.detectors.base import Detector, DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.npm_token import npm_token_spans
from guardstream.detectors.redaction import (
    drop_overlapping,
    redacted_evidence,
    redacted_span,
    scan_fields,
)
from guardstream.detectors.secret_gates import PLUGIN_GATES, open_gates
from guardstream.text.long_words import long_words

# Plugins that flag ordinary prose or that belong to the PII detector.
EXCLUDED_PLUGINS = frozenset({"IPPublicDetector"})
# Plugins whose regex backtracks super-linearly, each replaced by an equivalent linear matcher.
LINEAR_REWRITES = {"NpmDetector": ("Npm", npm_token_spans)}
# Every detect-secrets pattern needs a token of 16+ key characters, a URL credential, an npm
# registry line or a key header; prose without any of them skips the 45 patterns. Hyphens and
# dots are not key characters here, so "step-by-step" or "10-year-old." do not open the gate.
KEY_RUN_RE = re.compile(r"[A-Za-z0-9_+/=]{16,}")
MARKERS = ("://", "//registry", "PRIVATE KEY")


def may_hold_secret(text: str) -> bool:
    """The gate above, tested on long words only (see `long_words` for why)."""
    if any(marker in text for marker in MARKERS):
        return True
    return any(KEY_RUN_RE.search(word) for word in long_words(text, 16))


@cache
def secret_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(secret type, compiled pattern) for every detect-secrets regex plugin we use."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    patterns: list[tuple[str, re.Pattern[str]]] = []
    plugins = get_mapping_from_secret_type_to_class().values()
    for cls in sorted(plugins, key=lambda c: c.__name__):
        if not issubclass(cls, RegexBasedDetector) or cls.__name__ in EXCLUDED_PLUGINS:
            continue
        if cls.__name__ in LINEAR_REWRITES:
            continue
        kind = cls.__name__.removesuffix("Detector")
        patterns.extend((kind, regex) for regex in cls().denylist if regex.pattern)
    return tuple(patterns)


def find_secrets(text: str, field: str) -> list[Evidence]:
    """Every secret-looking span of `text`, as redacted evidence."""
    found: list[Evidence] = []
    if not text or not may_hold_secret(text):
        return found
    opened = open_gates(text.lower())
    for kind, pattern in secret_patterns():
        if kind in PLUGIN_GATES and kind not in opened:
            continue
        for match in pattern.finditer(text):
            if kind == "JwtToken" and not JwtTokenDetector.is_formally_valid(match.group()):
                continue
            found.append(redacted_evidence(f"secret.{kind}", field, match))
    for kind, spans in LINEAR_REWRITES.values():
        for start, end in spans(text):
            found.append(redacted_span(f"secret.{kind}", field, text, start, end))
    return drop_overlapping(found)


class SecretsDetector(Detector):
    name = "secrets"
    version = "1"
    category = "data_leak"
    severity = "high"
    default_threshold = 0.5

    def score(self, batch: EventBatch) -> DetectorResult:
        scores, evidence = scan_fields(
            batch.prompts, batch.responses, find_secrets, lambda hits: 1.0 if hits else 0.0
        )
        return DetectorResult(scores={self.name: scores}, evidence=evidence)
