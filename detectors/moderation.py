"""Any moderation category in one score: sexual content, self-harm, violence and threats,
hate and harassment, on the prompt and the response separately.

Why: moderation queues rank posts by "does this break any policy", and most of what they
remove is not hate. Toxicity reads abusive language only; harmful reads requests for help to
cause harm. This model is trained on content of every category (models/cards/moderation.md).
"""

from __future__ import annotations

from guardstream.detectors.base import DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.trained import TrainedDetector, positive_proba


class ModerationDetector(TrainedDetector):
    name = "moderation"
    artefact = "moderation"
    severity = "medium"
    default_threshold = 0.5
    supports_emoji_names = True

    def score(self, batch: EventBatch) -> DetectorResult:
        prompt = positive_proba(self.model.estimator, batch.user_features_for(self.emoji_names))
        return self.prompt_and_response(prompt, self.response_scores(batch))
