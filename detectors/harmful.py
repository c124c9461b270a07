"""Harmful requests, with a score per MLCommons hazard category (`harmful.<category>`).

Two models: P(harmful) on the prompt, and P(category | harmful). The category score is their
product, so a benign prompt never gets a high category score. P(harmful) goes through the
encoder cascade (`detectors/cascade.py`) when its cheap score is in the uncertain band.
"""

from __future__ import annotations

import numpy as np

from guardstream.detectors.base import DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.cascade import CascadeOptions, cascaded
from guardstream.detectors.trained import TrainedDetector, check_features, positive_proba
from guardstream.models.fast_linear import fast_proba
from guardstream.models.trained_model import load_model


class HarmfulDetector(TrainedDetector):
    name = "harmful"
    artefact = "harmful"
    severity = "high"
    default_threshold = 0.5
    Options = CascadeOptions

    def __init__(self, options: CascadeOptions | None = None) -> None:
        super().__init__(options)
        self.categories = load_model("harmful_category")
        check_features(self.categories)

    def score(self, batch: EventBatch) -> DetectorResult:
        cheap = positive_proba(self.model.estimator, batch.user_features)
        harmful = cascaded(batch, self.cascade, cheap)
        scores = {self.name: harmful}
        estimator = self.categories.estimator
        if len(batch):
            per_category = fast_proba(estimator, batch.user_embeddings)
            for column, category in enumerate(estimator.classes_):
                scores[f"{self.name}.{category}"] = (harmful * per_category[:, column]).astype(
                    np.float32
                )
        return DetectorResult(scores=scores)
