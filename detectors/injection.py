"""Prompt injection and jailbreaks: direct (typed by the user) and indirect (hidden in documents,
tool output or system turns the user did not write)."""

from __future__ import annotations

import numpy as np

from guardstream.detectors.base import DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.trained import TrainedDetector, positive_proba


class InjectionDetector(TrainedDetector):
    name = "injection"
    artefact = "injection"
    severity = "high"
    default_threshold = 0.5

    def score(self, batch: EventBatch) -> DetectorResult:
        direct = positive_proba(self.model.estimator, batch.user_features)
        indirect = np.zeros(len(batch), dtype=np.float32)
        indices, context = batch.context_features
        if context is not None:
            indirect[indices] = positive_proba(self.model.estimator, context)
        return DetectorResult(
            scores={
                self.name: np.maximum(direct, indirect),
                f"{self.name}.direct": direct,
                f"{self.name}.indirect": indirect,
            }
        )
