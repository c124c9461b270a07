"""Toxic, harassing or hateful language, scored on the prompt and the response separately."""

from __future__ import annotations

import numpy as np

from guardstream.detectors.base import DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.trained import TrainedDetector, positive_proba


class ToxicityDetector(TrainedDetector):
    name = "toxicity"
    artefact = "toxicity"
    severity = "medium"
    default_threshold = 0.5

    def score(self, batch: EventBatch) -> DetectorResult:
        prompt = positive_proba(self.model.estimator, batch.user_features)
        has_response = np.array([bool(r) for r in batch.responses])
        response = positive_proba(self.model.estimator, batch.response_features) * has_response
        return DetectorResult(
            scores={
                self.name: np.maximum(prompt, response),
                f"{self.name}.prompt": prompt,
                f"{self.name}.response": response.astype(np.float32),
            }
        )
