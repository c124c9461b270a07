"""Prompt injection and jailbreaks: direct (typed by the user) and indirect (hidden in documents,
tool output or system turns the user did not write).

`injection` = max(direct, whole-context score), as before; `injection.direct` goes through
the encoder cascade (`detectors/cascade.py`) when its cheap score is in the uncertain band.
`injection.indirect` is the max over the context's segments (a planted sentence is not
diluted by the document around it), so it has its own threshold, fitted on benign documents
(`injection.indirect` in the manifest).
"""

from __future__ import annotations

import numpy as np

from guardstream.detectors.base import DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.cascade import CascadeOptions, cascaded
from guardstream.detectors.trained import TrainedDetector, positive_proba


class InjectionDetector(TrainedDetector):
    name = "injection"
    artefact = "injection"
    severity = "high"
    default_threshold = 0.5
    Options = CascadeOptions

    def score(self, batch: EventBatch) -> DetectorResult:
        cheap = positive_proba(self.model.estimator, batch.user_features)
        direct = cascaded(batch, self.cascade, cheap)
        whole = np.zeros(len(batch), dtype=np.float32)
        indices, context = batch.context_features
        if context is not None:
            whole[indices] = positive_proba(self.model.estimator, context)
        return DetectorResult(
            scores={
                self.name: np.maximum(direct, whole),
                f"{self.name}.direct": direct,
                f"{self.name}.indirect": np.maximum(whole, self._segment_max(batch)),
            }
        )

    def _segment_max(self, batch: EventBatch) -> np.ndarray:
        out = np.zeros(len(batch), dtype=np.float32)
        owners, features = batch.context_segment_features
        if features is not None:
            np.maximum.at(out, owners, positive_proba(self.model.estimator, features))
        return out
