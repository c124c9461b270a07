"""Whether the response is a refusal: the signal behind retry-after-refusal and refusal-rate
drift. Not an abuse alert on its own: it flags in score records but raises no alert unless
`detectors.refusal.alerts = true`."""

from __future__ import annotations

import numpy as np

from guardstream.detectors.base import DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.trained import TrainedDetector, positive_proba
from guardstream.text.refusal_phrases import refusal_lexicon_scores


class RefusalDetector(TrainedDetector):
    name = "refusal"
    artefact = "refusal"
    category = "quality"
    severity = "low"
    default_threshold = 0.5
    raises_alerts = False

    def score(self, batch: EventBatch) -> DetectorResult:
        has_response = np.array([bool(r) for r in batch.responses])
        learnt = positive_proba(self.model.estimator, batch.response_features) * has_response
        scores = np.maximum(learnt, refusal_lexicon_scores(batch.responses))
        return DetectorResult(scores={self.name: scores.astype(np.float32)})
