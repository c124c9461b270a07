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
    supports_emoji_names = True  # HatemojiBuild: the emoji carries the hate

    def score(self, batch: EventBatch) -> DetectorResult:
        features = batch.user_features_for(self.emoji_names)
        prompt = positive_proba(self.model.estimator, features)
        has_response = np.array([bool(r) for r in batch.responses])
        responses = batch.response_features_for(self.emoji_names)
        response = positive_proba(self.model.estimator, responses) * has_response
        return DetectorResult(
            scores={
                self.name: np.maximum(prompt, response),
                f"{self.name}.prompt": prompt,
                f"{self.name}.response": response.astype(np.float32),
            }
        )
