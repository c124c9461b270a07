"""Toxic, harassing or hateful language, scored on the prompt and the response separately.

The prompt score goes through the encoder cascade (`detectors/cascade.py`; turn it off with
`options = {cascade = false}`); responses always keep the cheap model.
"""

from __future__ import annotations

from guardstream.detectors.base import DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.cascade import CascadeOptions, cascaded
from guardstream.detectors.trained import TrainedDetector, positive_proba


class ToxicityOptions(CascadeOptions):
    """On by default since encoder v2, which trained on HatemojiBuild's stance twins: on its
    held-out pairs the cascade ranks hate above its label-flipped twin better than the linear
    model (ROC-AUC 0.683 -> 0.738), and it flags fewer clean test rows (0.55 % -> 0.35 %;
    models/cards/encoder.md). v1, which never saw stance data, doubled them."""

    cascade: bool = True


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
        return self.prompt_and_response(prompt, self.response_scores(batch))
