"""Obfuscation as its own signal: hiding text from filters is suspicious even when it is benign.

`obfuscation` is the noisy-or of the de-obfuscation findings. `obfuscation.adversarial_suffix`
is a separate score with its own threshold: P(the user's text ends in an optimised token-soup
suffix, GCG/DSN-style), from cheap tail statistics (`guardstream.text.suffix_stats`) and a
small trained model (`models/artefacts/adversarial_suffix`).
"""

from __future__ import annotations

import numpy as np

from guardstream.contracts import Evidence
from guardstream.detectors.base import Detector, DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.models.artefact_errors import ArtefactError
from guardstream.models.featuriser import default_featuriser
from guardstream.models.trained_model import load_model
from guardstream.text.normalise import Finding, NormalisedText
from guardstream.text.suffix_stats import (
    FEATURES,
    gated_scores,
    word_vocabulary,
)

# How strongly one finding of each kind suggests deliberate hiding; several findings combine
# as a noisy-or, so two weak signals outrank one.
KIND_WEIGHT: dict[str, float] = {
    "unicode_tags": 0.95,
    "base64": 0.8,
    "hex": 0.7,
    "rot13": 0.7,
    "homoglyph": 0.45,
    "compatibility_letters": 0.4,
    "invisible": 0.35,
    "spaced_letters": 0.4,
    "leetspeak": 0.25,
}


def obfuscation_score(findings: tuple[Finding, ...]) -> float:
    """Noisy-or of the findings' weights: P(hidden) if each finding were independent evidence."""
    clean = 1.0
    for finding in findings:
        clean *= 1.0 - KIND_WEIGHT.get(finding.kind, 0.3)
    return 1.0 - clean


def _evidence(text: NormalisedText, field: str) -> list[Evidence]:
    return [
        Evidence(
            kind=f"obfuscation.{f.kind}", field=field, start=f.start, end=f.end, detail=f.detail
        )
        for f in text.findings
    ]


class ObfuscationDetector(Detector):
    name = "obfuscation"
    version = "1"
    severity = "low"
    default_threshold = 0.6
    suffix_key = "obfuscation.adversarial_suffix"

    def __init__(self, options=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(options)
        self.suffix_model = load_model("adversarial_suffix")
        trained_on = self.suffix_model.manifest.get("featuriser", {}).get("suffix_stats")
        if trained_on != list(FEATURES):
            raise ArtefactError(
                f"model 'adversarial_suffix' was trained on suffix statistics {trained_on}, but "
                f"this build computes {list(FEATURES)}; retrain with `guardstream train`"
            )
        self.vocabulary = word_vocabulary(default_featuriser().embedding.vocabulary())

    def default_thresholds(self) -> dict[str, float]:
        return {self.name: self.default_threshold} | self.suffix_model.thresholds

    def suffix_scores(self, texts: list[str]) -> np.ndarray:
        """0 where the tail shows no sign of a suffix (the gate), else the model's P(suffix)."""
        estimator = self.suffix_model.estimator
        return gated_scores(estimator, texts, self.vocabulary).astype(np.float32)

    def score(self, batch: EventBatch) -> DetectorResult:
        scores = np.zeros(len(batch), dtype=np.float32)
        evidence: list[list[Evidence]] = []
        views = zip(
            batch.normalised_users,
            batch.normalised_contexts,
            batch.normalised_responses,
            strict=True,
        )
        for i, (user, context, response) in enumerate(views):
            scores[i] = obfuscation_score(user.findings + context.findings)
            evidence.append(
                _evidence(user, "prompt")
                + _evidence(context, "context")
                + _evidence(response, "response")
            )
        return DetectorResult(
            scores={self.name: scores, self.suffix_key: self.suffix_scores(batch.user_texts)},
            evidence=evidence,
        )
