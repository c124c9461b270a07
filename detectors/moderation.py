"""Any moderation category in one score: sexual content, self-harm, violence and threats,
hate and harassment, on the prompt and the response separately.

Why: moderation queues rank posts by "does this break any policy", and most of what they
remove is not hate. Toxicity reads abusive language only; harmful reads requests for help to
cause harm. This model is trained on content of every category (models/cards/moderation.md).
"""

from __future__ import annotations

from guardstream.detectors.base import DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.cascade import CascadeOptions, cascaded
from guardstream.detectors.trained import TrainedDetector, positive_proba


class ModerationOptions(CascadeOptions):
    """Off until the shipped encoder has a moderation head: `make train-encoder` now trains
    one (models/training/encoder/data.py), and the cascade is turned on once its held-out
    numbers beat the linear model's (models/cards/encoder.md)."""

    cascade: bool = False


class ModerationDetector(TrainedDetector):
    name = "moderation"
    artefact = "moderation"
    severity = "medium"
    default_threshold = 0.5
    supports_emoji_names = True
    Options = ModerationOptions

    def score(self, batch: EventBatch) -> DetectorResult:
        cheap = positive_proba(self.model.estimator, batch.user_features_for(self.emoji_names))
        prompt = cascaded(batch, self.cascade, cheap)
        return self.prompt_and_response(prompt, self.response_scores(batch))
