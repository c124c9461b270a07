"""Toxic, harassing or hateful language, scored on the prompt and the response separately.

With `options = {cascade = true}` the prompt score goes through the encoder cascade
(`detectors/cascade.py`, off by default here); responses always keep the cheap model.
"""

from __future__ import annotations

import numpy as np

from guardstream.detectors.base import DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.cascade import CascadeOptions, cascaded
from guardstream.detectors.trained import TrainedDetector, positive_proba


class ToxicityOptions(CascadeOptions):
    """The encoder cascade is off by default for toxicity: on held-out sources it raised
    recall at the threshold only a little and doubled the false positives on HatemojiBuild's
    clean rows (models/cards/encoder.md)."""

    cascade: bool = False


class ToxicityDetector(TrainedDetector):
    name = "toxicity"
    artefact = "toxicity"
    severity = "medium"
    default_threshold = 0.5
    supports_emoji_names = True  # HatemojiBuild: the emoji carries the hate
    Options = ToxicityOptions

    def score(self, batch: EventBatch) -> DetectorResult:
        features = batch.user_features_for(self.emoji_names)
        cheap = positive_proba(self.model.estimator, features)
        prompt = cascaded(batch, self.cascade, cheap)
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
